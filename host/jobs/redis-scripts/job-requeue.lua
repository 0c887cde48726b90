-- A worker shutting down hands its started job back: queued again, and waiting to
-- be handed to bee-queue for another worker.
-- KEYS[1] job record, KEYS[2] jobs awaiting submission; ARGV[1] attempt, ARGV[2] now, ARGV[3] job id
-- returns 1 when the job is queued again, 0 when the run was no longer current
if redis.call('HGET', KEYS[1], 'status') ~= 'started' or redis.call('HGET', KEYS[1], 'attempt') ~= ARGV[1] then
  return 0
end
redis.call('HINCRBY', KEYS[1], 'attempt', 1)
redis.call('HSET', KEYS[1], 'status', 'queued', 'progress', '0')
redis.call('HDEL', KEYS[1], 'stage', 'worker', 'delivery')
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
