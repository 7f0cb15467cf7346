package listpack

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrCorrupt is wrapped by every error Validate returns for malformed bytes.
var ErrCorrupt = errors.New("listpack: corrupt")

// Validate checks lp as Redis 7.0's lpValidateIntegrity does, so that
// bytes from an RDB file or a RESTORE payload are accepted exactly when
// Redis accepts them. It always checks the header (at least 7 bytes, the
// total size equal to len(lp)) and the end byte. With deep it also walks
// every entry: a known encoding, the entry inside lp before the end byte,
// a backlen that decodes to the entry's size, the end byte directly after
// the last entry, and the header count (unless 65535) equal to the number
// of entries. each, if not nil, is called with every entry's position
// after that entry is checked; its error stops the walk and is returned.
// Errors wrap ErrCorrupt and say what is wrong and at which byte.
func Validate(lp []byte, deep bool, each func(p int) error) error {
	if len(lp) < headerSize+1 {
		return fmt.Errorf("%w: %d bytes is shorter than the 7-byte minimum", ErrCorrupt, len(lp))
	}
	if total := binary.LittleEndian.Uint32(lp); int64(total) != int64(len(lp)) {
		return fmt.Errorf("%w: header says %d bytes, have %d", ErrCorrupt, total, len(lp))
	}
	if lp[len(lp)-1] != end {
		return fmt.Errorf("%w: last byte is 0x%02x, not the 0xff end byte", ErrCorrupt, lp[len(lp)-1])
	}
	if !deep {
		return nil
	}
	last := len(lp) - 1 // position of the end byte
	count := 0
	p := headerSize
	for lp[p] != end {
		c := lp[p]
		lenBytes := 1
		switch {
		case c&0xF0 == enc12BitStr:
			lenBytes = 2
		case c == enc32BitStr:
			lenBytes = 5
		case c > enc64BitInt:
			return fmt.Errorf("%w: entry %d at byte %d: unknown encoding 0x%02x", ErrCorrupt, count, p, c)
		}
		if p+lenBytes > last {
			return fmt.Errorf("%w: entry %d at byte %d: encoding runs past the end", ErrCorrupt, count, p)
		}
		size := encodedSize(lp, p)
		bl := backlenSize(size)
		if size+bl > last-p {
			return fmt.Errorf("%w: entry %d at byte %d: %d bytes run past the end", ErrCorrupt, count, p, size+bl)
		}
		next := p + size + bl
		if l, ok := decodeBacklen(lp, next-1); !ok || l != size {
			return fmt.Errorf("%w: entry %d at byte %d: backlen does not match its size %d", ErrCorrupt, count, p, size)
		}
		if each != nil {
			if err := each(p); err != nil {
				return err
			}
		}
		count++
		p = next
	}
	if p != last {
		return fmt.Errorf("%w: end byte at %d, before the last byte %d", ErrCorrupt, p, last)
	}
	if n := headerCount(lp); n != unknownCount && n != count {
		return fmt.Errorf("%w: header count %d, found %d entries", ErrCorrupt, n, count)
	}
	return nil
}
