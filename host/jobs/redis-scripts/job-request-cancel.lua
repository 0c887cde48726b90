-- Asks the worker running a started job to stop: a flag it checks at every stage,
-- and a message on the cancel channel for an immediate abort.
-- KEYS[1] job record; ARGV[1] cancel channel, ARGV[2] job id
-- returns 1 when the job is started and now flagged, else 0
if redis.call('HGET', KEYS[1], 'status') ~= 'started' then
  return 0
end
redis.call('HSET', KEYS[1], 'cancel', '1')
redis.call('PUBLISH', ARGV[1], ARGV[2])
return 1
