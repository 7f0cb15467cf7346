package librdb

import (
	"fmt"
	"strconv"
)

// RDB opcodes (Redis rdb.h, 7.0 plus SLOT_INFO of Redis 7.4+/Valkey 8).
const (
	OpSlotInfo      = 244
	OpFunction2     = 245
	OpFunctionPreGA = 246
	OpModuleAux     = 247
	OpIdle          = 248
	OpFreq          = 249
	OpAux           = 250
	OpResizeDB      = 251
	OpExpireTimeMs  = 252
	OpExpireTime    = 253
	OpSelectDB      = 254
	OpEOF           = 255
)

// RDB object types (Redis rdb.h; 20..25 from Redis 7.2/7.4; 22 is Valkey
// 9's hash with field expiry in VALKEY080 files).
const (
	TypeString              = 0
	TypeList                = 1
	TypeSet                 = 2
	TypeZSet                = 3
	TypeHash                = 4
	TypeZSet2               = 5
	TypeModulePreGA         = 6
	TypeModule2             = 7
	TypeHashZipmap          = 9
	TypeListZiplist         = 10
	TypeSetIntset           = 11
	TypeZSetZiplist         = 12
	TypeHashZiplist         = 13
	TypeListQuicklist       = 14
	TypeStreamListpacks     = 15
	TypeHashListpack        = 16
	TypeZSetListpack        = 17
	TypeListQuicklist2      = 18
	TypeStreamListpacks2    = 19
	TypeSetListpack         = 20
	TypeStreamListpacks3    = 21
	TypeHashMetadataPreGA   = 22 // Redis 7.4 release candidates; Valkey 9 HASH_2 in VALKEY080 files
	TypeHashListpackExPreGA = 23
	TypeHashMetadata        = 24
	TypeHashListpackEx      = 25
)

// Kind is the data type of a key as Redis's TYPE command names it.
type Kind uint8

// The kinds of keys.
const (
	KindString Kind = iota
	KindList
	KindSet
	KindZSet
	KindHash
	KindStream
	KindModule
)

var kindNames = [...]string{"string", "list", "set", "zset", "hash", "stream", "module"}

// String returns the TYPE name: string, list, set, zset, hash, stream, or
// module.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// ParseKind returns the Kind named s (as String returns it).
func ParseKind(s string) (Kind, error) {
	for i, n := range kindNames {
		if n == s {
			return Kind(i), nil
		}
	}
	return 0, fmt.Errorf("unknown type %q (want string, list, set, zset, hash, stream or module)", s)
}

// typeInfo maps an RDB object type to its kind and the name of the
// encoding it stores.
func typeInfo(t byte) (Kind, string, bool) {
	switch t {
	case TypeString:
		return KindString, "string", true
	case TypeList:
		return KindList, "linkedlist", true
	case TypeSet:
		return KindSet, "hashtable", true
	case TypeZSet, TypeZSet2:
		return KindZSet, "skiplist", true
	case TypeHash:
		return KindHash, "hashtable", true
	case TypeModulePreGA, TypeModule2:
		return KindModule, "module", true
	case TypeHashZipmap:
		return KindHash, "zipmap", true
	case TypeListZiplist:
		return KindList, "ziplist", true
	case TypeSetIntset:
		return KindSet, "intset", true
	case TypeZSetZiplist:
		return KindZSet, "ziplist", true
	case TypeHashZiplist:
		return KindHash, "ziplist", true
	case TypeListQuicklist, TypeListQuicklist2:
		return KindList, "quicklist", true
	case TypeStreamListpacks, TypeStreamListpacks2, TypeStreamListpacks3:
		return KindStream, "stream", true
	case TypeHashListpack:
		return KindHash, "listpack", true
	case TypeZSetListpack:
		return KindZSet, "listpack", true
	case TypeSetListpack:
		return KindSet, "listpack", true
	case TypeHashMetadataPreGA, TypeHashMetadata:
		return KindHash, "hashtable", true
	case TypeHashListpackExPreGA, TypeHashListpackEx:
		return KindHash, "listpackex", true
	}
	return 0, "", false
}

// Key describes the key being decoded. The Decoder reuses one Key for the
// whole file: a Visitor that keeps it past the call must copy it (and its
// Key bytes).
type Key struct {
	DB       int
	Key      []byte
	Kind     Kind
	RDBType  byte   // the RDB object type byte (TypeString, TypeHashZiplist, ...)
	Encoding string // the encoding as stored: string, linkedlist, ziplist, quicklist, listpack, intset, zipmap, hashtable, skiplist, stream, listpackex, module
	Expire   int64  // absolute expiry in Unix milliseconds, -1 if none
	Idle     int64  // LRU idle time in seconds (OpIdle), -1 if absent
	Freq     int    // LFU counter (OpFreq), -1 if absent
	Offset   int64  // byte offset of the key's first opcode (expiry, idle, freq or type)
	// FieldTTLs is true for hashes stored with per-field expiry (types
	// 22..25): HashField then passes the fields' expiry times.
	FieldTTLs bool
}

// StreamID is a stream entry ID, <ms>-<seq>.
type StreamID struct{ Ms, Seq uint64 }

// String returns "<ms>-<seq>".
func (id StreamID) String() string {
	return strconv.FormatUint(id.Ms, 10) + "-" + strconv.FormatUint(id.Seq, 10)
}

// Compare returns -1, 0 or 1 as id is before, equal to or after o.
func (id StreamID) Compare(o StreamID) int {
	switch {
	case id.Ms < o.Ms || id.Ms == o.Ms && id.Seq < o.Seq:
		return -1
	case id == o:
		return 0
	}
	return 1
}

// StreamEntry is one live stream entry. Fields holds field, value, field,
// value, ...; the slices are valid only during the call.
type StreamEntry struct {
	ID     StreamID
	Fields [][]byte
}

// StreamMeta is what follows a stream's entries: its counters and consumer
// groups. For streams of RDB type 15 (before Redis 7.0) FirstID,
// MaxDeletedID, EntriesAdded and each group's EntriesRead are derived as
// Redis 7.0 derives them when loading (rdb.c, streamEstimateDistance...),
// and Derived is true.
type StreamMeta struct {
	Length       uint64
	LastID       StreamID
	FirstID      StreamID
	MaxDeletedID StreamID
	EntriesAdded uint64
	Derived      bool
	Groups       []StreamGroup
}

// StreamGroup is a consumer group. EntriesRead is -1 when unknown (nil in
// XINFO).
type StreamGroup struct {
	Name        []byte
	LastID      StreamID
	EntriesRead int64
	Pending     []StreamPending
	Consumers   []StreamConsumer
}

// StreamPending is an entry of a group's pending entries list.
type StreamPending struct {
	ID            StreamID
	DeliveryTime  int64 // Unix ms
	DeliveryCount uint64
}

// StreamConsumer is a consumer of a group. ActiveTime is -1 before RDB type
// 21 (Redis 7.2).
type StreamConsumer struct {
	Name       []byte
	SeenTime   int64
	ActiveTime int64
	Pending    []StreamID
}

// Function is a function library (OpFunction2, or the Redis 7.0 release
// candidates' OpFunctionPreGA). For OpFunction2 Name and Engine come from
// the code's "#!<engine> name=<name>" first line.
type Function struct {
	Name        string
	Engine      string
	Description string // pre-GA format only
	Code        []byte // as stored; for pre-GA libraries without the #! line
	PreGA       bool
}

// Module describes a module value or module AUX record. The module's name
// and encoding version are decoded from its 64-bit id (Redis module.c
// moduleTypeNameByID). When is the aux record's REDISMODULE_AUX_* flag.
type Module struct {
	ID         uint64
	Name       string
	EncVersion int
	When       uint64
	Size       int64  // bytes of the opaque payload
	Raw        []byte // the payload up to and including its EOF opcode, with Decoder.KeepModules
}

const moduleCharset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// moduleName decodes a module type id: 9 characters of 6 bits each, then
// a 10-bit encoding version.
func moduleName(id uint64) (string, int) {
	var name [9]byte
	for i := 8; i >= 0; i-- {
		name[i] = moduleCharset[(id>>(10+uint(8-i)*6))&63]
	}
	return string(name[:]), int(id & 1023)
}
