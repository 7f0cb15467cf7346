package libkv

// Set commands (Redis 7.0 t_set.c).
var setCommands = map[string]cmdFunc{}
