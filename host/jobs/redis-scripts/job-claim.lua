-- A worker takes a job that bee-queue handed it. A queued job starts. A started job
-- is taken over only when this is the same bee-queue delivery coming back (its worker
-- died or stalled, and bee-queue's stall check re-queued it); the attempt number moves
-- on, so the older run's reports are ignored from now on. Any other delivery of a
-- started job is a duplicate and is skipped, as are ended and unknown jobs.
-- KEYS[1] job record; ARGV[1] worker id, ARGV[2] now (ms), ARGV[3] bee-queue job id
-- returns {attempt, cancel flag} or false
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'started' then
  if redis.call('HGET', KEYS[1], 'delivery') ~= ARGV[3] then
    return false
  end
elseif status ~= 'queued' then
  return false
end
local attempt = redis.call('HINCRBY', KEYS[1], 'attempt', 1)
redis.call('HSET', KEYS[1], 'status', 'started', 'progress', '0', 'worker', ARGV[1], 'started_at', ARGV[2], 'delivery', ARGV[3])
redis.call('HDEL', KEYS[1], 'stage')
return {attempt, redis.call('HGET', KEYS[1], 'cancel') or '0'}
