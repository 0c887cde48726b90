-- Puts a failed or canceled job back to queued under the same id: its outcome is
-- cleared, its record no longer expires, and it waits to be handed to bee-queue.
-- KEYS[1] job record, KEYS[2] ended jobs, KEYS[3] jobs awaiting submission
-- ARGV[1] job id, ARGV[2] now (ms)
-- returns 'ok', the job's state when it cannot be retried, or false when unknown
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return false
end
if status ~= 'failed' and status ~= 'canceled' then
  return status
end
redis.call('HDEL', KEYS[1], 'stage', 'reason', 'error', 'data', 'ended_at', 'cancel', 'worker', 'delivery')
redis.call('HSET', KEYS[1], 'status', 'queued', 'progress', '0')
redis.call('PERSIST', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
return 'ok'
