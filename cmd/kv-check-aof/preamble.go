package main

import (
	"io"

	"github.com/kvkit/kvkit/libaof"
)

// preambleChecker validates RDB preambles for libaof.
var preambleChecker libaof.PreambleChecker = func(r io.Reader) (int64, error) {
	return 0, &libaof.PreambleError{Offset: 0, Reason: "librdb is not wired in yet"}
}
