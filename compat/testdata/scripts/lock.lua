-- Distributed lock with a token (Redlock's single-instance form).
-- ARGV[1] op: acquire | release | extend; KEYS[1] lock key; ARGV[2] token;
-- ARGV[3] ttl ms (acquire, extend).
local op, token = ARGV[1], ARGV[2]
if op == 'acquire' then
  if redis.call('SET', KEYS[1], token, 'NX', 'PX', ARGV[3]) then
    return 1
  end
  return 0
elseif op == 'release' then
  if redis.call('GET', KEYS[1]) == token then
    return redis.call('DEL', KEYS[1])
  end
  return 0
elseif op == 'extend' then
  if redis.call('GET', KEYS[1]) == token then
    return redis.call('PEXPIRE', KEYS[1], ARGV[3])
  end
  return 0
end
return redis.error_reply('ERR unknown lock operation ' .. tostring(op))
