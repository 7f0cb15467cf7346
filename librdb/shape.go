package librdb

import "github.com/kvkit/kvkit/internal/sds"

// Shape accumulates, element by element, what decides the encoding Redis
// 7.0 gives a value once loaded or built by commands (rdb.c rdbLoadObject
// conversions, t_hash.c/t_set.c/t_zset.c thresholds): its element count,
// its longest element and whether every set member is an integer. Feed it
// from the Visitor's value methods; the zero Shape is ready after Reset.
type Shape struct {
	Kind    Kind
	RDBType byte
	Len     int  // string length, or elements (hash fields, zset members, stream entries)
	MaxLen  int  // longest list element, set member, hash field or value, zset member
	NotInt  bool // some set member is not a canonical integer
	StrInt  bool // the string is a canonical integer
}

// Reset starts a new key.
func (s *Shape) Reset(k *Key) {
	*s = Shape{Kind: k.Kind, RDBType: k.RDBType}
}

// String records a string value.
func (s *Shape) String(v []byte) {
	s.Len = len(v)
	_, s.StrInt = sds.ParseInt(v)
}

// Element records a list element or set member.
func (s *Shape) Element(e []byte) {
	s.Len++
	s.MaxLen = max(s.MaxLen, len(e))
	if s.Kind == KindSet && !s.NotInt {
		if _, ok := sds.ParseInt(e); !ok {
			s.NotInt = true
		}
	}
}

// Pair records a hash field and value or a zset member (value nil).
func (s *Shape) Pair(a, b []byte) {
	s.Len++
	s.MaxLen = max(s.MaxLen, len(a), len(b))
}

// Encoding70 returns OBJECT ENCODING as Redis 7.0.15 reports it for the
// value after loading it from this RDB type with default thresholds:
// int/embstr/raw, quicklist, listpack, intset, hashtable, skiplist, stream.
// Values loaded from RDB in a compact encoding are converted only when
// they exceed the entry count, as rdb.c does.
func (s *Shape) Encoding70() string {
	switch s.Kind {
	case KindString:
		switch {
		case s.StrInt:
			return "int"
		case s.Len <= 44: // OBJ_ENCODING_EMBSTR_SIZE_LIMIT
			return "embstr"
		}
		return "raw"
	case KindList:
		return "quicklist"
	case KindSet:
		if s.Len > SetMaxIntsetEntries || s.NotInt {
			return "hashtable"
		}
		return "intset"
	case KindZSet:
		if s.RDBType == TypeZSetZiplist || s.RDBType == TypeZSetListpack {
			if s.Len > ZSetMaxListpackEntries {
				return "skiplist"
			}
			return "listpack"
		}
		if s.Len <= ZSetMaxListpackEntries && s.MaxLen <= ZSetMaxListpackValue {
			return "listpack"
		}
		return "skiplist"
	case KindHash:
		if s.RDBType == TypeHashZiplist || s.RDBType == TypeHashListpack {
			if s.Len > HashMaxListpackEntries {
				return "hashtable"
			}
			return "listpack"
		}
		if s.Len > HashMaxListpackEntries || s.MaxLen > HashMaxListpackValue {
			return "hashtable"
		}
		return "listpack"
	case KindStream:
		return "stream"
	}
	return "module"
}
