package librdb

import (
	"bytes"
	"errors"
	"io"
)

// reader is a buffered reader that knows the stream offset of every byte
// and keeps the running CRC64 of what has been consumed. Slices it returns
// alias its buffer and are valid until the next read.
type reader struct {
	src    io.Reader
	buf    []byte
	r, w   int
	base   int64 // stream offset of buf[0]
	crc    uint64
	crcPos int // buf[:crcPos] is already in crc
	eof    bool
	fills  int
	// capturing copies every consumed byte to captured (raw module
	// payloads).
	capturing bool
	captured  []byte
}

// The buffer starts small, so that decoding a short input (a DUMP
// payload, a fuzz input) costs little, and grows to readerBufSize once the
// input proves long.
const (
	readerBufStart = 64 << 10
	readerBufSize  = 1 << 20
)

func newReader(src io.Reader) *reader {
	return &reader{src: src, buf: make([]byte, readerBufStart)}
}

// offset returns the stream offset of the next byte to be consumed.
func (r *reader) offset() int64 { return r.base + int64(r.r) }

// sum returns the CRC64 of every byte consumed so far.
func (r *reader) sum() uint64 {
	r.crc = CRC64(r.crc, r.buf[r.crcPos:r.r])
	r.crcPos = r.r
	return r.crc
}

// fill moves unconsumed bytes to the front of the buffer and reads more.
// It returns io.ErrUnexpectedEOF when the source has no more.
func (r *reader) fill() error {
	if r.eof {
		return io.ErrUnexpectedEOF
	}
	r.sum()
	if r.fills++; r.fills == 4 && len(r.buf) < readerBufSize {
		nb := make([]byte, readerBufSize)
		copy(nb, r.buf[:r.w])
		r.buf = nb
	}
	if r.r > 0 {
		n := copy(r.buf, r.buf[r.r:r.w])
		r.base += int64(r.r)
		r.w = n
		r.r = 0
		r.crcPos = 0
	}
	for tries := 0; tries < 100; tries++ {
		n, err := r.src.Read(r.buf[r.w:])
		r.w += n
		if err != nil {
			if errors.Is(err, io.EOF) {
				r.eof = true
				if n > 0 {
					return nil
				}
				return io.ErrUnexpectedEOF
			}
			return err
		}
		if n > 0 {
			return nil
		}
	}
	return io.ErrNoProgress
}

// ensure makes n <= len(buf) bytes available.
func (r *reader) ensure(n int) error {
	for r.w-r.r < n {
		if err := r.fill(); err != nil {
			return err
		}
	}
	return nil
}

func (r *reader) readByte() (byte, error) {
	if r.r == r.w {
		if err := r.fill(); err != nil {
			return 0, err
		}
	}
	b := r.buf[r.r]
	r.r++
	if r.capturing {
		r.captured = append(r.captured, b)
	}
	return b, nil
}

// peek returns up to n buffered bytes without consuming them (fewer only
// at the end of the stream).
func (r *reader) peek(n int) []byte {
	for r.w-r.r < n && r.fill() == nil {
	}
	if r.w-r.r < n {
		n = r.w - r.r
	}
	return r.buf[r.r : r.r+n]
}

// next consumes n bytes (n <= readerBufStart) and returns them in place.
func (r *reader) next(n int) ([]byte, error) {
	if err := r.ensure(n); err != nil {
		return nil, err
	}
	b := r.buf[r.r : r.r+n]
	r.r += n
	if r.capturing {
		r.captured = append(r.captured, b...)
	}
	return b, nil
}

// appendN consumes n bytes and appends them to dst. dst grows with the
// data actually read, so a corrupt length cannot cause an allocation larger
// than the input.
func (r *reader) appendN(dst []byte, n uint64) ([]byte, error) {
	for n > 0 {
		if r.r == r.w {
			if err := r.fill(); err != nil {
				return dst, err
			}
		}
		k := r.w - r.r
		if uint64(k) > n {
			k = int(n)
		}
		dst = append(dst, r.buf[r.r:r.r+k]...)
		if r.capturing {
			r.captured = append(r.captured, r.buf[r.r:r.r+k]...)
		}
		r.r += k
		n -= uint64(k)
	}
	return dst, nil
}

// skip consumes n bytes.
func (r *reader) skip(n uint64) error {
	for n > 0 {
		if r.r == r.w {
			if err := r.fill(); err != nil {
				return err
			}
		}
		k := r.w - r.r
		if uint64(k) > n {
			k = int(n)
		}
		if r.capturing {
			r.captured = append(r.captured, r.buf[r.r:r.r+k]...)
		}
		r.r += k
		n -= uint64(k)
	}
	return nil
}

// rest returns the unconsumed bytes followed by the rest of the source.
func (r *reader) rest() io.Reader {
	return io.MultiReader(bytes.NewReader(r.buf[r.r:r.w]), r.src)
}
