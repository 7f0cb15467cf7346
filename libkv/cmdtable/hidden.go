package cmdtable

// hiddenFlags are the may_replicate and protected flags of Redis 7.0.15's
// commands. COMMAND INFO hides them (server.c addReplyCommandFlags), so
// the reference the table is generated from lacks them; they are listed
// here instead, and TestCompatHiddenFlags checks them against
// redis-server by their effects: while CLIENT PAUSE WRITE is in force a
// command that is neither write nor may_replicate runs and one that is
// waits, and a protected command is refused while enable-debug-command
// and enable-module-command are "no" (the default). may_replicate is
// listed for the commands that are not also write, the only ones where it
// shows.
var hiddenFlags = map[string]Flags{
	"eval":          FlagMayReplicate,
	"evalsha":       FlagMayReplicate,
	"fcall":         FlagMayReplicate,
	"publish":       FlagMayReplicate,
	"spublish":      FlagMayReplicate,
	"pfcount":       FlagMayReplicate,
	"debug":         FlagProtected,
	"module|load":   FlagProtected,
	"module|loadex": FlagProtected,
	"module|unload": FlagProtected,
}
