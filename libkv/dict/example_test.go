package dict_test

import (
	"fmt"

	"github.com/kvkit/kvkit/libkv/dict"
)

// A full SCAN: call Scan with the cursor it returned until it returns 0.
// The table may be changed between calls.
func ExampleDict_Scan() {
	var d dict.Dict[int]
	for i := range 100 {
		d.Set(fmt.Sprint("key:", i), i)
	}
	seen := map[string]bool{}
	for cursor := uint64(0); ; {
		cursor = d.Scan(cursor, func(key string, _ int) { seen[key] = true })
		if cursor == 0 {
			break
		}
	}
	fmt.Println(len(seen))
	// Output: 100
}

// Deleting the current key during iteration is allowed.
func ExampleDict_All() {
	var d dict.Dict[int]
	for i := range 10 {
		d.Set(fmt.Sprint(i), i)
	}
	for key, val := range d.All() {
		if val%2 == 1 {
			d.Delete(key)
		}
	}
	fmt.Println(d.Len())
	// Output: 5
}
