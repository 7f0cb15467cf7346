-- Job queue: enqueue, claim (move waiting -> active), complete and fail
-- (retry or dead-letter), with JSON payloads kept in a hash.
-- KEYS: waiting set, active set, jobs hash, dead set, id counter.
-- ARGV[1] op; enqueue: payload; claim: worker; complete/fail: job id.
local waiting, active, jobs, dead, seq = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local op = ARGV[1]
if op == 'enqueue' then
  local payload = cjson.decode(ARGV[2])
  local id = redis.call('INCR', seq)
  redis.call('HSET', jobs, id, cjson.encode(payload), id .. ':attempts', 0)
  redis.call('SADD', waiting, id)
  return id
elseif op == 'claim' then
  local ids = redis.call('SMEMBERS', waiting)
  if #ids == 0 then return false end
  for i = 1, #ids do ids[i] = tonumber(ids[i]) end
  table.sort(ids)
  local id = ids[1]
  redis.call('SMOVE', waiting, active, id)
  local attempts = redis.call('HINCRBY', jobs, id .. ':attempts', 1)
  redis.call('HSET', jobs, id .. ':worker', ARGV[2])
  return {id, redis.call('HGET', jobs, id), attempts}
elseif op == 'complete' then
  if redis.call('SREM', active, ARGV[2]) == 0 then
    return redis.error_reply('ERR job ' .. ARGV[2] .. ' is not active')
  end
  return redis.call('HDEL', jobs, ARGV[2], ARGV[2] .. ':attempts', ARGV[2] .. ':worker')
elseif op == 'fail' then
  local attempts = tonumber(redis.call('HGET', jobs, ARGV[2] .. ':attempts'))
  if not attempts then return redis.error_reply('ERR no such job') end
  if attempts >= 2 then
    redis.call('SMOVE', active, dead, ARGV[2])
    return {'dead', attempts}
  end
  redis.call('SMOVE', active, waiting, ARGV[2])
  return {'retry', attempts}
end
return redis.error_reply('ERR unknown op')
