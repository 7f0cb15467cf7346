-- Token bucket rate limiter.
-- KEYS[1] bucket hash; ARGV: capacity, refill tokens per second, now (ms),
-- tokens requested. Returns {allowed (1/0), tokens left, retry after ms}.
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
if not capacity or not rate or not now or not want then
  return redis.error_reply('ERR invalid arguments')
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
local elapsed = math.max(0, now - ts)
tokens = math.min(capacity, tokens + elapsed * rate / 1000)
local allowed = 0
local retry = 0
if tokens >= want then
  tokens = tokens - want
  allowed = 1
else
  retry = math.ceil((want - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity * 1000 / rate))
return {allowed, math.floor(tokens), retry}
