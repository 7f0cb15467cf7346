package resp

import (
	"fmt"
	"math"
	"testing"
)

func TestAppendG17MatchesPrintf(t *testing.T) {
	// Go's %.17g follows C's printf for finite values; check ours against it
	// over values that exercise both the %f and %e branches and the rounding.
	vals := []float64{1, -1, 0.1, 1.5, 2.37, 3.141592653589793, 1e-300, 1e300, 1e16, 1e17, 123456789012345678,
		0.0001, 0.00001, 10.5, 1.0 / 3, 100, 4.9406564584124654e-324, math.MaxFloat64, 5e-5, 12345.678}
	for _, v := range vals {
		want := fmt.Sprintf("%.17g", v)
		if got := string(AppendG17(nil, v)); got != want {
			t.Errorf("AppendG17(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestProtocols(t *testing.T) {
	for _, tc := range []struct {
		proto int
		write func(w *Writer)
		want  string
	}{
		{2, func(w *Writer) { w.Map(1); w.BulkString("a"); w.Int(1) }, "*2\r\n$1\r\na\r\n:1\r\n"},
		{3, func(w *Writer) { w.Map(1); w.BulkString("a"); w.Int(1) }, "%1\r\n$1\r\na\r\n:1\r\n"},
		{2, func(w *Writer) { w.Null() }, "$-1\r\n"},
		{3, func(w *Writer) { w.NullArray() }, "_\r\n"},
		{2, func(w *Writer) { w.Double(math.Inf(1)) }, "$3\r\ninf\r\n"},
		{3, func(w *Writer) { w.Double(1.5) }, ",1.5\r\n"},
		{3, func(w *Writer) { w.Bool(true) }, "#t\r\n"},
		{2, func(w *Writer) { w.Error("ERR a\r\nb") }, "-ERR a  b\r\n"},
		{3, func(w *Writer) { w.Verbatim("txt", "hi") }, "=6\r\ntxt:hi\r\n"},
		{3, func(w *Writer) { w.Set(0) }, "~0\r\n"},
	} {
		w := NewWriter(tc.proto)
		tc.write(w)
		if got := string(w.Bytes()); got != tc.want {
			t.Errorf("RESP%d: got %q, want %q", tc.proto, got, tc.want)
		}
	}
}
