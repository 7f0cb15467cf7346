package libkv

import (
	"github.com/kvkit/kvkit/libkv/config"

	"encoding/binary"
	"math"
	"math/bits"
	"math/rand/v2"
	"strings"
)

// HyperLogLog commands (Redis 7.0 hyperloglog.c). A HyperLogLog is a
// string value holding Redis's exact bytes, so GET, SET, DUMP/RESTORE and
// RDB files carry it between kv-server and redis-server unchanged:
//
//	+------+---+-----+----------+---------------------------+
//	| HYLL | E | N/U | Cardin.  | registers...              |
//	+------+---+-----+----------+---------------------------+
//
// a 16-byte header (magic "HYLL", the encoding byte: 0 dense, 1 sparse,
// three unused bytes, the cached cardinality as 8 bytes little endian whose
// top bit set means "stale"), then 16384 registers: dense, 6 bits each,
// least significant bits first (12288 bytes); or sparse, a run-length code
// of ZERO (00xxxxxx: 1..64 zero registers), XZERO (01xxxxxx yyyyyyyy:
// 1..16384 zero registers) and VAL (1vvvvvxx: 1..4 registers of value
// 1..32) opcodes.
var hllCommands = map[string]cmdFunc{
	"pfadd": cmdPFAdd, "pfcount": cmdPFCount, "pfmerge": cmdPFMerge,
	"pfdebug": cmdPFDebug, "pfselftest": cmdPFSelfTest,
}

// HyperLogLog layout constants (hyperloglog.c HLL_*).
const (
	hllP            = 14 // register index bits
	hllQ            = 64 - hllP
	hllRegisters    = 1 << hllP
	hllPMask        = hllRegisters - 1
	hllBits         = 6
	hllRegisterMax  = 1<<hllBits - 1
	hllHdrSize      = 16
	hllDenseSize    = hllHdrSize + (hllRegisters*hllBits+7)/8
	hllDense        = 0
	hllSparse       = 1
	hllMaxEncoding  = 1
	hllSeed         = 0xadc83b19
	hllAlphaInf     = 0.721347520444481703680 // 0.5/ln(2)
	hllSparseValMax = 32                      // largest value of a VAL opcode
	hllSparseValLen = 4                       // longest run of a VAL opcode
	hllSparseZero   = 64                      // longest run of a ZERO opcode
	hllSparseXZero  = 16384                   // longest run of an XZERO opcode
	hllTestCycles   = 1000
)

// Error replies of the HyperLogLog commands.
const (
	errInvalidHLL = "INVALIDOBJ Corrupted HLL object detected"
	errNotHLL     = "WRONGTYPE Key is not a valid HyperLogLog string value."
)

// murmurHash64A is MurmurHash2, 64-bit version, reading 8-byte blocks
// little endian as Redis's endian-neutral copy does.
func murmurHash64A(key []byte, seed uint64) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := seed ^ (uint64(len(key)) * m)
	for len(key) >= 8 {
		k := binary.LittleEndian.Uint64(key)
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
		key = key[8:]
	}
	if len(key) > 0 {
		for i := len(key) - 1; i >= 0; i-- {
			h ^= uint64(key[i]) << (8 * uint(i))
		}
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// hllPatLen is hllPatLen: the register an element hashes to and the length
// of the 000..1 pattern after the index bits (1..Q+1).
func hllPatLen(ele []byte) (index int, count uint8) {
	hash := murmurHash64A(ele, hllSeed)
	index = int(hash & hllPMask)
	hash >>= hllP
	hash |= 1 << hllQ // the loop ends, count <= Q+1
	return index, uint8(bits.TrailingZeros64(hash) + 1)
}

// hllDenseGet reads dense register i from regs (the bytes after the
// header). The last register's second byte is the sds terminator in Redis,
// read as zero here.
func hllDenseGet(regs []byte, i int) uint8 {
	b := i * hllBits / 8
	fb := uint(i * hllBits & 7)
	b0 := uint(regs[b])
	var b1 uint
	if b+1 < len(regs) {
		b1 = uint(regs[b+1])
	}
	return uint8((b0>>fb | b1<<(8-fb)) & hllRegisterMax)
}

// hllDenseSetReg writes dense register i (HLL_DENSE_SET_REGISTER).
func hllDenseSetReg(regs []byte, i int, val uint8) {
	b := i * hllBits / 8
	fb := uint(i * hllBits & 7)
	v := uint(val)
	regs[b] &^= byte(hllRegisterMax << fb)
	regs[b] |= byte(v << fb)
	if b+1 < len(regs) {
		regs[b+1] &^= byte(hllRegisterMax >> (8 - fb))
		regs[b+1] |= byte(v >> (8 - fb))
	}
}

// hllDenseSet raises dense register i to count; it reports whether the
// register changed.
func hllDenseSet(regs []byte, i int, count uint8) bool {
	if count > hllDenseGet(regs, i) {
		hllDenseSetReg(regs, i, count)
		return true
	}
	return false
}

// Sparse opcode accessors (HLL_SPARSE_* macros). A two-byte XZERO cut
// short by the end of the string reads its second byte as zero: the sds
// terminator Redis reads there. (One corrupt case differs: when Redis
// splits such a cut XZERO, its memcpy writes one byte past the new end,
// where a later read finds it; kvkit keeps no byte past the end.)
func sparseIsZero(op byte) bool  { return op&0xc0 == 0 }
func sparseIsXZero(op byte) bool { return op&0xc0 == 0x40 }
func sparseValValue(op byte) int { return int(op>>2&0x1f) + 1 }
func sparseValLen(op byte) int   { return int(op&3) + 1 }

func sparseXZeroLen(b []byte, p int) int {
	var lo byte
	if p+1 < len(b) {
		lo = b[p+1]
	}
	return (int(b[p]&0x3f)<<8 | int(lo)) + 1
}

func sparseVal(val, n int) byte { return byte((val-1)<<2|(n-1)) | 0x80 }

// appendSparseZero appends a ZERO or XZERO opcode for n zero registers.
func appendSparseZero(seq []byte, n int) []byte {
	if n > hllSparseZero {
		return append(seq, byte((n-1)>>8)|0x40, byte(n-1))
	}
	return append(seq, byte(n-1))
}

// newHLLObject is createHLLObject: an empty sparse HyperLogLog, a raw
// string (sdsnewlen of 18 bytes) holding one XZERO opcode.
func newHLLObject() *Object {
	const n = hllHdrSize + (hllRegisters+hllSparseXZero-1)/hllSparseXZero*2
	t, alloc := sdsNewAlloc(n)
	b := make([]byte, n, alloc)
	copy(b, "HYLL")
	b[4] = hllSparse
	p := hllHdrSize
	for left := hllRegisters; left > 0; left -= hllSparseXZero {
		appendSparseZero(b[p:p], min(left, hllSparseXZero))
		p += 2
	}
	o := &Object{typ: TypeString, enc: EncRaw, sds: t}
	o.setStr(b)
	return o
}

// isHLL is isHLLObjectOrReply's test: a string, not int encoded, with a
// header, the magic, a known encoding and, when dense, the exact size.
func isHLL(o *Object) bool {
	if o.enc == EncInt {
		return false
	}
	b := o.str()
	if len(b) < hllHdrSize || string(b[:4]) != "HYLL" || b[4] > hllMaxEncoding {
		return false
	}
	return b[4] != hllDense || len(b) == hllDenseSize
}

// checkHLL writes WRONGTYPE unless o is a HyperLogLog.
func (c *Client) checkHLL(o *Object) bool {
	if o.typ != TypeString {
		c.addError(errWrongType)
		return false
	}
	if !isHLL(o) {
		c.addError(errNotHLL)
		return false
	}
	return true
}

// hllInvalidateCache marks the cached cardinality stale.
func hllInvalidateCache(b []byte) { b[15] |= 0x80 }

// hllSparseToDense converts a sparse HyperLogLog object to dense in a new
// sds of the dense size (hllSparseToDense), keeping the header's cached
// cardinality. It reports false, leaving o alone, when the sparse code
// does not cover exactly 16384 registers.
func hllSparseToDense(o *Object) bool {
	sparse := o.str()
	if sparse[4] == hllDense {
		return true
	}
	t, alloc := sdsNewAlloc(hllDenseSize)
	dense := make([]byte, hllDenseSize, alloc)
	copy(dense, sparse[:hllHdrSize])
	dense[4] = hllDense
	regs := dense[hllHdrSize:]
	idx := 0
	for p := hllHdrSize; p < len(sparse); {
		op := sparse[p]
		switch {
		case sparseIsZero(op):
			idx += int(op) + 1
			p++
		case sparseIsXZero(op):
			idx += sparseXZeroLen(sparse, p)
			p += 2
		default:
			n, v := sparseValLen(op), sparseValValue(op)
			if idx+n > hllRegisters {
				// Registers past the last: corrupt, even when the opcodes
				// before covered all 16384 (Redis 7.0.15 as patched for
				// CVE-2025-32023).
				return false
			}
			for ; n > 0; n-- {
				hllDenseSetReg(regs, idx, uint8(v))
				idx++
			}
			p++
		}
	}
	if idx != hllRegisters {
		return false
	}
	o.setStr(dense)
	o.sds = t
	return true
}

// hllSparseSet raises register index of a sparse HyperLogLog to count, as
// hllSparseSet: in place when the opcodes allow, splitting a run
// otherwise, and promoting the object to dense when count does not fit a
// VAL opcode or the string would outgrow hll-sparse-max-bytes. It returns
// 1 when the register changed, 0 when not, -1 for a corrupt sparse code.
func hllSparseSet(o *Object, index int, count uint8, maxBytes int64) int {
	if count > hllSparseValMax {
		return hllPromote(o, index, count)
	}
	// Room for the worst case (XZERO split into XZERO-VAL-XZERO) first,
	// as Redis does whether or not anything changes: the allocation, and
	// so MEMORY USAGE, follows Redis's.
	o.makeRoomFor(3)
	b := o.str()
	end := len(b)
	p, prev, first, span := hllHdrSize, -1, 0, 0
	for p < end {
		oplen := 1
		switch op := b[p]; {
		case sparseIsZero(op):
			span = int(op) + 1
		case op&0x80 != 0:
			span = sparseValLen(op)
		default:
			span = sparseXZeroLen(b, p)
			oplen = 2
		}
		if index <= first+span-1 {
			break
		}
		prev = p
		p += oplen
		first += span
	}
	if span == 0 || p >= end {
		return -1
	}
	op := b[p]
	isZero, isXZero := sparseIsZero(op), sparseIsXZero(op)
	next := p + 1
	if isXZero {
		next = p + 2
	}
	var runlen int
	switch {
	case isZero:
		runlen = int(op) + 1
	case isXZero:
		runlen = sparseXZeroLen(b, p)
	default:
		runlen = sparseValLen(op)
		if sparseValValue(op) >= int(count) {
			return 0
		}
	}
	if runlen == 1 && !isXZero {
		// A VAL or ZERO opcode for this register alone: rewrite it.
		b[p] = sparseVal(int(count), 1)
	} else {
		var buf [5]byte
		seq := buf[:0]
		last := first + span - 1
		if isZero || isXZero {
			if index != first {
				seq = appendSparseZero(seq, index-first)
			}
			seq = append(seq, sparseVal(int(count), 1))
			if index != last {
				seq = appendSparseZero(seq, last-index)
			}
		} else {
			cur := sparseValValue(op)
			if index != first {
				seq = append(seq, sparseVal(cur, index-first))
			}
			seq = append(seq, sparseVal(int(count), 1))
			if index != last {
				seq = append(seq, sparseVal(cur, last-index))
			}
		}
		oldlen := 1
		if isXZero {
			oldlen = 2
		}
		delta := len(seq) - oldlen
		if delta > 0 && int64(len(b)+delta) > maxBytes {
			return hllPromote(o, index, count)
		}
		if delta != 0 && next < end {
			b = b[:end+max(delta, 0)]
			copy(b[next+delta:], b[next:end])
		}
		b = b[:end+delta]
		copy(b[p:], seq)
		end += delta
	}
	// Merge adjacent VAL opcodes of the same value, scanning up to 5
	// opcodes from the one before the change.
	p = prev
	if p < 0 {
		p = hllHdrSize
	}
	for scan := 5; p < end && scan > 0; scan-- {
		switch op := b[p]; {
		case sparseIsXZero(op):
			p += 2
			continue
		case sparseIsZero(op):
			p++
			continue
		}
		if p+1 < end && b[p+1]&0x80 != 0 {
			v1, v2 := sparseValValue(b[p]), sparseValValue(b[p+1])
			if n := sparseValLen(b[p]) + sparseValLen(b[p+1]); v1 == v2 && n <= hllSparseValLen {
				b[p+1] = sparseVal(v1, n)
				copy(b[p:], b[p+1:end])
				end--
				b = b[:end]
				continue // try the merged opcode with the next one
			}
		}
		p++
	}
	o.setStr(b[:end])
	hllInvalidateCache(b)
	return 1
}

// hllPromote converts o to dense and sets the register there (the promote
// path of hllSparseSet).
func hllPromote(o *Object, index int, count uint8) int {
	if !hllSparseToDense(o) {
		return -1
	}
	hllDenseSet(o.str()[hllHdrSize:], index, count)
	return 1
}

// hllAdd adds ele to the HyperLogLog o (hllAdd): 1 when a register
// changed, 0 when not, -1 when o is corrupt.
func hllAdd(o *Object, ele []byte, maxBytes int64) int {
	index, count := hllPatLen(ele)
	b := o.str()
	switch b[4] {
	case hllDense:
		if hllDenseSet(b[hllHdrSize:], index, count) {
			return 1
		}
		return 0
	case hllSparse:
		return hllSparseSet(o, index, count, maxBytes)
	}
	return -1
}

// maxU8 is max without a branch: register values are random, so a
// branch would be mispredicted half the time.
func maxU8(a, b uint8) uint8 {
	d := int(a) - int(b)
	return uint8(int(a) - d&(d>>8))
}

// hllDenseHisto adds the dense registers' values to histo.
func hllDenseHisto(regs []byte, histo *[64]int) {
	for i := 0; i < hllRegisters*hllBits/8; i += 3 {
		r := (*[3]byte)(regs[i : i+3])
		histo[r[0]&63]++
		histo[(r[0]>>6|r[1]<<2)&63]++
		histo[(r[1]>>4|r[2]<<4)&63]++
		histo[r[2]>>2]++
	}
}

// hllRawHisto adds one-byte registers (PFCOUNT's merged union) to histo,
// eight zero registers at a time where it can.
func hllRawHisto(max []uint8, histo *[64]int) {
	for i := 0; i+8 <= len(max); i += 8 {
		if binary.LittleEndian.Uint64(max[i:]) == 0 {
			histo[0] += 8
			continue
		}
		for _, v := range max[i : i+8] {
			histo[v&63]++
		}
	}
}

// hllSparseHisto adds the sparse code's registers to histo; it reports
// whether the code covers exactly 16384 registers.
func hllSparseHisto(b []byte, histo *[64]int) bool {
	idx := 0
	for p := hllHdrSize; p < len(b); {
		op := b[p]
		switch {
		case sparseIsZero(op):
			n := int(op) + 1
			idx += n
			histo[0] += n
			p++
		case sparseIsXZero(op):
			n := sparseXZeroLen(b, p)
			idx += n
			histo[0] += n
			p += 2
		default:
			n := sparseValLen(op)
			idx += n
			histo[sparseValValue(op)] += n
			p++
		}
	}
	return idx == hllRegisters
}

// hllSigma and hllTau are the helper functions of Otmar Ertl, "New
// cardinality estimation algorithms for HyperLogLog sketches"
// (arXiv:1702.01284), as hyperloglog.c computes them. The float64()
// conversions keep every product rounded on its own, as in C (no fused
// multiply-add).
func hllSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x = float64(x * x)
		zPrime := z
		z += float64(x * y)
		y += y
		if zPrime == z {
			return z
		}
	}
}

func hllTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		zPrime := z
		y *= 0.5
		d := 1 - x
		z -= float64(float64(d*d) * y) // pow(1-x, 2) is correctly rounded: d*d
		if zPrime == z {
			return z / 3
		}
	}
}

// hllEstimate is hllCount's estimator over a register histogram.
func hllEstimate(histo *[64]int) uint64 {
	const m = float64(hllRegisters)
	z := m * hllTau((m-float64(histo[hllQ+1]))/m)
	for j := hllQ; j >= 1; j-- {
		z += float64(histo[j])
		z *= 0.5
	}
	z += m * hllSigma(float64(histo[0])/m)
	e := math.Round(hllAlphaInf * m * m / z)
	if !(e < 1<<63) {
		// Registers all at 51 or more (a crafted dense HLL) make z zero
		// and the estimate infinite: llroundl's result for what a long
		// long cannot hold is LLONG_MIN on x86-64, which PFCOUNT replies
		// as -9223372036854775808.
		return 1 << 63
	}
	return uint64(e)
}

// hllCount is hllCount for a HyperLogLog string b; ok is false for a
// corrupt sparse code.
func hllCount(b []byte) (card uint64, ok bool) {
	var histo [64]int
	ok = true
	if b[4] == hllDense {
		hllDenseHisto(b[hllHdrSize:], &histo)
	} else {
		ok = hllSparseHisto(b, &histo)
	}
	return hllEstimate(&histo), ok
}

// hllMerge raises each of max's 16384 one-byte registers to the HyperLogLog
// b's (hllMerge); false for a corrupt sparse code.
func hllMerge(max []uint8, b []byte) bool {
	max = max[:hllRegisters]
	if b[4] == hllDense {
		regs := b[hllHdrSize:]
		// Four registers in three bytes at a time.
		for i, j := 0, 0; i < hllRegisters*hllBits/8; i, j = i+3, j+4 {
			r := (*[3]byte)(regs[i : i+3])
			m := (*[4]uint8)(max[j : j+4])
			m[0] = maxU8(m[0], r[0]&63)
			m[1] = maxU8(m[1], (r[0]>>6|r[1]<<2)&63)
			m[2] = maxU8(m[2], (r[1]>>4|r[2]<<4)&63)
			m[3] = maxU8(m[3], r[2]>>2)
		}
		return true
	}
	i := 0
	for p := hllHdrSize; p < len(b); {
		op := b[p]
		switch {
		case sparseIsZero(op):
			i += int(op) + 1
			p++
		case sparseIsXZero(op):
			i += sparseXZeroLen(b, p)
			p += 2
		default:
			n, v := sparseValLen(op), uint8(sparseValValue(op))
			if i+n > hllRegisters {
				return false
			}
			for ; n > 0; n-- {
				if v > max[i] {
					max[i] = v
				}
				i++
			}
			p++
		}
	}
	return i == hllRegisters
}

// hllDecode is PFDEBUG DECODE's text for a sparse code: "z:<n>", "Z:<n>"
// and "v:<value>,<n>" for each opcode, space separated.
func hllDecode(b []byte) string {
	var sb strings.Builder
	for p := hllHdrSize; p < len(b); {
		op := b[p]
		if sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		switch {
		case sparseIsZero(op):
			sb.WriteString(sprintf("z:%d", int(op)+1))
			p++
		case sparseIsXZero(op):
			sb.WriteString(sprintf("Z:%d", sparseXZeroLen(b, p)))
			p += 2
		default:
			sb.WriteString(sprintf("v:%d,%d", sparseValValue(op), sparseValLen(op)))
			p++
		}
	}
	return sb.String()
}

func cmdPFAdd(c *Client, args [][]byte) {
	s := c.srv
	o := c.lookupWrite(args[1])
	updated := 0
	if o == nil {
		o = newHLLObject()
		s.addKey(c.db, args[1], o)
		updated++
	} else if !c.checkHLL(o) {
		return
	}
	// A raw dense HLL keeps its size: no accounting (valueMemory is not
	// free) on the common path.
	fixed := o.enc == EncRaw && o.str()[4] == hllDense
	var before int64
	if !fixed {
		before = valueMemory(o)
	}
	o.unshare() // dbUnshareStringValue
	corrupt := false
	for _, ele := range args[2:] {
		r := hllAdd(o, ele, s.conf.HllSparseMaxBytes)
		if r < 0 {
			corrupt = true
			break
		}
		updated += r
	}
	if !fixed {
		c.db.resized(o, before)
	}
	if corrupt {
		c.addError(errInvalidHLL)
		return
	}
	if updated > 0 {
		hllInvalidateCache(o.str())
		s.dirty += int64(updated)
		s.notifyKeyspaceEvent(config.NotifyString, "pfadd", args[1], c.db.id)
		c.w.Int(1)
		return
	}
	c.w.Int(0)
}

func cmdPFCount(c *Client, args [][]byte) {
	if len(args) > 2 {
		// The cardinality of the union, registers merged into one byte
		// each (Redis's HLL_RAW).
		var max [hllRegisters]uint8
		for _, key := range args[1:] {
			o := c.lookupRead(key)
			if o == nil {
				continue
			}
			if !c.checkHLL(o) {
				return
			}
			if !hllMerge(max[:], o.str()) {
				c.addError(errInvalidHLL)
				return
			}
		}
		var histo [64]int
		hllRawHisto(max[:], &histo)
		c.w.Int(int64(hllEstimate(&histo)))
		return
	}
	o := c.lookupRead(args[1])
	if o == nil {
		c.w.Int(0)
		return
	}
	if !c.checkHLL(o) {
		return
	}
	// The value changes in place below (its encoding, its cache) after a
	// read lookup: a snapshot in progress gets it first.
	c.srv.preserve(c.db, args[1])
	if o.enc != EncRaw {
		before := valueMemory(o)
		o.unshare()
		c.db.resized(o, before)
	}
	b := o.str()
	if b[15]&0x80 == 0 {
		c.w.Int(int64(binary.LittleEndian.Uint64(b[8:16])))
		return
	}
	card, ok := hllCount(b)
	if !ok {
		c.addError(errInvalidHLL)
		return
	}
	// PFCOUNT is a read-only command that writes the cache: Redis counts
	// it as a change, so it reaches replicas and the AOF.
	binary.LittleEndian.PutUint64(b[8:16], card)
	c.srv.noteWrite(c.db, args[1]) // and signals it to WATCH
	c.srv.dirty++
	c.w.Int(int64(card))
}

func cmdPFMerge(c *Client, args [][]byte) {
	var max [hllRegisters]uint8
	useDense := false
	for _, key := range args[1:] {
		o := c.lookupRead(key)
		if o == nil {
			continue
		}
		if !c.checkHLL(o) {
			return
		}
		b := o.str()
		if b[4] == hllDense {
			useDense = true
		}
		if !hllMerge(max[:], b) {
			c.addError(errInvalidHLL)
			return
		}
	}
	s := c.srv
	o := c.lookupWrite(args[1])
	if o == nil {
		o = newHLLObject()
		s.addKey(c.db, args[1], o)
	}
	// An existing destination was checked with the sources.
	before := valueMemory(o)
	defer func() { c.db.resized(o, before) }()
	o.unshare()
	if useDense && !hllSparseToDense(o) {
		c.addError(errInvalidHLL)
		return
	}
	for j, v := range max {
		if v == 0 {
			continue
		}
		if b := o.str(); b[4] == hllDense {
			hllDenseSet(b[hllHdrSize:], j, v)
		} else {
			hllSparseSet(o, j, v, s.conf.HllSparseMaxBytes)
		}
	}
	hllInvalidateCache(o.str())
	s.dirty++
	s.notifyKeyspaceEvent(config.NotifyString, "pfadd", args[1], c.db.id)
	c.w.OK()
}

func cmdPFDebug(c *Client, args [][]byte) {
	o := c.lookupWrite(args[2])
	if o == nil {
		c.addError("ERR The specified key does not exist")
		return
	}
	if !c.checkHLL(o) {
		return
	}
	before := valueMemory(o)
	defer func() { c.db.resized(o, before) }()
	o.unshare()
	sub := cString(args[1]) // strcasecmp and %s stop at a NUL byte
	if len(args) != 3 && (eqFold(sub, "getreg") || eqFold(sub, "decode") || eqFold(sub, "encoding") || eqFold(sub, "todense")) {
		c.addError(sprintf("ERR Wrong number of arguments for the '%s' subcommand", cString(sub)))
		return
	}
	switch {
	case eqFold(sub, "getreg"):
		if o.str()[4] == hllSparse {
			if !hllSparseToDense(o) {
				c.addError(errInvalidHLL)
				return
			}
			c.srv.dirty++ // the encoding change must propagate
		}
		regs := o.str()[hllHdrSize:]
		c.w.Array(hllRegisters)
		for j := 0; j < hllRegisters; j++ {
			c.w.Int(int64(hllDenseGet(regs, j)))
		}
	case eqFold(sub, "decode"):
		if o.str()[4] != hllSparse {
			c.addError("ERR HLL encoding is not sparse")
			return
		}
		c.w.BulkString(hllDecode(o.str()))
	case eqFold(sub, "encoding"):
		c.w.Status([...]string{"dense", "sparse"}[o.str()[4]])
	case eqFold(sub, "todense"):
		if o.str()[4] == hllDense {
			c.w.Int(0)
			return
		}
		if !hllSparseToDense(o) {
			c.addError(errInvalidHLL)
			return
		}
		c.srv.dirty++
		c.w.Int(1)
	default:
		c.addError(sprintf("ERR Unknown PFDEBUG subcommand '%s'", cString(sub)))
	}
}

// cmdPFSelfTest is PFSELFTEST: the register accessors keep every value
// and leave their neighbours alone, and the sparse and dense
// representations count the same, within the expected error, from 1 to
// 10^7 elements. Replies +OK or "-TESTFAILED ...".
func cmdPFSelfTest(c *Client, _ [][]byte) {
	regs := make([]byte, hllDenseSize-hllHdrSize)
	var want [hllRegisters]uint8
	for j := 0; j < hllTestCycles; j++ {
		for i := range want {
			want[i] = uint8(rand.Uint32() & hllRegisterMax)
			hllDenseSetReg(regs, i, want[i])
		}
		for i, w := range want {
			if v := hllDenseGet(regs, i); v != w {
				c.addError(sprintf("TESTFAILED Register %d should be %d but is %d", i, w, v))
				return
			}
		}
	}
	dense := make([]byte, hllDenseSize)
	copy(dense, "HYLL")
	o := newHLLObject()
	maxBytes := c.srv.conf.HllSparseMaxBytes
	relerr := 1.04 / math.Sqrt(hllRegisters)
	checkpoint := int64(1)
	seed := rand.Uint64()
	var ele [8]byte
	for j := int64(1); j <= 10000000; j++ {
		binary.LittleEndian.PutUint64(ele[:], uint64(j)^seed)
		index, count := hllPatLen(ele[:])
		hllDenseSet(dense[hllHdrSize:], index, count)
		hllAdd(o, ele[:], maxBytes)
		if j != checkpoint {
			continue
		}
		if j < maxBytes/2 && o.str()[4] != hllSparse {
			c.addError("TESTFAILED sparse encoding not used")
			return
		}
		want, _ := hllCount(dense)
		got, _ := hllCount(o.str())
		if want != got {
			c.addError("TESTFAILED dense/sparse disagree")
			return
		}
		abserr := checkpoint - int64(want)
		maxerr := int64(math.Ceil(relerr * 6 * float64(checkpoint)))
		if j == 10 {
			maxerr = 1 // collisions make larger errors likely at 10
		}
		if abserr < 0 {
			abserr = -abserr
		}
		if abserr > maxerr {
			c.addError(sprintf("TESTFAILED Too big error. card:%d abserr:%d", checkpoint, abserr))
			return
		}
		checkpoint *= 10
	}
	c.w.OK()
}
