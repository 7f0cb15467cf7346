-- Idempotency keys: the first request with a key records "pending" and
-- proceeds; repeats get the stored response, or a conflict while pending.
-- KEYS[1] idempotency key; ARGV[1] op (begin | finish); ARGV[2] request
-- fingerprint; ARGV[3] response (finish); ARGV[4] ttl seconds.
local key, op = KEYS[1], ARGV[1]
local cur = redis.call('HMGET', key, 'state', 'fingerprint', 'response')
if op == 'begin' then
  if not cur[1] then
    redis.call('HSET', key, 'state', 'pending', 'fingerprint', ARGV[2])
    redis.call('EXPIRE', key, ARGV[4])
    return {'proceed'}
  end
  if cur[2] ~= ARGV[2] then
    return redis.error_reply('CONFLICT key reused with a different request')
  end
  if cur[1] == 'pending' then
    return {'in-progress'}
  end
  return {'replay', cur[3]}
elseif op == 'finish' then
  if cur[1] ~= 'pending' or cur[2] ~= ARGV[2] then
    return redis.error_reply('ERR nothing pending for this request')
  end
  redis.call('HSET', key, 'state', 'done', 'response', ARGV[3])
  redis.call('EXPIRE', key, ARGV[4])
  return redis.status_reply('STORED')
end
return redis.error_reply('ERR unknown op')
