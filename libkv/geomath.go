package libkv

import "math"

// Correctly rounded sin, cos and asin for the geo distance formula.
//
// Redis computes distances with glibc's libm, whose sin, cos and asin
// return the correctly rounded result; Go's math package is within an
// ulp or two and differs from glibc in a large share of arguments, which
// shows in GEOSEARCHSTORE's STOREDIST scores, in the 4-decimal distances
// and in which points lie on a radius's edge. These evaluate the series
// in double-double arithmetic (about 68 correct bits) and round once.

// dd is an unevaluated sum hi+lo of two doubles.
type dd struct{ hi, lo float64 }

func twoSum(a, b float64) dd {
	s := a + b
	bb := s - a
	return dd{s, (a - (s - bb)) + (b - bb)}
}

func quickTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

func twoProd(a, b float64) dd {
	p := a * b
	return dd{p, math.FMA(a, b, -p)}
}

func ddAdd(a, b dd) dd {
	s := twoSum(a.hi, b.hi)
	t := twoSum(a.lo, b.lo)
	s.lo += t.hi
	s = quickTwoSum(s.hi, s.lo)
	s.lo += t.lo
	return quickTwoSum(s.hi, s.lo)
}

func ddMul(a, b dd) dd {
	p := twoProd(a.hi, b.hi)
	p.lo += a.hi*b.lo + a.lo*b.hi
	return quickTwoSum(p.hi, p.lo)
}

func ddMulF(a dd, b float64) dd {
	p := twoProd(a.hi, b)
	p.lo += a.lo * b
	return quickTwoSum(p.hi, p.lo)
}

// π/2 to 106 bits.
var ddPio2 = dd{1.5707963267948966, 6.123233995736766e-17}

// Taylor coefficients ±1/n! as double-doubles, and their doubles for the
// tail, where a double's rounding no longer matters.
var (
	ddInvFact [16]dd // 1/n!
)

func init() {
	f := dd{1, 0}
	ddInvFact[0] = f
	for n := 1; n < len(ddInvFact); n++ {
		// f / n in double-double: q1 + q2 with the remainder's quotient.
		q1 := f.hi / float64(n)
		p := twoProd(q1, float64(n))
		r := ((f.hi - p.hi) - p.lo + f.lo) / float64(n)
		f = quickTwoSum(q1, r)
		ddInvFact[n] = f
	}
}

func ddNeg(a dd) dd { return dd{-a.hi, -a.lo} }

// sinPoly is sin(r) for |r| <= π/4: Horner's scheme over the Taylor
// series, the terms from r⁹/9! on (under 4e-7 of the result) in double.
func sinPoly(r dd) dd {
	r2 := ddMul(r, r)
	x := r2.hi
	t := x * (1.0/362880 - x*(1.0/39916800-x*(1.0/6227020800-x*(1.0/1307674368000-x/355687428096000))))
	p := ddAdd(ddNeg(ddInvFact[7]), dd{t, 0})
	p = ddAdd(ddMul(p, r2), ddInvFact[5])
	p = ddAdd(ddMul(p, r2), ddNeg(ddInvFact[3]))
	p = ddAdd(ddMul(p, r2), dd{1, 0})
	return ddMul(p, r)
}

// cosPoly is cos(r) for |r| <= π/4, as sinPoly.
func cosPoly(r dd) dd {
	r2 := ddMul(r, r)
	x := r2.hi
	t := x * (1.0/40320 - x*(1.0/3628800-x*(1.0/479001600-x*(1.0/87178291200-x/20922789888000))))
	p := ddAdd(ddNeg(ddInvFact[6]), dd{t, 0})
	p = ddAdd(ddMul(p, r2), ddInvFact[4])
	p = ddAdd(ddMul(p, r2), ddNeg(ddInvFact[2]))
	return ddAdd(ddMul(p, r2), dd{1, 0})
}

// reducePio2 returns r = x - k·π/2 with |r| <= π/4 (about) and k mod 4;
// ok is false for arguments too large for a double-double π/2.
func reducePio2(x float64) (r dd, q int, ok bool) {
	if math.Abs(x) <= math.Pi/4 {
		return dd{x, 0}, 0, true
	}
	if !(math.Abs(x) < 1e5) {
		return dd{}, 0, false
	}
	k := math.Round(x / ddPio2.hi)
	p := twoProd(k, ddPio2.hi)
	r = twoSum(x, -p.hi)
	r.lo += -p.lo - k*ddPio2.lo
	r = quickTwoSum(r.hi, r.lo)
	return r, int(int64(k) & 3), true
}

// sinDD is sin(x) in double-double.
func sinDD(x float64) dd {
	r, q, ok := reducePio2(x)
	if !ok {
		return dd{math.Sin(x), 0}
	}
	switch q {
	case 1:
		return cosPoly(r)
	case 2:
		return ddNeg(sinPoly(r))
	case 3:
		return ddNeg(cosPoly(r))
	}
	return sinPoly(r)
}

// geoSin is glibc's sin: correctly rounded.
func geoSin(x float64) float64 {
	if x == 0 {
		return x
	}
	return sinDD(x).hi
}

// geoCos is glibc's cos: correctly rounded.
func geoCos(x float64) float64 {
	r, q, ok := reducePio2(x)
	if !ok {
		return math.Cos(x)
	}
	switch q {
	case 1:
		return -sinPoly(r).hi
	case 2:
		return -cosPoly(r).hi
	case 3:
		return sinPoly(r).hi
	}
	return cosPoly(r).hi
}

// geoAsin is glibc's asin: correctly rounded. Go's asin is refined by a
// Newton step on sin computed in double-double.
func geoAsin(y float64) float64 {
	z := math.Asin(y)
	if y == 0 || math.IsNaN(z) {
		return z
	}
	c := math.Cos(z)
	if c < 1e-8 {
		return z
	}
	diff := ddAdd(sinDD(z), dd{-y, 0})
	return z - diff.hi/c
}
