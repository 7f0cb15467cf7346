package libaof_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/kvkit/kvkit/libaof"
)

// An AOF loader reads records until io.EOF; a *SyntaxError says where the
// valid part ends (Truncated: the file just ends early, which Redis
// tolerates in the last file with aof-load-truncated yes).
func ExampleReader() {
	aof := "#TS:1700000000\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$4\r\nINCR"
	r := libaof.NewReader(strings.NewReader(aof), 0)
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println("stop:", err, "truncated:", libaof.IsTruncated(err))
			break
		}
		if rec.Kind == libaof.Annotation {
			fmt.Printf("annotation %s\n", rec.Line)
			continue
		}
		fmt.Printf("%d-%d %q\n", rec.Offset, rec.End, rec.Args)
	}
	// Output:
	// annotation TS:1700000000
	// 16-39 ["SELECT" "0"]
	// 39-66 ["SET" "k" "v"]
	// stop: offset 74 (0x4a): expected to read 6 bytes, got 4 truncated: true
}
