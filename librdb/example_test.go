package librdb_test

import (
	"bytes"
	"fmt"
	"os"

	"github.com/kvkit/kvkit/librdb"
)

// keyCounter counts keys per type; NopVisitor supplies the other methods.
type keyCounter struct {
	librdb.NopVisitor
	byKind map[librdb.Kind]int
}

func (c *keyCounter) BeginKey(k *librdb.Key) error {
	c.byKind[k.Kind]++
	return nil
}

// Decode a file with a Visitor, then write a new one with the Encoder.
func Example() {
	var buf bytes.Buffer
	enc, _ := librdb.NewEncoder(&buf, librdb.DefaultVersion)
	enc.WriteHeader()
	enc.WriteAux("redis-ver", "7.0.15")
	enc.SelectDB(0, 2, 1)
	enc.WriteKey([]byte("greeting"), &librdb.Value{Kind: librdb.KindString, Str: []byte("hello")}, librdb.NoMeta)
	enc.WriteKey([]byte("primes"), &librdb.Value{Kind: librdb.KindSet, Elems: [][]byte{[]byte("2"), []byte("3"), []byte("5")}},
		librdb.KeyMeta{Expire: 4102444800000, Idle: -1, Freq: -1})
	if err := enc.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}

	c := &keyCounter{byKind: map[librdb.Kind]int{}}
	if err := librdb.NewDecoder(&buf).Decode(c); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	fmt.Println(c.byKind[librdb.KindString], "string,", c.byKind[librdb.KindSet], "set")
	// Output: 1 string, 1 set
}
