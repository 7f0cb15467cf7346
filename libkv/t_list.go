package libkv

// List commands (Redis 7.0 t_list.c).
var listCommands = map[string]cmdFunc{}
