package libkv

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// Scores, positions and geohashes as redis-server 7.0.15 reports them
// (ZSCORE, GEOPOS, GEOHASH after GEOADD).
var geohashCases = []struct {
	long, lat       float64
	score           uint64
	posLong, posLat string
	hash            string
}{
	{13.361389, 38.115556, 3479099956230698, "13.36138933897018433", "38.11555639549629859", "sqc8b49rny0"},
	{15.087269, 37.502669, 3479447370796909, "15.08726745843887329", "37.50266842333162032", "sqdtr74hyu0"},
	{180, 0, 10133099161583616, "180", "0.00000126736058093", "80000000000"},
	{-180, 0, 1125899906842624, "-179.99999731779098511", "0.00000126736058093", "80000000000"},
	{0, 85.05112878, 6755399441055744, "0.00000268220901489", "85.0511287799999991", "up05b5048p0"},
	{0, -85.05112878, 2251799813685248, "0.00000268220901489", "-85.05112751263942528", "h0bh0hbj200"},
}

func TestGeohashEncodeDecode(t *testing.T) {
	for _, c := range geohashCases {
		if got := uint64(geoScore(c.long, c.lat)); got != c.score {
			t.Errorf("geoScore(%v, %v) = %d, want %d", c.long, c.lat, got, c.score)
		}
		long, lat, ok := geoDecodeScore(float64(c.score))
		if !ok {
			t.Fatalf("geoDecodeScore(%d) failed", c.score)
		}
		if g := string(appendHumanDouble(nil, long)); g != c.posLong {
			t.Errorf("longitude of %d = %s, want %s", c.score, g, c.posLong)
		}
		if g := string(appendHumanDouble(nil, lat)); g != c.posLat {
			t.Errorf("latitude of %d = %s, want %s", c.score, g, c.posLat)
		}
		if h, _ := geohashString(float64(c.score)); string(h[:]) != c.hash {
			t.Errorf("geohash of %d = %s, want %s", c.score, h[:], c.hash)
		}
	}
}

func TestGeoInterleave(t *testing.T) {
	for _, v := range [][2]uint32{{0, 0}, {1, 0}, {0, 1}, {0x3ffffff, 0x1234567}, {0xffffffff, 0xffffffff}, {0xdeadbeef, 0x0badf00d}} {
		i := interleave64(v[0], v[1])
		if i&1 != uint64(v[0]&1) || (i>>1)&1 != uint64(v[1]&1) {
			t.Errorf("interleave64(%#x, %#x) = %#x: low bits", v[0], v[1], i)
		}
		d := deinterleave64(i)
		if uint32(d) != v[0] || uint32(d>>32) != v[1] {
			t.Errorf("deinterleave64(interleave64(%#x, %#x)) = %#x", v[0], v[1], d)
		}
	}
}

func TestGeohashNeighbors(t *testing.T) {
	h, _ := geohashEncodeWGS84(13.361389, 38.115556, 10)
	nb := geohashNeighbors(h)
	area, _ := geohashDecode(geoLongRange, geoLatRange, h)
	for i, want := range map[int][2]float64{nbNorth: {0, 1}, nbSouth: {0, -1}, nbEast: {1, 0}, nbWest: {-1, 0},
		nbNorthEast: {1, 1}, nbSouthWest: {-1, -1}, nbNorthWest: {-1, 1}, nbSouthEast: {1, -1}} {
		a, _ := geohashDecode(geoLongRange, geoLatRange, nb[i])
		dl := math.Round((a.long.min - area.long.min) / (area.long.max - area.long.min))
		dt := math.Round((a.lat.min - area.lat.min) / (area.lat.max - area.lat.min))
		if dl != want[0] || dt != want[1] {
			t.Errorf("neighbour %d is %v,%v cells away, want %v", i, dl, dt, want)
		}
	}
	// Moving east then west comes back.
	e := h
	e.moveX(1)
	e.moveX(-1)
	if e != h {
		t.Errorf("east then west: %v, want %v", e, h)
	}
}

func TestGeoDistance(t *testing.T) {
	// GEODIST Sicily Palermo Catania on redis-server 7.0.15: 166274.1516.
	l1, t1, _ := geoDecodeScore(3479099956230698)
	l2, t2, _ := geoDecodeScore(3479447370796909)
	if got := string(appendDistance(nil, geoDistance(l1, t1, l2, t2))); got != "166274.1516" {
		t.Errorf("distance = %s, want 166274.1516", got)
	}
	if d := geoDistance(0, 0, 0, 0); d != 0 {
		t.Errorf("distance to itself = %v", d)
	}
}

func TestGeoStepsAndAreas(t *testing.T) {
	for _, c := range []struct {
		meters, lat float64
		want        int
	}{{0, 0, 26}, {1, 0, 24}, {1000, 0, 14}, {5000000, 0, 2}, {1000, 70, 13}, {1000, -85, 12}} {
		if got := geohashEstimateStepsByRadius(c.meters, c.lat); got != c.want {
			t.Errorf("steps(%v m, lat %v) = %d, want %d", c.meters, c.lat, got, c.want)
		}
	}
	sh := geoShape{long: 13.36, lat: 38.11, radius: 100, conversion: 1000}
	nb := sh.areas()
	if nb[nbSelf].isZero() {
		t.Fatal("centre cell is zero")
	}
	if !(sh.bounds[0] < 13.36 && sh.bounds[2] > 13.36 && sh.bounds[1] < 38.11 && sh.bounds[3] > 38.11) {
		t.Errorf("bounding box %v does not hold the centre", sh.bounds)
	}
}

// TestGeoMath checks the correctly rounded sin, cos and asin against
// values whose correct rounding is known (computed with 200-bit mpmath).
func TestGeoMath(t *testing.T) {
	cases := []struct {
		f    func(float64) float64
		x, y float64
	}{
		{geoSin, -0.23675828555705097, -0.23455258262685139},
		{geoSin, 0.2523930366251018, 0.2497218915587707},
		{geoSin, 0.6207074128601997, 0.581610763191602},
		{geoAsin, 0.2065826619136986, 0.20808098576703818},
		{geoAsin, 0.5795852132529461, 0.6182196025079488},
		{geoCos, 0, 1},
		{geoSin, math.Pi / 2, 1},
	}
	for _, c := range cases {
		if got := c.f(c.x); got != c.y {
			t.Errorf("f(%v) = %v, want %v", c.x, got, c.y)
		}
	}
	for x := -20.0; x < 20; x += 0.01 {
		if d := math.Abs(geoSin(x) - math.Sin(x)); d > 1e-15 {
			t.Fatalf("geoSin(%v) = %v, math.Sin %v", x, geoSin(x), math.Sin(x))
		}
		if d := math.Abs(geoCos(x) - math.Cos(x)); d > 1e-15 {
			t.Fatalf("geoCos(%v) = %v, math.Cos %v", x, geoCos(x), math.Cos(x))
		}
	}
}

// FuzzGeohash: any position in the limits (below the maxima) encodes to a
// score whose decoded cell centre is within a cell of it, and any score decodes without
// a panic.
func FuzzGeohash(f *testing.F) {
	f.Add(13.361389, 38.115556, 3479099956230698.0)
	f.Add(180.0, 85.05112878, -1.0)
	f.Add(-180.0, -85.05112878, 1e20)
	f.Fuzz(func(t *testing.T, long, lat, score float64) {
		geoDecodeScore(score)
		geohashString(score)
		if math.IsNaN(long) || math.IsNaN(lat) || long < geoLongMin || long > geoLongMax || lat < geoLatMin || lat > geoLatMax {
			return
		}
		if long == geoLongMax || lat == geoLatMax {
			// The offset 2^26 spills above bit 52: the score passes 2^53
			// and, a double, loses its lowest bit (a latitude bit), as in
			// Redis.
			return
		}
		dl, dt, ok := geoDecodeScore(geoScore(long, lat))
		if !ok {
			t.Fatalf("%v,%v: score does not decode", long, lat)
		}
		if math.Abs(dl-long) > 360.0/(1<<26) || math.Abs(dt-lat) > 171.0/(1<<26) {
			t.Fatalf("%v,%v decodes to %v,%v", long, lat, dl, dt)
		}
	})
}

// BenchmarkGeosearch runs the searches of bench/kv-server-geo.sh in
// process over 100000 random positions.
func BenchmarkGeosearch(b *testing.B) {
	c := testClient(b)
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 100000; i++ {
		c.run1("GEOADD", "geo", strconv.FormatFloat(-10+40*r.Float64(), 'f', 6, 64),
			strconv.FormatFloat(35+25*r.Float64(), 'f', 6, 64), "m:"+strconv.Itoa(i))
	}
	for _, q := range [][]string{
		{"GEOSEARCH", "geo", "FROMLONLAT", "10", "50", "BYRADIUS", "50", "km", "ASC", "COUNT", "10", "WITHDIST"},
		{"GEOSEARCH", "geo", "FROMLONLAT", "5", "45", "BYBOX", "100", "100", "km"},
	} {
		b.Run(q[5], func(b *testing.B) {
			args := make([][]byte, len(q))
			for i, a := range q {
				args[i] = []byte(a)
			}
			for i := 0; i < b.N; i++ {
				c.do(args...)
			}
		})
	}
}

// TestGeoSortPoints: pqsort puts at the front the distances a full sort
// would (the members of equal distances may differ: it is not stable);
// terms an ulp apart are a near tie.
func TestGeoSortPoints(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for iter := 0; iter < 2000; iter++ {
		pts := make([]geoPoint, 1+r.IntN(200))
		for i := range pts {
			pts[i] = geoPoint{dist: float64(r.IntN(20)), member: i}
		}
		n := 1 + r.IntN(len(pts))
		desc := iter%2 == 1
		want := slices.Clone(pts)
		slices.SortStableFunc(want, func(a, b geoPoint) int {
			if desc {
				return cmp.Compare(b.dist, a.dist)
			}
			return cmp.Compare(a.dist, b.dist)
		})
		if geoSort(pts, n, desc) {
			t.Fatal("near tie reported among integers")
		}
		for i := 0; i < n; i++ {
			if pts[i].dist != want[i].dist {
				t.Fatalf("n=%d desc=%v: rank %d has %v, want %v", n, desc, i, pts[i].dist, want[i].dist)
			}
		}
		seen := map[int]bool{}
		for _, p := range pts {
			seen[p.member] = true
		}
		if len(seen) != len(pts) {
			t.Fatalf("points lost: %d of %d", len(seen), len(pts))
		}
	}
	pts := []geoPoint{{dist: 1}, {dist: math.Nextafter(1, 2)}, {dist: 5}}
	if !geoSort(pts, 1, false) {
		t.Error("near tie not reported")
	}
}

func BenchmarkGeoDistance(b *testing.B) {
	for i := 0; i < b.N; i++ {
		geoDistance(10, 50, 10.3+float64(i&7)*1e-3, 50.2)
	}
}
