package librdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/pierrec/lz4/v4"
)

// Error is a decoding error: what went wrong and where. Offset is the byte
// offset in the (decompressed) RDB stream where the problem was detected;
// Key and KeyOffset name the key being decoded, if any.
type Error struct {
	Offset    int64
	Key       []byte // nil outside a key
	KeyOffset int64
	Err       error
}

// Error formats the error as "rdb: offset N: [key K (at offset M): ]reason".
func (e *Error) Error() string {
	if e.Key != nil {
		return fmt.Sprintf("rdb: offset %d: key %q (at offset %d): %v", e.Offset, e.Key, e.KeyOffset, e.Err)
	}
	return fmt.Sprintf("rdb: offset %d: %v", e.Offset, e.Err)
}

// Unwrap returns the underlying reason.
func (e *Error) Unwrap() error { return e.Err }

// ErrChecksum is wrapped by the error for a CRC64 trailer that does not
// match the file.
var ErrChecksum = errors.New("wrong RDB checksum")

// lz4Magic starts an lz4 frame (lz4 frame format spec), little-endian
// 0x184D2204.
var lz4Magic = []byte{0x04, 0x22, 0x4D, 0x18}

// Decoder reads one RDB file from a stream. Memory use is bounded by the
// largest single string, ziplist, listpack or stream consumer group in the
// file (plus a read buffer of at most 1 MiB), never by the number or size
// of keys: collection elements are handed to the Visitor one by one.
type Decoder struct {
	r       *reader
	version int
	valkey  bool
	key     Key
	keyBuf  []byte
	inKey   bool
	bufs    [3][]byte
	lzf     []byte
	fields  [][]byte
	entry   StreamEntry
	// VerifyChecksum, true by default, makes Decode check the CRC64 trailer.
	VerifyChecksum bool
	// KeepModules makes Decode keep module payloads in Module.Raw, so that
	// an Encoder can write them back (the value is then held in memory).
	KeepModules bool
	seen        map[string]struct{} // duplicate check within one compact blob
	entriesBuf  []Entry
	intArena    []byte
	lp          ListpackBuilder // quicklist 1 nodes converted to listpacks
}

// NewDecoder returns a Decoder reading from src. A stream that starts with
// the lz4 frame magic is decompressed transparently (kvkit's .rdb.lz4).
func NewDecoder(src io.Reader) *Decoder {
	r := newReader(src)
	if bytes.Equal(r.peek(4), lz4Magic) {
		r = newReader(lz4.NewReader(r.rest()))
	}
	return &Decoder{r: r, VerifyChecksum: true}
}

// Offset returns the number of bytes of RDB data consumed so far.
func (d *Decoder) Offset() int64 { return d.r.offset() }

// Version returns the RDB version read from the header (0 before Decode).
func (d *Decoder) Version() int { return d.version }

// Rest returns the input that follows the RDB data (after the checksum):
// the AOF tail of a file with an RDB preamble. Call it after Decode.
func (d *Decoder) Rest() io.Reader { return d.r.rest() }

func (d *Decoder) errorf(format string, args ...any) error {
	return d.wrap(fmt.Errorf(format, args...))
}

func (d *Decoder) wrap(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = errors.New("unexpected end of file")
	}
	e = &Error{Offset: d.r.offset(), Err: err}
	if d.inKey {
		e.Key = bytes.Clone(d.key.Key)
		e.KeyOffset = d.key.Offset
	}
	return e
}

// Decode reads the whole RDB file, calling v for every record, and checks
// the trailing CRC64. Errors from the file are *Error; errors returned by v
// are returned as they are.
func (d *Decoder) Decode(v Visitor) error {
	if err := d.decode(v); err != nil {
		if _, ok := err.(visitorError); ok {
			return err.(visitorError).err
		}
		return d.wrap(err)
	}
	return nil
}

// visitorError marks an error returned by the Visitor so Decode passes it
// through untouched.
type visitorError struct{ err error }

func (e visitorError) Error() string { return e.err.Error() }

func call(err error) error {
	if err != nil {
		return visitorError{err}
	}
	return nil
}

func (d *Decoder) decode(v Visitor) error {
	hdr, err := d.r.next(9)
	if err != nil {
		return d.errorf("file too short for an RDB header")
	}
	switch {
	case bytes.HasPrefix(hdr, []byte("REDIS")):
		n, err := strconv.Atoi(string(hdr[5:]))
		if err != nil || n < 1 {
			return d.errorf("bad RDB version %q", hdr[5:])
		}
		d.version = n
	case bytes.HasPrefix(hdr, []byte("VALKEY")):
		n, err := strconv.Atoi(string(hdr[6:]))
		if err != nil || n < 80 {
			return d.errorf("bad Valkey RDB version %q", hdr[6:])
		}
		d.version, d.valkey = n, true
	default:
		return d.errorf("wrong signature %q: not an RDB file", hdr[:5])
	}
	if err := call(v.Header(d.version, d.valkey)); err != nil {
		return err
	}
	db := 0
	for {
		start := d.r.offset()
		k := &d.key
		k.Expire, k.Idle, k.Freq = -1, -1, -1
		k.Offset = start
		var op byte
		// Expiry, idle and freq prefix the key they belong to.
		for {
			if op, err = d.r.readByte(); err != nil {
				return err
			}
			if op == OpExpireTime {
				b, err := d.r.next(4)
				if err != nil {
					return err
				}
				k.Expire = int64(int32(binary.LittleEndian.Uint32(b))) * 1000
			} else if op == OpExpireTimeMs {
				if k.Expire, err = d.readMillis(); err != nil {
					return err
				}
			} else if op == OpIdle {
				idle, _, err := d.readLen()
				if err != nil {
					return err
				}
				k.Idle = int64(idle)
			} else if op == OpFreq {
				f, err := d.r.readByte()
				if err != nil {
					return err
				}
				k.Freq = int(f)
			} else {
				break
			}
		}
		switch op {
		case OpEOF:
			var sum uint64
			if d.version >= 5 {
				computed := d.r.sum()
				b, err := d.r.next(8)
				if err != nil {
					return d.errorf("checksum missing after the EOF opcode")
				}
				sum = binary.LittleEndian.Uint64(b)
				if d.VerifyChecksum && sum != 0 && sum != computed {
					return d.wrap(fmt.Errorf("%w: file has %016x, computed %016x", ErrChecksum, sum, computed))
				}
			}
			return call(v.End(sum))
		case OpSelectDB:
			n, _, err := d.readLen()
			if err != nil {
				return err
			}
			if n > math.MaxInt32 {
				return d.errorf("database number %d out of range", n)
			}
			db = int(n)
			if err := call(v.SelectDB(db)); err != nil {
				return err
			}
		case OpResizeDB:
			a, _, err := d.readLen()
			if err != nil {
				return err
			}
			b, _, err := d.readLen()
			if err != nil {
				return err
			}
			if err := call(v.ResizeDB(a, b)); err != nil {
				return err
			}
		case OpSlotInfo:
			var x [3]uint64
			for i := range x {
				if x[i], _, err = d.readLen(); err != nil {
					return err
				}
			}
			if err := call(v.SlotInfo(x[0], x[1], x[2])); err != nil {
				return err
			}
		case OpAux:
			if d.bufs[0], err = d.readString(d.bufs[0]); err != nil {
				return err
			}
			if d.bufs[1], err = d.readString(d.bufs[1]); err != nil {
				return err
			}
			if err := call(v.Aux(d.bufs[0], d.bufs[1])); err != nil {
				return err
			}
		case OpModuleAux:
			m := &Module{}
			if m.ID, _, err = d.readLen(); err != nil {
				return err
			}
			m.Name, m.EncVersion = moduleName(m.ID)
			opc, _, err := d.readLen()
			if err != nil {
				return err
			}
			if opc != moduleOpUint {
				return d.errorf("module %s aux: 'when' opcode %d is not an unsigned integer", m.Name, opc)
			}
			if m.When, _, err = d.readLen(); err != nil {
				return err
			}
			if err := d.readModule(m); err != nil {
				return err
			}
			if err := call(v.ModuleAux(m)); err != nil {
				return err
			}
		case OpFunction2:
			f := &Function{}
			if d.bufs[0], err = d.readString(d.bufs[0]); err != nil {
				return err
			}
			f.Code = d.bufs[0]
			f.Engine, f.Name = parseShebang(f.Code)
			if err := call(v.Function(f)); err != nil {
				return err
			}
		case OpFunctionPreGA:
			f := &Function{PreGA: true}
			for i := 0; i < 2; i++ {
				if d.bufs[i], err = d.readString(d.bufs[i]); err != nil {
					return err
				}
			}
			f.Name, f.Engine = string(d.bufs[0]), string(d.bufs[1])
			hasDesc, _, err := d.readLen()
			if err != nil {
				return err
			}
			if hasDesc != 0 {
				if d.bufs[2], err = d.readString(d.bufs[2]); err != nil {
					return err
				}
				f.Description = string(d.bufs[2])
			}
			if d.bufs[0], err = d.readString(d.bufs[0]); err != nil {
				return err
			}
			f.Code = d.bufs[0]
			if err := call(v.Function(f)); err != nil {
				return err
			}
		default:
			kind, enc, ok := typeInfo(op)
			if !ok {
				return d.errorf("unknown RDB object type or opcode %d", op)
			}
			k.DB, k.Kind, k.RDBType, k.Encoding = db, kind, op, enc
			k.FieldTTLs = op >= TypeHashMetadataPreGA && op <= TypeHashListpackEx
			if d.keyBuf, err = d.readString(d.keyBuf); err != nil {
				return err
			}
			k.Key = d.keyBuf
			d.inKey = true
			if err := call(v.BeginKey(k)); err != nil {
				return err
			}
			if err := d.readValue(v, k); err != nil {
				return err
			}
			if err := call(v.EndKey(k)); err != nil {
				return err
			}
			d.inKey = false
		}
	}
}

// parseShebang reads "#!<engine> name=<name> ..." from a library's code.
func parseShebang(code []byte) (engine, name string) {
	line := code
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	if !bytes.HasPrefix(line, []byte("#!")) {
		return "", ""
	}
	parts := bytes.Fields(line[2:])
	if len(parts) == 0 {
		return "", ""
	}
	engine = string(parts[0])
	for _, p := range parts[1:] {
		if v, ok := bytes.CutPrefix(p, []byte("name=")); ok {
			name = string(v)
		}
	}
	return engine, name
}

// readMillis reads an 8-byte little-endian millisecond time.
func (d *Decoder) readMillis() (int64, error) {
	b, err := d.r.next(8)
	if err != nil {
		return 0, err
	}
	return int64(binary.LittleEndian.Uint64(b)), nil
}

// String encodings flagged by the top bits of a length (rdb.h).
const (
	encInt8  = 0
	encInt16 = 1
	encInt32 = 2
	encLZF   = 3
)

// readLen reads an RDB length. encoded is true for the 11xxxxxx special
// string encodings; then n is the encoding type.
func (d *Decoder) readLen() (n uint64, encoded bool, err error) {
	b, err := d.r.readByte()
	if err != nil {
		return 0, false, err
	}
	switch b >> 6 {
	case 0:
		return uint64(b & 0x3f), false, nil
	case 1:
		c, err := d.r.readByte()
		if err != nil {
			return 0, false, err
		}
		return uint64(b&0x3f)<<8 | uint64(c), false, nil
	case 2:
		switch b {
		case 0x80:
			p, err := d.r.next(4)
			if err != nil {
				return 0, false, err
			}
			return uint64(binary.BigEndian.Uint32(p)), false, nil
		case 0x81:
			p, err := d.r.next(8)
			if err != nil {
				return 0, false, err
			}
			return binary.BigEndian.Uint64(p), false, nil
		}
		return 0, false, d.errorf("unknown length encoding 0x%02x", b)
	}
	return uint64(b & 0x3f), true, nil
}

// readCount reads a length that counts following items, each at least one
// byte, so a count beyond what a 64-bit offset allows is surely corrupt.
func (d *Decoder) readCount(what string) (uint64, error) {
	n, enc, err := d.readLen()
	if err != nil {
		return 0, err
	}
	if enc || n > math.MaxInt64/2 {
		return 0, d.errorf("bad %s count", what)
	}
	return n, nil
}

// readString reads an RDB string into dst[:0] (integers in decimal, LZF
// decompressed) and returns it.
func (d *Decoder) readString(dst []byte) ([]byte, error) {
	n, enc, err := d.readLen()
	if err != nil {
		return dst[:0], err
	}
	if !enc {
		return d.r.appendN(dst[:0], n)
	}
	switch n {
	case encInt8:
		b, err := d.r.readByte()
		if err != nil {
			return dst[:0], err
		}
		return strconv.AppendInt(dst[:0], int64(int8(b)), 10), nil
	case encInt16:
		b, err := d.r.next(2)
		if err != nil {
			return dst[:0], err
		}
		return strconv.AppendInt(dst[:0], int64(int16(binary.LittleEndian.Uint16(b))), 10), nil
	case encInt32:
		b, err := d.r.next(4)
		if err != nil {
			return dst[:0], err
		}
		return strconv.AppendInt(dst[:0], int64(int32(binary.LittleEndian.Uint32(b))), 10), nil
	case encLZF:
		clen, _, err := d.readLen()
		if err != nil {
			return dst[:0], err
		}
		ulen, _, err := d.readLen()
		if err != nil {
			return dst[:0], err
		}
		// An LZF item of at most 3 bytes yields at most 264 bytes, so a
		// larger claimed length is corrupt; checking first keeps a bad
		// length from causing a huge allocation.
		if ulen > clen*88+32 || ulen > math.MaxInt32*4 {
			return dst[:0], d.errorf("LZF string claims %d bytes from %d compressed", ulen, clen)
		}
		if d.lzf, err = d.r.appendN(d.lzf[:0], clen); err != nil {
			return dst[:0], err
		}
		out, err := LZFDecompress(dst[:0], d.lzf, int(ulen))
		if err != nil {
			return dst[:0], d.wrap(err)
		}
		return out, nil
	}
	return dst[:0], d.errorf("unknown string encoding %d", n)
}

// skipString consumes an RDB string without keeping it.
func (d *Decoder) skipString() error {
	n, enc, err := d.readLen()
	if err != nil {
		return err
	}
	if !enc {
		return d.r.skip(n)
	}
	switch n {
	case encInt8:
		return d.r.skip(1)
	case encInt16:
		return d.r.skip(2)
	case encInt32:
		return d.r.skip(4)
	case encLZF:
		clen, _, err := d.readLen()
		if err != nil {
			return err
		}
		if _, _, err := d.readLen(); err != nil {
			return err
		}
		return d.r.skip(clen)
	}
	return d.errorf("unknown string encoding %d", n)
}

// readDouble reads the string-encoded double of RDB type 3 zsets: a length
// byte (253 NaN, 254 +inf, 255 -inf) and that many ASCII bytes.
func (d *Decoder) readDouble() (float64, error) {
	n, err := d.r.readByte()
	if err != nil {
		return 0, err
	}
	switch n {
	case 253:
		return math.NaN(), nil
	case 254:
		return math.Inf(1), nil
	case 255:
		return math.Inf(-1), nil
	}
	b, err := d.r.next(int(n))
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, d.errorf("bad double %q", b)
	}
	return f, nil
}

func (d *Decoder) readBinaryDouble() (float64, error) {
	b, err := d.r.next(8)
	if err != nil {
		return 0, err
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b)), nil
}
