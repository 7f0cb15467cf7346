package librdb

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/kvkit/kvkit/internal/sds"
)

// Listpack layout (Redis 7.0 listpack.c): a 4-byte little-endian total size,
// a 2-byte element count (65535 = unknown), the entries, and a 0xFF end byte.
// Each entry is an encoding byte (plus length/data) followed by its
// "backlen", the size of encoding+data written as 1..5 bytes of 7 bits each,
// so the list can be walked backwards.

const (
	lpHeaderSize   = 6
	lpEnd          = 0xFF
	lpUnknownCount = 65535
)

var errListpack = errors.New("listpack: corrupt")

// ListpackEach checks the listpack lp and calls fn for every entry in order.
// It returns the number of entries. The header size, the count (unless it is
// the 65535 "unknown" marker), every entry's encoding and backlen and the
// end byte are verified, as lpValidateIntegrity does with deep checks.
func ListpackEach(lp []byte, fn func(Entry) error) (int, error) {
	if len(lp) < lpHeaderSize+1 {
		return 0, fmt.Errorf("%w: %d bytes is shorter than a header", errListpack, len(lp))
	}
	if total := binary.LittleEndian.Uint32(lp); int(total) != len(lp) {
		return 0, fmt.Errorf("%w: header says %d bytes, blob has %d", errListpack, total, len(lp))
	}
	count := int(binary.LittleEndian.Uint16(lp[4:]))
	p := lpHeaderSize
	n := 0
	for {
		if p >= len(lp) {
			return n, fmt.Errorf("%w: no end byte", errListpack)
		}
		if lp[p] == lpEnd {
			if p != len(lp)-1 {
				return n, fmt.Errorf("%w: end byte at %d before the end", errListpack, p)
			}
			break
		}
		e, size, err := lpEntry(lp[p:])
		if err != nil {
			return n, fmt.Errorf("%w at entry %d (byte %d)", err, n, p)
		}
		p += size
		bl, blSize := lpBacklen(size)
		if p+blSize > len(lp) {
			return n, fmt.Errorf("%w: backlen of entry %d past the end", errListpack, n)
		}
		for i := 0; i < blSize; i++ {
			if lp[p+i] != bl[i] {
				return n, fmt.Errorf("%w: bad backlen of entry %d (byte %d)", errListpack, n, p)
			}
		}
		p += blSize
		n++
		if fn != nil {
			if err := fn(e); err != nil {
				return n, err
			}
		}
	}
	if count != lpUnknownCount && count != n {
		return n, fmt.Errorf("%w: header count %d, found %d entries", errListpack, count, n)
	}
	return n, nil
}

// lpEntry decodes the entry at the start of b and returns it with the size
// of its encoding and data (without the backlen).
func lpEntry(b []byte) (Entry, int, error) {
	c := b[0]
	need := func(n int) error {
		if n > len(b) {
			return fmt.Errorf("%w: entry needs %d bytes, %d left", errListpack, n, len(b))
		}
		return nil
	}
	switch {
	case c&0x80 == 0: // 0xxxxxxx 7-bit unsigned
		return Entry{Int: int64(c & 0x7f), IsInt: true}, 1, nil
	case c&0xC0 == 0x80: // 10xxxxxx 6-bit string length
		n := int(c & 0x3f)
		if err := need(1 + n); err != nil {
			return Entry{}, 0, err
		}
		return Entry{Str: b[1 : 1+n]}, 1 + n, nil
	case c&0xE0 == 0xC0: // 110xxxxx 13-bit signed
		if err := need(2); err != nil {
			return Entry{}, 0, err
		}
		v := int64(uint64(c&0x1f)<<8 | uint64(b[1]))
		if v >= 1<<12 {
			v -= 1 << 13
		}
		return Entry{Int: v, IsInt: true}, 2, nil
	case c&0xF0 == 0xE0: // 1110xxxx 12-bit string length
		if err := need(2); err != nil {
			return Entry{}, 0, err
		}
		n := int(c&0x0f)<<8 | int(b[1])
		if err := need(2 + n); err != nil {
			return Entry{}, 0, err
		}
		return Entry{Str: b[2 : 2+n]}, 2 + n, nil
	}
	switch c {
	case 0xF0: // 32-bit string length
		if err := need(5); err != nil {
			return Entry{}, 0, err
		}
		n := int(binary.LittleEndian.Uint32(b[1:]))
		if n < 0 || n > len(b)-5 {
			return Entry{}, 0, fmt.Errorf("%w: string of %d bytes, %d left", errListpack, n, len(b)-5)
		}
		return Entry{Str: b[5 : 5+n]}, 5 + n, nil
	case 0xF1:
		if err := need(3); err != nil {
			return Entry{}, 0, err
		}
		return Entry{Int: int64(int16(binary.LittleEndian.Uint16(b[1:]))), IsInt: true}, 3, nil
	case 0xF2:
		if err := need(4); err != nil {
			return Entry{}, 0, err
		}
		v := int64(int32(uint32(b[1])<<8|uint32(b[2])<<16|uint32(b[3])<<24) >> 8)
		return Entry{Int: v, IsInt: true}, 4, nil
	case 0xF3:
		if err := need(5); err != nil {
			return Entry{}, 0, err
		}
		return Entry{Int: int64(int32(binary.LittleEndian.Uint32(b[1:]))), IsInt: true}, 5, nil
	case 0xF4:
		if err := need(9); err != nil {
			return Entry{}, 0, err
		}
		return Entry{Int: int64(binary.LittleEndian.Uint64(b[1:])), IsInt: true}, 9, nil
	}
	return Entry{}, 0, fmt.Errorf("%w: unknown encoding byte 0x%02x", errListpack, c)
}

// lpBacklen returns the backlen bytes for an entry of size l, in the order
// they are stored (listpack.c lpEncodeBacklen).
func lpBacklen(l int) ([5]byte, int) {
	var b [5]byte
	switch {
	case l <= 127:
		b[0] = byte(l)
		return b, 1
	case l < 16383:
		b[0] = byte(l >> 7)
		b[1] = byte(l&127) | 128
		return b, 2
	case l < 2097151:
		b[0] = byte(l >> 14)
		b[1] = byte((l>>7)&127) | 128
		b[2] = byte(l&127) | 128
		return b, 3
	case l < 268435455:
		b[0] = byte(l >> 21)
		b[1] = byte((l>>14)&127) | 128
		b[2] = byte((l>>7)&127) | 128
		b[3] = byte(l&127) | 128
		return b, 4
	default:
		b[0] = byte(l >> 28)
		b[1] = byte((l>>21)&127) | 128
		b[2] = byte((l>>14)&127) | 128
		b[3] = byte((l>>7)&127) | 128
		b[4] = byte(l&127) | 128
		return b, 5
	}
}

// ListpackBuilder writes a listpack as Redis 7.0's lpAppend does: strings
// that are canonical integers are stored in the smallest integer encoding.
// The zero value is ready to use.
type ListpackBuilder struct {
	buf   []byte
	count int
}

// Reset empties the builder, keeping its buffer.
func (b *ListpackBuilder) Reset() {
	b.buf = b.buf[:0]
	b.count = 0
}

// Len returns the number of entries appended so far.
func (b *ListpackBuilder) Len() int { return b.count }

// Size returns the size in bytes the finished listpack would have.
func (b *ListpackBuilder) Size() int { return lpHeaderSize + len(b.buf) + 1 }

// AppendString appends s, as an integer when it is one (sds.ParseInt).
func (b *ListpackBuilder) AppendString(s []byte) {
	if v, ok := sds.ParseInt(s); ok {
		b.AppendInt(v)
		return
	}
	start := len(b.buf)
	n := len(s)
	switch {
	case n < 64:
		b.buf = append(b.buf, 0x80|byte(n))
	case n < 4096:
		b.buf = append(b.buf, 0xE0|byte(n>>8), byte(n))
	default:
		b.buf = append(b.buf, 0xF0, byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
	}
	b.buf = append(b.buf, s...)
	b.finishEntry(start)
}

// AppendInt appends v in the smallest integer encoding.
func (b *ListpackBuilder) AppendInt(v int64) {
	start := len(b.buf)
	switch {
	case v >= 0 && v <= 127:
		b.buf = append(b.buf, byte(v))
	case v >= -4096 && v <= 4095:
		u := uint64(v) & 0x1fff
		b.buf = append(b.buf, 0xC0|byte(u>>8), byte(u))
	case v >= -32768 && v <= 32767:
		b.buf = append(b.buf, 0xF1, byte(v), byte(v>>8))
	case v >= -8388608 && v <= 8388607:
		b.buf = append(b.buf, 0xF2, byte(v), byte(v>>8), byte(v>>16))
	case v >= -2147483648 && v <= 2147483647:
		b.buf = append(b.buf, 0xF3, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
	default:
		b.buf = binary.LittleEndian.AppendUint64(append(b.buf, 0xF4), uint64(v))
	}
	b.finishEntry(start)
}

func (b *ListpackBuilder) finishEntry(start int) {
	bl, n := lpBacklen(len(b.buf) - start)
	b.buf = append(b.buf, bl[:n]...)
	b.count++
}

// AppendTo appends the finished listpack to dst and returns it. The count
// field saturates at 65535 ("unknown"), as in Redis.
func (b *ListpackBuilder) AppendTo(dst []byte) []byte {
	total := b.Size()
	count := b.count
	if count >= lpUnknownCount {
		count = lpUnknownCount
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(total))
	dst = binary.LittleEndian.AppendUint16(dst, uint16(count))
	dst = append(dst, b.buf...)
	return append(dst, lpEnd)
}
