-- Counts one call's outcome for a channel assignment's error-rate window and answers the
-- calls and errors of the whole window. The window is ten sub-buckets (fields
-- `{bucket}:c` and `{bucket}:e`), so it slides in tenths.
-- KEYS[1] the assignment's health hash
-- ARGV[1] now ms, ARGV[2] window ms, ARGV[3] '1' when the call failed
-- returns {calls, errors}
local now = tonumber(ARGV[1])
local step = math.max(1, math.floor(tonumber(ARGV[2]) / 10))
local bucket = math.floor(now / step)
redis.call('HDEL', KEYS[1], (bucket - 10) .. ':c', (bucket - 10) .. ':e')
redis.call('HINCRBY', KEYS[1], bucket .. ':c', 1)
if ARGV[3] == '1' then redis.call('HINCRBY', KEYS[1], bucket .. ':e', 1) end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
local calls, errors = 0, 0
for b = bucket - 9, bucket do
  calls = calls + (tonumber(redis.call('HGET', KEYS[1], b .. ':c')) or 0)
  errors = errors + (tonumber(redis.call('HGET', KEYS[1], b .. ':e')) or 0)
end
return {calls, errors}
