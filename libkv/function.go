package libkv

// functionLib is a stub replaced below.
type functionLib struct{}
