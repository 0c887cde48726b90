-- Ends a job (finished, failed or canceled) if it is in one of the expected states
-- and, when an attempt is given, still on that run. Moves the attempt on (late
-- reports of any run are ignored), keeps the record for keep_ms, forgets the oldest
-- ended jobs beyond keep_max, and announces the end on the job-ended channel.
-- KEYS[1] job record, KEYS[2] ended jobs (sorted set)
-- ARGV[1] attempt or '', ARGV[2] expected states ("queued,started"), ARGV[3] new state,
-- ARGV[4] now (ms), ARGV[5] keep_ms, ARGV[6] keep_max, ARGV[7] job key prefix,
-- ARGV[8] channel, ARGV[9] job id, ARGV[10..] field, value pairs to set
-- returns 1 when the job ended here, else 0
local status = redis.call('HGET', KEYS[1], 'status')
if not status or not string.find(',' .. ARGV[2] .. ',', ',' .. status .. ',', 1, true) then
  return 0
end
if ARGV[1] ~= '' and redis.call('HGET', KEYS[1], 'attempt') ~= ARGV[1] then
  return 0
end
redis.call('HDEL', KEYS[1], 'cancel', 'worker')
redis.call('HINCRBY', KEYS[1], 'attempt', 1)
redis.call('HSET', KEYS[1], 'status', ARGV[3], 'ended_at', ARGV[4])
for i = 10, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
local now, keep_ms, keep_max = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
redis.call('PEXPIRE', KEYS[1], keep_ms)
redis.call('ZADD', KEYS[2], now, ARGV[9])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. (now - keep_ms))
-- Records past the cap go now; their keys share the slot of KEYS[1] (same prefix).
local excess = redis.call('ZCARD', KEYS[2]) - keep_max
if excess > 0 then
  local oldest = redis.call('ZPOPMIN', KEYS[2], excess)
  for i = 1, #oldest, 2 do
    redis.call('DEL', ARGV[7] .. oldest[i])
  end
end
redis.call('PUBLISH', ARGV[8], ARGV[9])
return 1
