package intset_test

import (
	"fmt"

	"github.com/kvkit/kvkit/internal/intset"
)

// An intset widens its elements when a value needs it, and keeps the
// width when that value is removed again: the bytes are Redis's.
func Example() {
	s := intset.New()
	for _, v := range []int64{3, 1, 2} {
		s, _ = s.Add(v)
	}
	fmt.Printf("% x\n", []byte(s))
	s, _ = s.Add(100000)
	s, _ = s.Remove(100000)
	fmt.Println(s.Len(), s.Encoding(), s.Find(2), s.Find(100000))
	fmt.Println(intset.Validate(s, true))
	// Output:
	// 02 00 00 00 03 00 00 00 01 00 02 00 03 00
	// 3 4 true false
	// <nil>
}
