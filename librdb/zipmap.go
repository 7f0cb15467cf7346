package librdb

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Zipmap layout (Redis 2.x zipmap.c, RDB type 9): a count byte (254 means
// "count it"), then <len>key<len><free>value<free bytes> pairs, then
// 0xFF. A len is one byte below 254, or 254 and a 4-byte little-endian
// length.

var errZipmap = errors.New("zipmap: corrupt")

// ZipmapEach checks the zipmap zm and calls fn for every field/value pair,
// returning the number of pairs.
func ZipmapEach(zm []byte, fn func(field, value []byte) error) (int, error) {
	if len(zm) < 2 {
		return 0, fmt.Errorf("%w: %d bytes is too short", errZipmap, len(zm))
	}
	count := int(zm[0])
	p, n := 1, 0
	readLen := func() (int, error) {
		if p >= len(zm) {
			return 0, fmt.Errorf("%w: truncated at byte %d", errZipmap, p)
		}
		if zm[p] < 254 {
			p++
			return int(zm[p-1]), nil
		}
		if zm[p] == 255 || p+5 > len(zm) {
			return 0, fmt.Errorf("%w: bad length at byte %d", errZipmap, p)
		}
		l := int(binary.LittleEndian.Uint32(zm[p+1:]))
		p += 5
		return l, nil
	}
	for {
		if p >= len(zm) {
			return n, fmt.Errorf("%w: no end byte", errZipmap)
		}
		if zm[p] == 0xFF {
			if p != len(zm)-1 {
				return n, fmt.Errorf("%w: end byte at %d before the end", errZipmap, p)
			}
			break
		}
		kl, err := readLen()
		if err != nil {
			return n, err
		}
		if kl > len(zm)-p {
			return n, fmt.Errorf("%w: field of %d bytes past the end", errZipmap, kl)
		}
		field := zm[p : p+kl]
		p += kl
		vl, err := readLen()
		if err != nil {
			return n, err
		}
		if p >= len(zm) {
			return n, fmt.Errorf("%w: truncated at byte %d", errZipmap, p)
		}
		free := int(zm[p])
		p++
		if vl > len(zm)-p || free > len(zm)-p-vl {
			return n, fmt.Errorf("%w: value of %d+%d bytes past the end", errZipmap, vl, free)
		}
		value := zm[p : p+vl]
		p += vl + free
		n++
		if fn != nil {
			if err := fn(field, value); err != nil {
				return n, err
			}
		}
	}
	// Only 254 means "count unknown"; 255 is not a valid count byte
	// (zipmapValidateIntegrity).
	if count != 254 && count != n {
		return n, fmt.Errorf("%w: header count %d, found %d pairs", errZipmap, count, n)
	}
	return n, nil
}
