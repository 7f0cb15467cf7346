package librdb

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Ziplist layout (Redis 6 ziplist.c; RDB versions up to 9 store lists,
// hashes and sorted sets this way): 4-byte total size, 4-byte offset of the
// last entry, 2-byte count (65535 = unknown), entries, 0xFF. An entry is
// <prevlen><encoding><data>; prevlen is 1 byte, or 0xFE and 4 bytes.

var errZiplist = errors.New("ziplist: corrupt")

// ZiplistEach checks the ziplist zl and calls fn for every entry in order,
// returning the number of entries. It verifies the header, each entry's
// prevlen against the previous entry's size, the tail offset and the count
// (ziplistValidateIntegrity with deep checks).
func ZiplistEach(zl []byte, fn func(Entry) error) (int, error) {
	if len(zl) < 11 {
		return 0, fmt.Errorf("%w: %d bytes is shorter than a header", errZiplist, len(zl))
	}
	if total := binary.LittleEndian.Uint32(zl); int(total) != len(zl) {
		return 0, fmt.Errorf("%w: header says %d bytes, blob has %d", errZiplist, total, len(zl))
	}
	tail := int(binary.LittleEndian.Uint32(zl[4:]))
	count := int(binary.LittleEndian.Uint16(zl[8:]))
	p, prevSize, lastStart, n := 10, 0, 10, 0
	for {
		if p >= len(zl) {
			return n, fmt.Errorf("%w: no end byte", errZiplist)
		}
		if zl[p] == 0xFF {
			if p != len(zl)-1 {
				return n, fmt.Errorf("%w: end byte at %d before the end", errZiplist, p)
			}
			break
		}
		start := p
		var prev int
		if zl[p] < 0xFE {
			prev = int(zl[p])
			p++
		} else {
			if zl[p] == 0xFF || p+5 > len(zl) {
				return n, fmt.Errorf("%w: bad prevlen at byte %d", errZiplist, p)
			}
			prev = int(binary.LittleEndian.Uint32(zl[p+1:]))
			p += 5
		}
		if prev != prevSize {
			return n, fmt.Errorf("%w: entry %d prevlen %d, previous entry has %d bytes", errZiplist, n, prev, prevSize)
		}
		if p >= len(zl) {
			return n, fmt.Errorf("%w: entry %d truncated", errZiplist, n)
		}
		e, size, err := zlEntry(zl[p : len(zl)-1])
		if err != nil {
			return n, fmt.Errorf("%w at entry %d (byte %d)", err, n, p)
		}
		p += size
		prevSize = p - start
		lastStart = start
		n++
		if fn != nil {
			if err := fn(e); err != nil {
				return n, err
			}
		}
	}
	if n > 0 && tail != lastStart || n == 0 && tail != 10 {
		return n, fmt.Errorf("%w: tail offset %d, last entry at %d", errZiplist, tail, lastStart)
	}
	if count != 65535 && count != n {
		return n, fmt.Errorf("%w: header count %d, found %d entries", errZiplist, count, n)
	}
	return n, nil
}

// zlEntry decodes the encoding and data at the start of b.
func zlEntry(b []byte) (Entry, int, error) {
	need := func(n int) error {
		if n > len(b) {
			return fmt.Errorf("%w: entry needs %d bytes, %d left", errZiplist, n, len(b))
		}
		return nil
	}
	if len(b) == 0 {
		return Entry{}, 0, need(1)
	}
	c := b[0]
	switch c >> 6 {
	case 0:
		n := int(c & 0x3f)
		if err := need(1 + n); err != nil {
			return Entry{}, 0, err
		}
		return Entry{Str: b[1 : 1+n]}, 1 + n, nil
	case 1:
		if err := need(2); err != nil {
			return Entry{}, 0, err
		}
		n := int(c&0x3f)<<8 | int(b[1])
		if err := need(2 + n); err != nil {
			return Entry{}, 0, err
		}
		return Entry{Str: b[2 : 2+n]}, 2 + n, nil
	case 2:
		if err := need(5); err != nil {
			return Entry{}, 0, err
		}
		n := int(binary.BigEndian.Uint32(b[1:]))
		if n > len(b)-5 {
			return Entry{}, 0, fmt.Errorf("%w: string of %d bytes, %d left", errZiplist, n, len(b)-5)
		}
		return Entry{Str: b[5 : 5+n]}, 5 + n, nil
	}
	switch c {
	case 0xC0:
		if err := need(3); err != nil {
			return Entry{}, 0, err
		}
		return Entry{Int: int64(int16(binary.LittleEndian.Uint16(b[1:]))), IsInt: true}, 3, nil
	case 0xD0:
		if err := need(5); err != nil {
			return Entry{}, 0, err
		}
		return Entry{Int: int64(int32(binary.LittleEndian.Uint32(b[1:]))), IsInt: true}, 5, nil
	case 0xE0:
		if err := need(9); err != nil {
			return Entry{}, 0, err
		}
		return Entry{Int: int64(binary.LittleEndian.Uint64(b[1:])), IsInt: true}, 9, nil
	case 0xF0:
		if err := need(4); err != nil {
			return Entry{}, 0, err
		}
		v := int64(int32(uint32(b[1])<<8|uint32(b[2])<<16|uint32(b[3])<<24) >> 8)
		return Entry{Int: v, IsInt: true}, 4, nil
	case 0xFE:
		if err := need(2); err != nil {
			return Entry{}, 0, err
		}
		return Entry{Int: int64(int8(b[1])), IsInt: true}, 2, nil
	}
	if c >= 0xF1 && c <= 0xFD {
		return Entry{Int: int64(c&0x0f) - 1, IsInt: true}, 1, nil
	}
	return Entry{}, 0, fmt.Errorf("%w: unknown encoding byte 0x%02x", errZiplist, c)
}
