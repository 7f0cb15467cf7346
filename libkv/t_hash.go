package libkv

// Hash commands (Redis 7.0 t_hash.c).
var hashCommands = map[string]cmdFunc{}
