package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/kvkit/kvkit/libaof"
	"github.com/kvkit/kvkit/librdb"
)

// maxRDBVersion is the newest RDB version Redis 7.0 loads (rdb.h
// RDB_VERSION): a preamble written by a newer Redis stops 7.0 from starting.
const maxRDBVersion = 10

// preambleChecker validates an RDB preamble with librdb: the whole RDB is
// decoded (every key, every encoding) and its CRC64 checked, as
// redis-check-rdb does for redis-check-aof.
func preambleChecker(r io.Reader) (int64, error) {
	d := librdb.NewDecoder(r)
	if err := d.Decode(librdb.NopVisitor{}); err != nil {
		var e *librdb.Error
		if errors.As(err, &e) {
			reason := e.Err.Error()
			if e.Key != nil {
				reason = fmt.Sprintf("key %q at offset %d: %s", e.Key, e.KeyOffset, reason)
			}
			return 0, &libaof.PreambleError{Offset: e.Offset, Reason: reason}
		}
		return 0, err
	}
	if v := d.Version(); v > maxRDBVersion {
		return 0, &libaof.PreambleError{Offset: 5, Reason: fmt.Sprintf("RDB version %d is newer than Redis 7.0 reads (%d)", v, maxRDBVersion)}
	}
	return d.Offset(), nil
}
