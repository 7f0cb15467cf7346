package loadgen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync/atomic"
)

// KeyPattern is how key numbers are drawn from [KeySpace.Min, KeySpace.Max].
type KeyPattern int

const (
	// Uniform draws every key with the same probability (memtier's R,
	// redis-benchmark's -r).
	Uniform KeyPattern = iota
	// Sequential walks the key space in order, shared by all connections,
	// wrapping at the end (memtier's S).
	Sequential
	// Gaussian draws around the middle of the key space with standard
	// deviation KeySpace.StdDev (memtier's G).
	Gaussian
	// Zipf draws key Min+k-1 with probability proportional to
	// 1/k^KeySpace.ZipfExp: a few hot keys and a long tail.
	Zipf
)

var patternNames = map[string]KeyPattern{
	"r": Uniform, "random": Uniform, "uniform": Uniform,
	"s": Sequential, "sequential": Sequential,
	"g": Gaussian, "gaussian": Gaussian,
	"z": Zipf, "zipf": Zipf,
}

// String returns the pattern's long name.
func (p KeyPattern) String() string {
	return [...]string{"uniform", "sequential", "gaussian", "zipf"}[p]
}

// ParseKeyPatterns parses --key-pattern: one pattern for every command, or
// memtier's SET:GET form ("S:R") giving the pattern of writes and of reads.
// Names are uniform (R, random), sequential (S), gaussian (G) and zipf (Z),
// case-insensitive.
func ParseKeyPatterns(s string) (set, get KeyPattern, err error) {
	parts := strings.Split(strings.ToLower(s), ":")
	if len(parts) > 2 {
		return 0, 0, fmt.Errorf("--key-pattern %q: want PATTERN or SET:GET", s)
	}
	var ps [2]KeyPattern
	for i, p := range parts {
		v, ok := patternNames[strings.TrimSpace(p)]
		if !ok {
			return 0, 0, fmt.Errorf("--key-pattern %q: unknown pattern %q (uniform/R, sequential/S, gaussian/G, zipf/Z)", s, p)
		}
		ps[i] = v
	}
	if len(parts) == 1 {
		ps[1] = ps[0]
	}
	return ps[0], ps[1], nil
}

// KeySpace is the range of key numbers and how they are drawn.
type KeySpace struct {
	Min, Max   int64      // inclusive
	Pattern    KeyPattern // for every command, or SET in a ratio test
	GetPattern KeyPattern // for GET in a ratio test
	ZipfExp    float64    // Zipf exponent, > 0 (memtier's --key-zipf-exp)
	StdDev     float64    // Gaussian standard deviation; 0 means (Max-Min)/6
}

// keyGen draws key numbers for one command of one test; it is shared by
// all connections (only Sequential has shared state).
type keyGen struct {
	pattern  KeyPattern
	min, max int64
	seq      atomic.Int64
	mean, sd float64
	zipf     *zipfSampler
}

func newKeyGen(ks KeySpace, p KeyPattern) (*keyGen, error) {
	if ks.Max < ks.Min {
		return nil, fmt.Errorf("key range: maximum %d is below minimum %d", ks.Max, ks.Min)
	}
	g := &keyGen{pattern: p, min: ks.Min, max: ks.Max}
	span := float64(ks.Max - ks.Min)
	g.mean = float64(ks.Min) + span/2
	g.sd = ks.StdDev
	if g.sd <= 0 {
		g.sd = span / 6
	}
	if p == Zipf {
		if !(ks.ZipfExp > 0) || ks.ZipfExp > 10 {
			return nil, fmt.Errorf("--key-zipf-exp %g: want an exponent in (0, 10]", ks.ZipfExp)
		}
		g.zipf = newZipf(ks.Max-ks.Min+1, ks.ZipfExp)
	}
	return g, nil
}

func (g *keyGen) next(r *rand.Rand) int64 {
	n := uint64(g.max-g.min) + 1
	switch g.pattern {
	case Sequential:
		return g.min + int64(uint64(g.seq.Add(1)-1)%n)
	case Gaussian:
		// Redraw the rare tail samples outside the range, as memtier
		// does, rather than piling them on the edges; after a few tries
		// fall back to the middle so that the loop is bounded.
		for i := 0; i < 16; i++ {
			v := math.Round(r.NormFloat64()*g.sd + g.mean)
			if v >= float64(g.min) && v <= float64(g.max) {
				return int64(v)
			}
		}
		return int64(g.mean)
	case Zipf:
		return g.min + g.zipf.sample(r) - 1
	}
	if n == 0 { // the whole int64 range
		return int64(r.Uint64())
	}
	return g.min + int64(r.Uint64N(n))
}

// zipfSampler draws k in [1, n] with P(k) proportional to k^-s by
// rejection-inversion (W. Hörmann and G. Derflinger, "Rejection-inversion
// to generate variates from monotone discrete distributions", 1996), which
// needs O(1) memory and works for every s > 0, unlike math/rand's Zipf
// (s > 1 only).
type zipfSampler struct {
	n, s                 float64
	hX1, hN, threshold   float64
	oneMinusS, nIntegral float64
}

func newZipf(n int64, s float64) *zipfSampler {
	z := &zipfSampler{n: float64(n), s: s, oneMinusS: 1 - s}
	z.hX1 = z.hIntegral(1.5) - 1
	z.hN = z.hIntegral(z.n + 0.5)
	z.threshold = 2 - z.hIntegralInv(z.hIntegral(2.5)-z.h(2))
	return z
}

func (z *zipfSampler) sample(r *rand.Rand) int64 {
	// Bounded: the acceptance probability is above 1/2 for every s and n,
	// so 200 rounds fail with probability below 2^-200.
	for i := 0; i < 200; i++ {
		u := z.hN + r.Float64()*(z.hX1-z.hN)
		x := z.hIntegralInv(u)
		k := math.Floor(x + 0.5)
		if k < 1 {
			k = 1
		} else if k > z.n {
			k = z.n
		}
		if k-x <= z.threshold || u >= z.hIntegral(k+0.5)-z.h(k) {
			return int64(k)
		}
	}
	return 1
}

// h is the (unnormalized) density x^-s.
func (z *zipfSampler) h(x float64) float64 { return math.Exp(-z.s * math.Log(x)) }

// hIntegral is an antiderivative of h: (x^(1-s) - 1)/(1-s), or log x at s=1.
func (z *zipfSampler) hIntegral(x float64) float64 {
	lx := math.Log(x)
	return helper2(z.oneMinusS*lx) * lx
}

func (z *zipfSampler) hIntegralInv(x float64) float64 {
	t := x * z.oneMinusS
	if t < -1 {
		t = -1 // numerical guard: the exact inverse is only defined above -1
	}
	return math.Exp(helper1(t) * x)
}

// helper1 is log1p(x)/x, continuous at 0.
func helper1(x float64) float64 {
	if math.Abs(x) > 1e-8 {
		return math.Log1p(x) / x
	}
	return 1 - x*(0.5-x*(1.0/3-0.25*x))
}

// helper2 is expm1(x)/x, continuous at 0.
func helper2(x float64) float64 {
	if math.Abs(x) > 1e-8 {
		return math.Expm1(x) / x
	}
	return 1 + x*0.5*(1+x/3*(1+0.25*x))
}
