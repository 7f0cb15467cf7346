package libkv

import "math"

// Redis 7.0's geohash (geohash.c, geohash_helper.c): a position is the
// interleaving of its longitude and latitude, each quantized to `step`
// bits over its range, the longitude's bit above the latitude's in each
// pair. A sorted set member's score is the 52-bit (step 26) hash over
// longitude -180..180 and Web Mercator's latitude -85.05112878..85.05112878.
// Every formula below keeps Redis's order of floating-point operations, so
// that scores, positions and distances agree with Redis to the last bit.

// Limits of the positions Redis indexes (geohash.h).
const (
	geoStepMax = 26 // 26*2 = 52 bits, a double's integer precision
	geoLatMin  = -85.05112878
	geoLatMax  = 85.05112878
	geoLongMin = -180.0
	geoLongMax = 180.0
)

// earthRadiusMeters is geohash_helper.c's EARTH_RADIUS_IN_METERS.
const earthRadiusMeters = 6372797.560856

// mercatorMax is geohash_helper.c's MERCATOR_MAX.
const mercatorMax = 20037726.37

// geoHashBits is GeoHashBits: step*2 interleaved bits; the zero value
// (bits 0, step 0) marks a neighbour that is not searched.
type geoHashBits struct {
	bits uint64
	step uint8
}

func (h geoHashBits) isZero() bool { return h.bits == 0 && h.step == 0 }

// geoRange is GeoHashRange.
type geoRange struct{ min, max float64 }

// geoArea is GeoHashArea: the cell a hash names.
type geoArea struct {
	long, lat geoRange
}

var (
	geoLongRange = geoRange{geoLongMin, geoLongMax}
	geoLatRange  = geoRange{geoLatMin, geoLatMax}
)

// interleave64 spreads the low 32 bits of x over the even bit positions
// and those of y over the odd ones (geohash.c).
func interleave64(xlo, ylo uint32) uint64 {
	b := [...]uint64{0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF}
	s := [...]uint{1, 2, 4, 8, 16}
	x, y := uint64(xlo), uint64(ylo)
	for i := 4; i >= 0; i-- {
		x = (x | x<<s[i]) & b[i]
		y = (y | y<<s[i]) & b[i]
	}
	return x | y<<1
}

// deinterleave64 is interleave64's inverse: the even bits in the low
// word, the odd bits in the high word.
func deinterleave64(v uint64) uint64 {
	b := [...]uint64{0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF, 0x00000000FFFFFFFF}
	s := [...]uint{0, 1, 2, 4, 8, 16}
	x, y := v, v>>1
	for i := range b {
		x = (x | x>>s[i]) & b[i]
		y = (y | y>>s[i]) & b[i]
	}
	return x | y<<32
}

// geohashEncode is geohashEncode: ok is false outside the indexable
// limits or the given ranges. A coordinate at its range's maximum gives
// an offset of 2^step, which spills into the next bit pair as in Redis.
func geohashEncode(longR, latR geoRange, long, lat float64, step uint8) (geoHashBits, bool) {
	if step > 32 || step == 0 {
		return geoHashBits{}, false
	}
	if long > geoLongMax || long < geoLongMin || lat > geoLatMax || lat < geoLatMin {
		return geoHashBits{}, false
	}
	if lat < latR.min || lat > latR.max || long < longR.min || long > longR.max {
		return geoHashBits{step: step}, false
	}
	latOff := (lat - latR.min) / (latR.max - latR.min)
	longOff := (long - longR.min) / (longR.max - longR.min)
	latOff *= float64(uint64(1) << step)
	longOff *= float64(uint64(1) << step)
	return geoHashBits{bits: interleave64(uint32(latOff), uint32(longOff)), step: step}, true
}

// geohashEncodeWGS84 encodes a position over the indexable ranges.
func geohashEncodeWGS84(long, lat float64, step uint8) (geoHashBits, bool) {
	return geohashEncode(geoLongRange, geoLatRange, long, lat, step)
}

// geohashDecode is geohashDecode: the cell of h over the given ranges.
func geohashDecode(longR, latR geoRange, h geoHashBits) (geoArea, bool) {
	if h.isZero() {
		return geoArea{}, false
	}
	sep := deinterleave64(h.bits)
	latScale := latR.max - latR.min
	longScale := longR.max - longR.min
	ilato := uint32(sep)
	ilono := uint32(sep >> 32)
	div := float64(uint64(1) << h.step)
	var a geoArea
	a.lat.min = latR.min + (float64(ilato)*1.0/div)*latScale
	a.lat.max = latR.min + (float64(ilato+1)*1.0/div)*latScale
	a.long.min = longR.min + (float64(ilono)*1.0/div)*longScale
	a.long.max = longR.min + (float64(ilono+1)*1.0/div)*longScale
	return a, true
}

// center is geohashDecodeAreaToLongLat: the cell's middle, clamped to the
// indexable limits.
func (a geoArea) center() (long, lat float64) {
	long = (a.long.min + a.long.max) / 2
	long = min(max(long, geoLongMin), geoLongMax)
	lat = (a.lat.min + a.lat.max) / 2
	lat = min(max(lat, geoLatMin), geoLatMax)
	return long, lat
}

// geoDecodeScore is geo.c's decodeGeohash: the position a sorted set
// score stands for (the score converted to an integer as C's cast).
func geoDecodeScore(score float64) (long, lat float64, ok bool) {
	a, ok := geohashDecode(geoLongRange, geoLatRange, geoHashBits{bits: cUint64(score), step: geoStepMax})
	if !ok {
		return 0, 0, false
	}
	long, lat = a.center()
	return long, lat, true
}

// cUint64 is C's (uint64_t) conversion of a double as x86-64 code does it
// (cvttsd2si, with 2^63 subtracted first from large values): a score that
// is not a geohash (negative, 2^64 and more, ±inf) decodes as in Redis.
func cUint64(f float64) uint64 {
	const two63 = 9223372036854775808.0
	cvt := func(x float64) uint64 {
		if !(x > -two63-1025 && x < two63) { // out of range or NaN: "integer indefinite"
			return 1 << 63
		}
		return uint64(int64(x))
	}
	if f >= two63 {
		return cvt(f-two63) ^ 1<<63
	}
	return cvt(f)
}

// geoScore is the sorted set score of a position that passed the range
// check: its 52-bit hash (geohashAlign52Bits of a step 26 hash).
func geoScore(long, lat float64) float64 {
	h, _ := geohashEncodeWGS84(long, lat, geoStepMax)
	return float64(h.align52())
}

// align52 is geohashAlign52Bits: the hash's bits shifted to the top of 52.
func (h geoHashBits) align52() uint64 {
	return h.bits << (52 - uint(h.step)*2)
}

// moveX moves a hash one cell east (d > 0) or west (geohash_move_x).
func (h *geoHashBits) moveX(d int) {
	x := h.bits & 0xaaaaaaaaaaaaaaaa
	y := h.bits & 0x5555555555555555
	zz := uint64(0x5555555555555555) >> (64 - uint(h.step)*2)
	if d > 0 {
		x += zz + 1
	} else {
		x |= zz
		x -= zz + 1
	}
	x &= uint64(0xaaaaaaaaaaaaaaaa) >> (64 - uint(h.step)*2)
	h.bits = x | y
}

// moveY moves a hash one cell north (d > 0) or south (geohash_move_y).
func (h *geoHashBits) moveY(d int) {
	x := h.bits & 0xaaaaaaaaaaaaaaaa
	y := h.bits & 0x5555555555555555
	zz := uint64(0xaaaaaaaaaaaaaaaa) >> (64 - uint(h.step)*2)
	if d > 0 {
		y += zz + 1
	} else {
		y |= zz
		y -= zz + 1
	}
	y &= uint64(0x5555555555555555) >> (64 - uint(h.step)*2)
	h.bits = x | y
}

// geoNeighbors holds a cell and its 8 neighbours in the order Redis
// searches them (membersOfAllNeighbors): self, N, S, E, W, NE, NW, SE, SW.
type geoNeighbors [9]geoHashBits

const (
	nbSelf = iota
	nbNorth
	nbSouth
	nbEast
	nbWest
	nbNorthEast
	nbNorthWest
	nbSouthEast
	nbSouthWest
)

// geohashNeighbors is geohashNeighbors.
func geohashNeighbors(h geoHashBits) geoNeighbors {
	var n geoNeighbors
	moves := [9][2]int{{0, 0}, {0, 1}, {0, -1}, {1, 0}, {-1, 0}, {1, 1}, {-1, 1}, {1, -1}, {-1, -1}}
	for i, m := range moves {
		n[i] = h
		if i == nbSelf {
			continue
		}
		if m[0] != 0 {
			n[i].moveX(m[0])
		}
		if m[1] != 0 {
			n[i].moveY(m[1])
		}
	}
	return n
}

// geoShape is GeoShape: a search centre (degrees), a radius or a box
// (width, height) in the request's unit, and the unit's size in meters.
type geoShape struct {
	long, lat     float64
	box           bool
	radius        float64
	width, height float64
	conversion    float64
	bounds        [4]float64 // min long, min lat, max long, max lat

	// For within (prepare): the centre's latitude in radians and its
	// cosine, and the haversine bounds of the radius or half sides.
	latR, cosLat           float64
	boundR, boundW, boundH float64
}

// geoDR is geohash_helper.c's D_R, M_PI / 180.0 computed in double
// arithmetic: a Go constant expression would be rounded once from the
// exact quotient, which can differ in the last bit.
var geoDR = func() float64 { pi := math.Pi; return pi / 180.0 }()

func degRad(a float64) float64 { return a * geoDR }
func radDeg(a float64) float64 { return a / geoDR }

// geohashEstimateStepsByRadius is geohashEstimateStepsByRadius: the
// precision of the 9 cells that cover a search of rangeMeters at lat.
func geohashEstimateStepsByRadius(rangeMeters, lat float64) int {
	if rangeMeters == 0 {
		return 26
	}
	step := 1
	for rangeMeters < mercatorMax {
		rangeMeters *= 2
		step++
	}
	step -= 2
	// Wider cells towards the poles, where a degree of longitude shrinks.
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	return min(max(step, 1), 26)
}

// boundingBox is geohashBoundingBox: the shape's extent in degrees, with
// the longitude half-width taken at the edge nearer the pole.
func (sh *geoShape) boundingBox() {
	height, width := sh.conversion*sh.radius, sh.conversion*sh.radius
	if sh.box {
		height, width = sh.conversion*(sh.height/2), sh.conversion*(sh.width/2)
	}
	latDelta := radDeg(height / earthRadiusMeters)
	longDeltaTop := radDeg(width / earthRadiusMeters / geoCos(degRad(sh.lat+latDelta)))
	longDeltaBottom := radDeg(width / earthRadiusMeters / geoCos(degRad(sh.lat-latDelta)))
	if sh.lat < 0 {
		sh.bounds[0] = sh.long - longDeltaBottom
		sh.bounds[2] = sh.long + longDeltaBottom
	} else {
		sh.bounds[0] = sh.long - longDeltaTop
		sh.bounds[2] = sh.long + longDeltaTop
	}
	sh.bounds[1] = sh.lat - latDelta
	sh.bounds[3] = sh.lat + latDelta
}

// areas is geohashCalculateAreasByShapeWGS84: the centre's cell at the
// estimated step and its neighbours, a coarser step when a neighbour
// does not reach the bounding box's edge, and the neighbours beyond the
// box zeroed so that they are not searched.
func (sh *geoShape) areas() geoNeighbors {
	sh.boundingBox()
	minLon, minLat, maxLon, maxLat := sh.bounds[0], sh.bounds[1], sh.bounds[2], sh.bounds[3]
	radiusMeters := sh.radius
	if sh.box {
		radiusMeters = math.Sqrt(float64((sh.width/2)*(sh.width/2)) + float64((sh.height/2)*(sh.height/2)))
	}
	radiusMeters *= sh.conversion
	steps := geohashEstimateStepsByRadius(radiusMeters, sh.lat)
	hash, _ := geohashEncodeWGS84(sh.long, sh.lat, uint8(steps))
	nb := geohashNeighbors(hash)
	area, _ := geohashDecode(geoLongRange, geoLatRange, hash)
	north, _ := geohashDecode(geoLongRange, geoLatRange, nb[nbNorth])
	south, _ := geohashDecode(geoLongRange, geoLatRange, nb[nbSouth])
	east, _ := geohashDecode(geoLongRange, geoLatRange, nb[nbEast])
	west, _ := geohashDecode(geoLongRange, geoLatRange, nb[nbWest])
	decrease := north.lat.max < maxLat || south.lat.min > minLat || east.long.max < maxLon || west.long.min > minLon
	if steps > 1 && decrease {
		steps--
		hash, _ = geohashEncodeWGS84(sh.long, sh.lat, uint8(steps))
		nb = geohashNeighbors(hash)
		area, _ = geohashDecode(geoLongRange, geoLatRange, hash)
	}
	if steps >= 2 {
		if area.lat.min < minLat {
			nb[nbSouth], nb[nbSouthWest], nb[nbSouthEast] = geoHashBits{}, geoHashBits{}, geoHashBits{}
		}
		if area.lat.max > maxLat {
			nb[nbNorth], nb[nbNorthEast], nb[nbNorthWest] = geoHashBits{}, geoHashBits{}, geoHashBits{}
		}
		if area.long.min < minLon {
			nb[nbWest], nb[nbSouthWest], nb[nbNorthWest] = geoHashBits{}, geoHashBits{}, geoHashBits{}
		}
		if area.long.max > maxLon {
			nb[nbEast], nb[nbSouthEast], nb[nbNorthEast] = geoHashBits{}, geoHashBits{}, geoHashBits{}
		}
	}
	nb[nbSelf] = hash
	return nb
}

// geoDistance is Redis 7.0's geohashGetDistance: the haversine
// great-circle distance in meters.
func geoDistance(lon1d, lat1d, lon2d, lat2d float64) float64 {
	lat1r, lon1r := degRad(lat1d), degRad(lon1d)
	lat2r, lon2r := degRad(lat2d), degRad(lon2d)
	u := geoSin((lat2r - lat1r) / 2)
	v := geoSin((lon2r - lon1r) / 2)
	// The conversions keep each product rounded, as C does: Go may fuse
	// a multiply and an add otherwise.
	a := float64(u*u) + float64(float64(float64(geoCos(lat1r)*geoCos(lat2r))*v)*v)
	return 2.0 * earthRadiusMeters * geoAsin(math.Sqrt(a))
}

// Searches decide with Go's sin and cos, which are within an ulp or two
// of the correctly rounded ones, and without asin: the haversine term
// a = sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2) grows with the distance, so
// "distance <= limit" is "a <= sin²(limit/2R)". Only when a is within
// geoFastMargin of that bound is the exact distance computed (geoDistance),
// and only the points in the result get an asin.

// geoFastMargin bounds the relative error of the fast terms, generously.
const geoFastMargin = 1e-9

// haversineBound is sin²(limit/2R), the haversine term of a distance of
// limit meters (1 for the half circumference and beyond).
func haversineBound(limit float64) float64 {
	x := limit / (2 * earthRadiusMeters)
	if !(x < math.Pi/2) {
		return 1
	}
	s := math.Sin(x)
	return s * s
}

// outside reports whether a haversine term a is beyond bound, with exact
// deciding when a is too close to the bound to tell.
func outside(a, bound float64, exact func() bool) bool {
	switch {
	case a > bound*(1+geoFastMargin):
		return true
	case a < bound*(1-geoFastMargin):
		return false
	}
	return exact()
}

// prepare computes what within needs once per search.
func (sh *geoShape) prepare() {
	sh.latR = degRad(sh.lat)
	sh.cosLat = math.Cos(sh.latR)
	if sh.box {
		sh.boundW = haversineBound(sh.width * sh.conversion / 2)
		sh.boundH = haversineBound(sh.height * sh.conversion / 2)
	} else {
		sh.boundR = haversineBound(sh.radius * sh.conversion)
	}
}

// sinLB and cosLB are lower bounds of |sin x| and cos x from their
// Taylor series (x - x³/6 <= sin x for x >= 0, 1 - x²/2 <= cos x), never
// negative: cheap enough to reject most of a search's candidates before
// any trigonometry.
func sinLB(x float64) float64 {
	x = math.Abs(x)
	return max(x-x*x*x/6, 0)
}

func cosLB(x float64) float64 { return max(1-x*x/2, 0) }

// within is geoWithinShape after decoding: whether (long, lat) is inside
// the shape and, when it is, the haversine term of its distance from the
// centre as Go's trigonometry gives it (see geoPoint). A box compares the
// east-west distance along the point's parallel and the north-south
// distance along its meridian with the half sides (Redis 7.0's
// geohashGetDistanceIfInRectangle).
func (sh *geoShape) within(long, lat float64) (float64, bool) {
	latR := degRad(lat)
	hu := (latR - sh.latR) / 2
	hv := (degRad(long) - degRad(sh.long)) / 2
	// Reject on the lower bounds first, with the margin.
	uLB, vLB, cLB := sinLB(hu), sinLB(hv), cosLB(latR)
	if sh.box {
		if uLB*uLB > sh.boundH*(1+geoFastMargin) || cLB*cLB*vLB*vLB > sh.boundW*(1+geoFastMargin) {
			return 0, false
		}
	} else if uLB*uLB+sh.cosLat*cLB*vLB*vLB > sh.boundR*(1+geoFastMargin) {
		return 0, false
	}
	u := math.Sin(hu)
	u2 := float64(u * u)
	if !sh.box {
		if u2 > sh.boundR*(1+geoFastMargin) {
			return 0, false // farther north or south than the radius
		}
	} else if outside(u2, sh.boundH, func() bool {
		return geoDistance(long, lat, long, sh.lat) > sh.height*sh.conversion/2
	}) {
		return 0, false
	}
	v := math.Sin(hv)
	cosLat := math.Cos(latR)
	if sh.box {
		if outside(float64(float64(cosLat*cosLat)*v)*v, sh.boundW, func() bool {
			return geoDistance(long, lat, sh.long, lat) > sh.width*sh.conversion/2
		}) {
			return 0, false
		}
	}
	a := u2 + float64(float64(float64(sh.cosLat*cosLat)*v)*v)
	if !sh.box && outside(a, sh.boundR, func() bool {
		return geoDistance(sh.long, sh.lat, long, lat) > sh.radius*sh.conversion
	}) {
		return 0, false
	}
	return a, true
}
