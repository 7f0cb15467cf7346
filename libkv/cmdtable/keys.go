package cmdtable

import (
	"github.com/kvkit/kvkit/internal/sds"
)

// KeyRef is a key found in an argument vector: its index in argv and the
// flags of the key spec (or getkeys procedure) that found it. Keys found
// by some procedures have no flags, as in Redis.
type KeyRef struct {
	Pos   int
	Flags KeyFlags
}

// SearchFlags modify how Keys searches (Redis 7.0 GET_KEYSPEC_*).
type SearchFlags uint8

const (
	// KeysIncludeNotKeys also returns key-like arguments whose spec is
	// not_key, such as the shard channels of SPUBLISH (through
	// KeysFromSpecs: Keys, as Redis, ignores a command whose specs are all
	// not_key).
	KeysIncludeNotKeys SearchFlags = 1 << iota
	// KeysReturnPartial skips invalid and incomplete specs instead of
	// failing, and returns what the other specs found.
	KeysReturnPartial
)

// Keys appends to dst the keys of argv, a full argument vector of c
// (argv[0] the command name, argv[1] the subcommand name for a
// subcommand), and returns the extended slice, as Redis 7.0's
// getKeysFromCommandWithSpecs (db.c): key specs are used when they are
// reliable, and the command's getkeys procedure otherwise or when the
// specs fail on argv. It returns dst unchanged when argv has no keys or is
// malformed (a bad numkeys, a key past the end, or an argument count that
// c's arity rejects: Redis checks arity before it looks for keys). Keys
// never panics and allocates only to grow dst.
func (c *Command) Keys(argv [][]byte, flags SearchFlags, dst []KeyRef) []KeyRef {
	if !c.CheckArity(len(argv)) {
		return dst
	}
	var all, varFlags KeyFlags
	all = ^KeyFlags(0)
	for i := range c.KeySpecs {
		all &= c.KeySpecs[i].Flags
		varFlags |= c.KeySpecs[i].Flags & KeyVariableFlags
	}
	// Redis: some spec is not not_key, and no spec has variable flags.
	if len(c.KeySpecs) > 0 && all&KeyNotKey == 0 && varFlags == 0 {
		if keys, ok := c.KeysFromSpecs(argv, flags, dst); ok {
			return keys
		}
	}
	if c.getkeys != nil {
		return c.getkeys(argv, dst)
	}
	return dst
}

// KeysFromSpecs appends to dst the keys that c's key specs find in argv
// and returns the extended slice, as Redis 7.0's getKeysUsingKeySpecs
// (db.c). ok is false, and dst comes back unchanged, where Redis returns
// -1: a spec of unknown kind, one that does not fit argv, or an incomplete
// one, unless flags has KeysReturnPartial. Most callers want Keys, which
// falls back to the command's getkeys procedure.
func (c *Command) KeysFromSpecs(argv [][]byte, flags SearchFlags, dst []KeyRef) (keys []KeyRef, ok bool) {
	start := len(dst)
	for j := range c.KeySpecs {
		spec := &c.KeySpecs[j]
		if spec.Flags&KeyNotKey != 0 && flags&KeysIncludeNotKeys == 0 {
			continue
		}
		first, last, step, valid := spec.locate(argv)
		if valid && first == 0 {
			continue // keyword not found
		}
		if valid {
			for i := first; i <= last; i += step {
				dst = append(dst, KeyRef{Pos: i, Flags: spec.Flags})
			}
			if spec.Flags&KeyIncomplete == 0 {
				continue
			}
		}
		if flags&KeysReturnPartial != 0 {
			continue
		}
		return dst[:start], false
	}
	return dst, true
}

// locate runs one spec over argv. It returns the inclusive range of key
// positions and valid=true, or first=0 and valid=true when a keyword spec
// does not find its keyword, or valid=false when the spec cannot be used
// (unknown kind, bad key count, range outside argv).
func (spec *KeySpec) locate(argv [][]byte) (first, last, step int, valid bool) {
	argc := len(argv)
	switch spec.BeginSearch.Type {
	case SearchIndex:
		first = spec.BeginSearch.Index
	case SearchKeyword:
		// Redis's loop never looks at the end index itself (argc-1 when
		// searching forwards, 1 backwards); copied as it is.
		from := spec.BeginSearch.StartFrom
		startIdx, endIdx := from, argc-1
		if from <= 0 {
			startIdx, endIdx = argc+from, 1
		}
		for i := startIdx; i != endIdx; {
			if i >= argc || i < 1 {
				break
			}
			if equalFold(argv[i], spec.BeginSearch.Keyword) {
				first = i + 1
				break
			}
			if startIdx <= endIdx {
				i++
			} else {
				i--
			}
		}
		if first == 0 {
			return 0, 0, 0, true
		}
	default:
		return 0, 0, 0, false
	}
	fk := &spec.FindKeys
	switch fk.Type {
	case FindRange:
		step = fk.KeyStep
		switch {
		case fk.LastKey >= 0:
			last = first + fk.LastKey
		case fk.Limit == 0:
			last = argc + fk.LastKey
		default:
			last = first + ((argc-first)/fk.Limit + fk.LastKey)
		}
	case FindKeyNum:
		step = fk.KeyStep
		// Redis checks keynumidx, not first+keynumidx, against argc and
		// then reads argv[first+keynumidx]; arity checks keep that in
		// bounds for its callers. Here an index past the end is invalid.
		idx := first + fk.KeyNumIdx
		if fk.KeyNumIdx >= argc || idx >= argc || idx < 0 {
			return 0, 0, 0, false
		}
		n, ok := sds.ParseInt(argv[idx])
		if !ok || n < 0 {
			return 0, 0, 0, false
		}
		first += fk.FirstKey
		// C: last = first + (int)numkeys - 1, an int conversion that
		// keeps the low 32 bits.
		last = first + int(int32(n)) - 1
	default:
		return 0, 0, 0, false
	}
	if last >= argc || last < first || first >= argc || first < 0 || step <= 0 {
		return 0, 0, 0, false
	}
	return first, last, step, true
}

// getkeysProc is a Redis getkeys_proc: it appends the keys of argv to dst.
type getkeysProc func(argv [][]byte, dst []KeyRef) []KeyRef

// getkeysProcs attaches Redis 7.0's getkeys procedures (db.c *GetKeys) to
// the commands that have one. They are used when a command's key specs
// are incomplete, have variable flags or fail on the arguments. The
// movablekeys commands all have one, but GEORADIUS's and
// GEORADIUSBYMEMBER's (georadiusGetKeys) is left out: their specs (the
// key at 1, the key after STORE or STOREDIST) can never fail, so Redis
// never calls it. SET and BITFIELD have one for their variable flags.
var getkeysProcs = map[string]getkeysProc{
	"zunionstore": genericKeys(1, 2, 3),
	"zinterstore": genericKeys(1, 2, 3),
	"zdiffstore":  genericKeys(1, 2, 3),
	"zunion":      genericKeys(0, 1, 2),
	"zinter":      genericKeys(0, 1, 2),
	"zdiff":       genericKeys(0, 1, 2),
	"zintercard":  genericKeys(0, 1, 2),
	"sintercard":  genericKeys(0, 1, 2),
	"eval":        genericKeys(0, 2, 3),
	"evalsha":     genericKeys(0, 2, 3),
	"eval_ro":     genericKeys(0, 2, 3),
	"evalsha_ro":  genericKeys(0, 2, 3),
	"fcall":       genericKeys(0, 2, 3),
	"fcall_ro":    genericKeys(0, 2, 3),
	"lmpop":       genericKeys(0, 1, 2),
	"blmpop":      genericKeys(0, 2, 3),
	"zmpop":       genericKeys(0, 1, 2),
	"bzmpop":      genericKeys(0, 2, 3),
	"sort":        sortKeys,
	"sort_ro":     sortROKeys,
	"migrate":     migrateKeys,
	"xread":       xreadKeys,
	"xreadgroup":  xreadKeys,
	"set":         setKeys,
	"bitfield":    bitfieldKeys,
}

// genericKeys is Redis's genericGetKeys for "CMD [dest] numkeys key ...":
// the key count at index countIdx (parsed with atoi, as Redis does), the
// keys from firstIdx, then the destination at storeIdx when storeIdx > 0.
// Keys found this way carry no flags.
func genericKeys(storeIdx, countIdx, firstIdx int) getkeysProc {
	return func(argv [][]byte, dst []KeyRef) []KeyRef {
		if countIdx >= len(argv) {
			return dst
		}
		num := atoi(argv[countIdx])
		if num < 1 || num > len(argv)-firstIdx {
			return dst
		}
		for i := 0; i < num; i++ {
			dst = append(dst, KeyRef{Pos: firstIdx + i})
		}
		if storeIdx > 0 {
			dst = append(dst, KeyRef{Pos: storeIdx})
		}
		return dst
	}
}

// sortROKeys: SORT_RO's only key is the one it sorts.
func sortROKeys(argv [][]byte, dst []KeyRef) []KeyRef {
	return append(dst, KeyRef{Pos: 1, Flags: KeyRO | KeyAccess})
}

// sortKeys: SORT's key, and the key after the last STORE, skipping the
// arguments of LIMIT, GET and BY as Redis's sortGetKeys does.
func sortKeys(argv [][]byte, dst []KeyRef) []KeyRef {
	dst = append(dst, KeyRef{Pos: 1, Flags: KeyRO | KeyAccess})
	store := 0
	for i := 2; i < len(argv); i++ {
		switch a := argv[i]; {
		case equalFold(a, "limit"):
			i += 2
		case equalFold(a, "store") && i+1 < len(argv):
			store = i + 1
		case equalFold(a, "get"), equalFold(a, "by"):
			i++
		}
	}
	if store > 0 {
		dst = append(dst, KeyRef{Pos: store, Flags: KeyOW | KeyUpdate})
	}
	return dst
}

// migrateKeys: MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH
// pw] [AUTH2 user pw] [KEYS key ...]: the key at 3, or the keys after
// KEYS when argument 3 is empty.
func migrateKeys(argv [][]byte, dst []KeyRef) []KeyRef {
	first, num := 3, 1
	if len(argv) > 6 {
		for i := 6; i < len(argv); i++ {
			a := argv[i]
			if equalFold(a, "keys") {
				if len(argv[3]) > 0 {
					num = 0 // a syntax error MIGRATE reports itself
				} else {
					first = i + 1
					num = len(argv) - first
				}
				break
			}
			switch {
			case equalFold(a, "auth"):
				i++
			case equalFold(a, "auth2"):
				i += 2
			}
		}
	}
	for i := 0; i < num; i++ {
		dst = append(dst, KeyRef{Pos: first + i, Flags: KeyRW | KeyAccess | KeyDelete})
	}
	return dst
}

// xreadKeys: XREAD/XREADGROUP options up to STREAMS, then half of the
// remaining arguments are keys (the other half IDs); no flags.
func xreadKeys(argv [][]byte, dst []KeyRef) []KeyRef {
	streams := -1
loop:
	for i := 1; i < len(argv); i++ {
		switch a := argv[i]; {
		case equalFold(a, "block"), equalFold(a, "count"):
			i++
		case equalFold(a, "group"):
			i += 2
		case equalFold(a, "noack"):
		case equalFold(a, "streams"):
			streams = i
			break loop
		default:
			break loop
		}
	}
	if streams < 0 {
		return dst
	}
	num := len(argv) - streams - 1
	if num == 0 || num%2 != 0 {
		return dst
	}
	for i := streams + 1; i < len(argv)-num/2; i++ {
		dst = append(dst, KeyRef{Pos: i})
	}
	return dst
}

// setKeys: SET's key is read too when a GET argument follows the value.
func setKeys(argv [][]byte, dst []KeyRef) []KeyRef {
	for i := 3; i < len(argv); i++ {
		if equalFold(argv[i], "get") {
			return append(dst, KeyRef{Pos: 1, Flags: KeyRW | KeyAccess | KeyUpdate})
		}
	}
	return append(dst, KeyRef{Pos: 1, Flags: KeyOW | KeyUpdate})
}

// bitfieldKeys: BITFIELD's key is read-only when every operation is a
// well-formed GET or OVERFLOW.
func bitfieldKeys(argv [][]byte, dst []KeyRef) []KeyRef {
	readonly := true
	for i := 2; i < len(argv); i++ {
		rem := len(argv) - i - 1
		a := argv[i]
		if equalFold(a, "get") && rem >= 2 {
			i += 2
		} else if (equalFold(a, "set") || equalFold(a, "incrby")) && rem >= 3 {
			readonly = false
			break
		} else if equalFold(a, "overflow") && rem >= 1 {
			i++
		} else {
			readonly = false
			break
		}
	}
	if readonly {
		return append(dst, KeyRef{Pos: 1, Flags: KeyRO | KeyAccess})
	}
	return append(dst, KeyRef{Pos: 1, Flags: KeyRW | KeyAccess | KeyUpdate})
}

// equalFold reports whether b equals the ASCII string s, ignoring case, as
// C's strcasecmp. Redis compares NUL-terminated strings, so an argument
// with a NUL byte compares as its prefix; that case is not copied.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// atoi converts b as C's atoi (glibc: (int)strtol(b, NULL, 10)) does:
// leading white space, an optional sign, then as many digits as there
// are; strtol saturates at the int64 limits and the int conversion keeps
// the low 32 bits. No digits give 0.
func atoi(b []byte) int {
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	const big = 1<<63 + 1 // past both limits: saturated
	var v uint64
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if v > (1<<63)/10 {
			v = big
			continue
		}
		v = v*10 + uint64(b[i]-'0')
	}
	var n int64
	switch {
	case neg && v >= 1<<63:
		n = -1 << 63
	case neg:
		n = -int64(v)
	case v > 1<<63-1:
		n = 1<<63 - 1
	default:
		n = int64(v)
	}
	return int(int32(n))
}
