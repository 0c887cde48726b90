-- Rolls a channel back to its previous assignment in one step. The channel is a list of
-- assignments, newest first, each `{id}\n{json}`. With an expected id (automatic
-- rollback), only that assignment is rolled back: two nodes that both see a failing
-- version roll back once, and an operator's newer assignment is left alone.
-- KEYS[1] the channel's list, ARGV[1] expected id ('' = any), ARGV[2] '1' when the
-- channel may be emptied (latest: back to the highest installed version)
-- returns the new current entry, '' when emptied, or an error word: 'none', 'first', 'stale'
local head = redis.call('LINDEX', KEYS[1], 0)
if not head then return 'none' end
if ARGV[1] ~= '' and string.sub(head, 1, #ARGV[1] + 1) ~= ARGV[1] .. '\n' then return 'stale' end
if redis.call('LLEN', KEYS[1]) < 2 then
  if ARGV[2] ~= '1' then return 'first' end
  redis.call('DEL', KEYS[1])
  return ''
end
redis.call('LPOP', KEYS[1])
return redis.call('LINDEX', KEYS[1], 0)
