-- Puts a failed or canceled job back to queued under the same id: its outcome is
-- cleared and its record no longer expires.
-- KEYS[1] job record, KEYS[2] ended jobs; ARGV[1] job id
-- returns 'ok', the job's state when it cannot be retried, or false when unknown
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return false
end
if status ~= 'failed' and status ~= 'canceled' then
  return status
end
redis.call('HDEL', KEYS[1], 'stage', 'reason', 'error', 'data', 'ended_at', 'cancel', 'worker')
redis.call('HSET', KEYS[1], 'status', 'queued', 'progress', '0')
redis.call('PERSIST', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 'ok'
