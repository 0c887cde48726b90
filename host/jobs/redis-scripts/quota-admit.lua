-- Admits one call against its tenant's quotas, or names the quota that refuses it.
-- The check and the count are one step, so concurrent calls on any number of nodes
-- never overshoot a limit. Counters are hashes {s = window start, v = value} over
-- fixed windows; a stored start later than ours (a node whose clock lags) wins.
-- KEYS[1..n] counters, KEYS[n+1] the tenant's leases (a sorted set; with a concurrent limit)
-- ARGV[1] now ms, ARGV[2] call id, ARGV[3] lease ms, ARGV[4] n, ARGV[5] concurrent limit (0 = none),
-- then for counter i: ARGV[3+3i] window ms, ARGV[4+3i] limit, ARGV[5+3i] '1' when counted on admission
-- returns {0} when admitted, else {i, retry ms} (i = n+1: the concurrent limit)
local now = tonumber(ARGV[1])
local n = tonumber(ARGV[4])
local concurrent = tonumber(ARGV[5])
local starts = {}
for i = 1, n do
  local window = tonumber(ARGV[3 + 3 * i])
  local limit = tonumber(ARGV[4 + 3 * i])
  local start = now - (now % window)
  local stored = redis.call('HMGET', KEYS[i], 's', 'v')
  local s = tonumber(stored[1])
  local v = tonumber(stored[2]) or 0
  if s and s > start then start = s end
  if (not s) or s < start then v = 0 end
  starts[i] = start
  if v >= limit then return {i, start + window - now} end
end
if concurrent > 0 then
  local leases = KEYS[n + 1]
  redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
  if redis.call('ZCARD', leases) >= concurrent then return {n + 1, 1000} end
  redis.call('ZADD', leases, now + tonumber(ARGV[3]), ARGV[2])
  redis.call('PEXPIRE', leases, tonumber(ARGV[3]) * 2)
end
for i = 1, n do
  if ARGV[5 + 3 * i] == '1' then
    local window = tonumber(ARGV[3 + 3 * i])
    if tonumber(redis.call('HGET', KEYS[i], 's')) ~= starts[i] then
      redis.call('HSET', KEYS[i], 's', starts[i], 'v', 0)
    end
    redis.call('HINCRBY', KEYS[i], 'v', 1)
    redis.call('PEXPIREAT', KEYS[i], starts[i] + 2 * window)
  end
end
return {0}
