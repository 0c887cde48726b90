-- Charges a finished call's post-paid counters (CPU ms, egress) and releases its lease.
-- KEYS[1..n] post-paid counters (hashes {s, v}), KEYS[n+1] the tenant's leases (when ARGV[4] is '1')
-- ARGV[1] now ms, ARGV[2] call id, ARGV[3] n, ARGV[4] '1' to release a lease,
-- then for counter i: ARGV[3+2i] window ms, ARGV[4+2i] amount
local now = tonumber(ARGV[1])
local n = tonumber(ARGV[3])
for i = 1, n do
  local window = tonumber(ARGV[3 + 2 * i])
  local amount = tonumber(ARGV[4 + 2 * i])
  local start = now - (now % window)
  local s = tonumber(redis.call('HGET', KEYS[i], 's'))
  if s and s > start then start = s end
  if s ~= start then redis.call('HSET', KEYS[i], 's', start, 'v', 0) end
  if amount ~= 0 then redis.call('HINCRBYFLOAT', KEYS[i], 'v', ARGV[4 + 2 * i]) end
  redis.call('PEXPIREAT', KEYS[i], start + 2 * window)
end
if ARGV[4] == '1' then redis.call('ZREM', KEYS[n + 1], ARGV[2]) end
return 1
