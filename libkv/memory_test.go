package libkv

import "testing"

// TestJemallocSize checks size classes against jemalloc 5's table (the
// classes Redis 7.0 reports through zmalloc_size): 16-byte spacing up to
// 128, then four classes per doubling.
func TestJemallocSize(t *testing.T) {
	for _, tc := range []struct{ n, want int64 }{
		{1, 8}, {8, 8}, {9, 16}, {17, 32}, {100, 112}, {128, 128}, {129, 160}, {193, 224}, {257, 320},
		{1025, 1280}, {4097, 5120}, {5004, 5120}, {14337, 16384}, {16385, 20480}, {1 << 30, 1 << 30},
		{1<<30 + 1, 1<<30 + 1<<28}, {1 << 40, 1 << 40},
	} {
		if got := jemallocSize(tc.n); got != tc.want {
			t.Errorf("jemallocSize(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
}
