-- A worker shutting down hands its started job back: queued again, for another
-- worker (the caller has already queued a fresh bee-queue job for it).
-- KEYS[1] job record; ARGV[1] attempt
-- returns 1 when the job is queued again, 0 when the run was no longer current
if redis.call('HGET', KEYS[1], 'status') ~= 'started' or redis.call('HGET', KEYS[1], 'attempt') ~= ARGV[1] then
  return 0
end
redis.call('HINCRBY', KEYS[1], 'attempt', 1)
redis.call('HSET', KEYS[1], 'status', 'queued', 'progress', '0')
redis.call('HDEL', KEYS[1], 'stage', 'worker')
return 1
