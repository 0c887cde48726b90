-- A worker takes a job bee-queue handed it. Queued jobs start; a started job is
-- taken over (bee-queue re-delivered it: its worker died or stalled), and the
-- attempt number moves on so the older run's reports are ignored from now on.
-- Ended or unknown jobs are not run at all.
-- KEYS[1] job record; ARGV[1] worker id, ARGV[2] now (ms)
-- returns {attempt, cancel flag} or false
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'queued' and status ~= 'started' then
  return false
end
local attempt = redis.call('HINCRBY', KEYS[1], 'attempt', 1)
redis.call('HSET', KEYS[1], 'status', 'started', 'progress', '0', 'worker', ARGV[1], 'started_at', ARGV[2])
redis.call('HDEL', KEYS[1], 'stage')
return {attempt, redis.call('HGET', KEYS[1], 'cancel') or '0'}
