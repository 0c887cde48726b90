-- Extends the lock if it is still ours (same owner and token): the fencing check
-- before a publish, and the periodic renewal while an install runs.
-- KEYS[1] lock; ARGV[1] expected value, ARGV[2] ttl ms
-- returns 1 when still held, else 0
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
