package librdb

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Intset layout (Redis intset.c): 4-byte element width (2, 4 or 8), 4-byte
// count, then the integers sorted ascending, all little-endian.

var errIntset = errors.New("intset: corrupt")

// IntsetEach checks the intset is and calls fn for every member in order,
// returning the count. Width, size, and strict ascending order (no
// duplicates) are verified, as intsetValidateIntegrity does.
func IntsetEach(is []byte, fn func(int64) error) (int, error) {
	if len(is) < 8 {
		return 0, fmt.Errorf("%w: %d bytes is shorter than a header", errIntset, len(is))
	}
	width := int(binary.LittleEndian.Uint32(is))
	if width != 2 && width != 4 && width != 8 {
		return 0, fmt.Errorf("%w: element width %d", errIntset, width)
	}
	count := uint64(binary.LittleEndian.Uint32(is[4:]))
	if count == 0 || uint64(len(is)-8) != count*uint64(width) {
		return 0, fmt.Errorf("%w: %d elements of %d bytes do not fill %d bytes", errIntset, count, width, len(is)-8)
	}
	var prev int64
	for i := 0; i < int(count); i++ {
		p := is[8+i*width:]
		var v int64
		switch width {
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(p)))
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(p)))
		default:
			v = int64(binary.LittleEndian.Uint64(p))
		}
		if i > 0 && v <= prev {
			return i, fmt.Errorf("%w: element %d (%d) not above the previous (%d)", errIntset, i, v, prev)
		}
		prev = v
		if fn != nil {
			if err := fn(v); err != nil {
				return i + 1, err
			}
		}
	}
	return int(count), nil
}

// AppendIntset appends the intset holding vs (which must be sorted
// ascending without duplicates) in the smallest width that fits them all.
func AppendIntset(dst []byte, vs []int64) []byte {
	width := 2
	for _, v := range vs {
		if v < -2147483648 || v > 2147483647 {
			width = 8
			break
		}
		if v < -32768 || v > 32767 {
			width = 4
		}
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(width))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(vs)))
	for _, v := range vs {
		switch width {
		case 2:
			dst = binary.LittleEndian.AppendUint16(dst, uint16(v))
		case 4:
			dst = binary.LittleEndian.AppendUint32(dst, uint32(v))
		default:
			dst = binary.LittleEndian.AppendUint64(dst, uint64(v))
		}
	}
	return dst
}
