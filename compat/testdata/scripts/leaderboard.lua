-- Leaderboard kept in hashes (score per player, best score, games played):
-- submit a score, keep the best, report the player's rank among KEYS[1]'s
-- players (computed in Lua).
-- KEYS[1] best-score hash, KEYS[2] games hash; ARGV: player, score.
local player, score = ARGV[1], tonumber(ARGV[2])
if not score then return redis.error_reply('ERR score is not a number') end
local best = tonumber(redis.call('HGET', KEYS[1], player))
local improved = 0
if not best or score > best then
  redis.call('HSET', KEYS[1], player, score)
  best = score
  improved = 1
end
local games = redis.call('HINCRBY', KEYS[2], player, 1)
local all = redis.call('HGETALL', KEYS[1])
local rank = 1
for i = 2, #all, 2 do
  if tonumber(all[i]) > best then rank = rank + 1 end
end
return {improved, best, games, rank, redis.call('HLEN', KEYS[1])}
