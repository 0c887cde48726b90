-- Releases the lock only if it is still ours; a lock taken over stays with its new holder.
-- KEYS[1] lock; ARGV[1] expected value
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
