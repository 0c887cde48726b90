-- Records the stage and progress of the run `attempt`, if it is still the job's run.
-- KEYS[1] job record; ARGV[1] attempt, ARGV[2] stage, ARGV[3] progress
-- returns -1 when the run is no longer current, 1 when a cancel is requested, else 0
if redis.call('HGET', KEYS[1], 'attempt') ~= ARGV[1] or redis.call('HGET', KEYS[1], 'status') ~= 'started' then
  return -1
end
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[1], 'stage', ARGV[2], 'progress', ARGV[3])
end
if redis.call('HGET', KEYS[1], 'cancel') == '1' then
  return 1
end
return 0
