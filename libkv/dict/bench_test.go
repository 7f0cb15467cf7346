package dict

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

// benchKeys is the key set of the benchmarks: 1M keys as a server would
// hold them, allocated once so that key bytes are not counted per entry.
var benchKeys = func() []string {
	keys := make([]string, 1<<20)
	for i := range keys {
		keys[i] = fmt.Sprintf("key:%08d", i)
	}
	return keys
}()

// object stands for a keyspace value: the engine stores a pointer per key.
type object struct{ lru uint32 }

var benchValue = &object{}

func BenchmarkSet(b *testing.B) {
	b.Run("dict", func(b *testing.B) {
		var d Dict[*object]
		for i := 0; i < b.N; i++ {
			if i%len(benchKeys) == 0 {
				d.Clear()
			}
			d.Set(benchKeys[i%len(benchKeys)], benchValue)
		}
	})
	b.Run("map", func(b *testing.B) {
		m := map[string]*object{}
		for i := 0; i < b.N; i++ {
			if i%len(benchKeys) == 0 {
				m = map[string]*object{}
			}
			m[benchKeys[i%len(benchKeys)]] = benchValue
		}
	})
}

// BenchmarkGet looks up present keys in a table that fits in the CPU cache
// (1K keys) and in one that does not (1M keys).
func BenchmarkGet(b *testing.B) {
	for _, n := range []int{1 << 10, 1 << 20} {
		keys := benchKeys[:n]
		b.Run(fmt.Sprintf("dict/%d", n), func(b *testing.B) {
			var d Dict[*object]
			for _, k := range keys {
				d.Set(k, benchValue)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, ok := d.Get(keys[i%n]); !ok {
					b.Fatal("missing key")
				}
			}
		})
		b.Run(fmt.Sprintf("map/%d", n), func(b *testing.B) {
			m := map[string]*object{}
			for _, k := range keys {
				m[k] = benchValue
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, ok := m[keys[i%n]]; !ok {
					b.Fatal("missing key")
				}
			}
		})
	}
}

func BenchmarkDelete(b *testing.B) {
	b.Run("dict", func(b *testing.B) {
		var d Dict[*object]
		for i := 0; i < b.N; i++ {
			if i%len(benchKeys) == 0 {
				b.StopTimer()
				for _, k := range benchKeys {
					d.Set(k, benchValue)
				}
				b.StartTimer()
			}
			d.Delete(benchKeys[i%len(benchKeys)])
		}
	})
	b.Run("map", func(b *testing.B) {
		m := map[string]*object{}
		for i := 0; i < b.N; i++ {
			if i%len(benchKeys) == 0 {
				b.StopTimer()
				for _, k := range benchKeys {
					m[k] = benchValue
				}
				b.StartTimer()
			}
			delete(m, benchKeys[i%len(benchKeys)])
		}
	})
}

// BenchmarkMemory fills 1M entries and reports, per entry (keys excluded):
// heap bytes, scannable heap bytes (what the collector must read to find
// pointers, from runtime/metrics) and heap objects, plus the time of a full
// collection with the table live.
func BenchmarkMemory(b *testing.B) {
	samples := []metrics.Sample{{Name: "/gc/scan/heap:bytes"}, {Name: "/gc/heap/objects:objects"}}
	read := func() (scan, objects float64) {
		runtime.GC()
		metrics.Read(samples)
		return float64(samples[0].Value.Uint64()), float64(samples[1].Value.Uint64())
	}
	measure := func(b *testing.B, fill func() any) {
		var keep any
		var heap, scan, objects, gcTime float64
		for range b.N {
			keep = nil
			var before, after runtime.MemStats
			scan0, obj0 := read()
			runtime.ReadMemStats(&before)
			keep = fill()
			scan1, obj1 := read()
			runtime.ReadMemStats(&after)
			n := float64(len(benchKeys))
			heap = float64(after.HeapAlloc-before.HeapAlloc) / n
			scan, objects = (scan1-scan0)/n, (obj1-obj0)/n
			start := time.Now()
			runtime.GC()
			gcTime = float64(time.Since(start).Microseconds()) / 1000
		}
		runtime.KeepAlive(keep)
		b.ReportMetric(heap, "B/entry")
		b.ReportMetric(scan, "scanB/entry")
		b.ReportMetric(objects, "objects/entry")
		b.ReportMetric(gcTime, "gc-ms")
	}
	b.Run("dict", func(b *testing.B) {
		measure(b, func() any {
			d := &Dict[*object]{}
			for _, k := range benchKeys {
				d.Set(k, benchValue)
			}
			return d
		})
	})
	b.Run("map", func(b *testing.B) {
		measure(b, func() any {
			m := map[string]*object{}
			for _, k := range benchKeys {
				m[k] = benchValue
			}
			return m
		})
	})
}
