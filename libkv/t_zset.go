package libkv

// Sorted-set commands (Redis 7.0 t_zset.c).
var zsetCommands = map[string]cmdFunc{}
