package glob_test

import (
	"fmt"

	"github.com/kvkit/kvkit/libkv/glob"
)

func ExampleMatch() {
	fmt.Println(glob.Match([]byte("user:[0-9]*"), []byte("user:42:name"), false))
	fmt.Println(glob.Match([]byte("MAXMEMORY*"), []byte("maxmemory-policy"), true))
	fmt.Println(glob.Match([]byte("h\\?llo"), []byte("hello"), false))
	// Output:
	// true
	// true
	// false
}
