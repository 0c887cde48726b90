-- Takes the lock of one package version with a new fencing token. A lock whose
-- holder has stopped heartbeating (a killed process) is taken over before its TTL
-- runs out; the token tells the old holder's late writes from ours.
-- KEYS[1] lock, KEYS[2] fencing counters (hash), KEYS[3] live nodes (sorted set)
-- ARGV[1] owner, ARGV[2] ttl ms, ARGV[3] counter field (name@version),
-- ARGV[4] now ms, ARGV[5] how long a silent node still counts as alive (ms)
-- returns the token, or false while a live holder keeps the lock
local current = redis.call('GET', KEYS[1])
if current then
  local holder = string.match(current, '^(.*)|%d+$')
  local seen = holder and redis.call('ZSCORE', KEYS[3], holder)
  if seen and tonumber(seen) >= tonumber(ARGV[4]) - tonumber(ARGV[5]) then
    return false
  end
end
local token = redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. token, 'PX', ARGV[2])
return token
