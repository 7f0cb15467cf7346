package librdb

// Redis 7.0's default encoding thresholds (redis.conf): a value stays in
// its compact encoding while it has at most this many elements and no
// element longer than the *Value limit in bytes. The Encoder follows them
// so that what it writes matches what Redis 7.0 would write.
const (
	HashMaxListpackEntries = 512
	HashMaxListpackValue   = 64
	SetMaxIntsetEntries    = 512
	ZSetMaxListpackEntries = 128
	ZSetMaxListpackValue   = 64
	// ListMaxListpackSize -2 limits each quicklist node to 8 KiB.
	ListMaxListpackBytes = 8192
)
