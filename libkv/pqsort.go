package libkv

// geoPqsort sorts ga enough that ranks lrange..rrange hold what a full
// sort would put there: Redis's pqsort (pqsort.c, a partial form of the
// BSD Bentley-McIlroy quicksort), which GEOSEARCH and GEORADIUS use for
// COUNT. It is not stable, so equal distances come out in its order, not
// a stable sort's: it is followed step for step (pivot choice by median
// of three or nine, the partition with the equal keys swapped to the
// ends, the insertion sort below 7 elements or after a partition without
// a swap, the recursion only into ranges that meet lrange..rrange).
func geoPqsort(ga []geoPoint, lrange, rrange int, cmp func(a, b *geoPoint) int) {
	pqsortRange(ga, 0, len(ga), lrange, rrange, cmp)
}

func pqsortRange(ga []geoPoint, a, n, lrange, rrange int, cmp func(a, b *geoPoint) int) {
	swap := func(i, j int) { ga[i], ga[j] = ga[j], ga[i] }
	vecswap := func(i, j, k int) {
		for ; k > 0; k-- {
			swap(i, j)
			i++
			j++
		}
	}
	med3 := func(x, y, z int) int {
		if cmp(&ga[x], &ga[y]) < 0 {
			if cmp(&ga[y], &ga[z]) < 0 {
				return y
			}
			if cmp(&ga[x], &ga[z]) < 0 {
				return z
			}
			return x
		}
		if cmp(&ga[y], &ga[z]) > 0 {
			return y
		}
		if cmp(&ga[x], &ga[z]) < 0 {
			return x
		}
		return z
	}
	insertion := func() {
		for pm := a + 1; pm < a+n; pm++ {
			for pl := pm; pl > a && cmp(&ga[pl-1], &ga[pl]) > 0; pl-- {
				swap(pl, pl-1)
			}
		}
	}
	for {
		if n < 7 {
			insertion()
			return
		}
		pm := a + n/2
		if n > 7 {
			pl, pn := a, a+n-1
			if n > 40 {
				d := n / 8
				pl = med3(pl, pl+d, pl+2*d)
				pm = med3(pm-d, pm, pm+d)
				pn = med3(pn-2*d, pn-d, pn)
			}
			pm = med3(pl, pm, pn)
		}
		swap(a, pm)
		pa, pb := a+1, a+1
		pc, pd := a+n-1, a+n-1
		swapped := false
		for {
			for pb <= pc {
				r := cmp(&ga[pb], &ga[a])
				if r > 0 {
					break
				}
				if r == 0 {
					swapped = true
					swap(pa, pb)
					pa++
				}
				pb++
			}
			for pb <= pc {
				r := cmp(&ga[pc], &ga[a])
				if r < 0 {
					break
				}
				if r == 0 {
					swapped = true
					swap(pc, pd)
					pd--
				}
				pc--
			}
			if pb > pc {
				break
			}
			swap(pb, pc)
			swapped = true
			pb++
			pc--
		}
		if !swapped {
			insertion()
			return
		}
		pn := a + n
		r := min(pa-a, pb-pa)
		vecswap(a, pb-r, r)
		r = min(pd-pc, pn-pd-1)
		vecswap(pb, pn-r, r)
		// A part is sorted only when it meets lrange..rrange.
		meets := func(start, cnt int) bool { return !(rrange < start || lrange > start+cnt-1) }
		if r = pb - pa; r > 1 && meets(a, r) {
			pqsortRange(ga, a, r, lrange, rrange, cmp)
		}
		if r = pd - pc; r > 1 {
			a, n = pn-r, r
			if meets(a, n) {
				continue
			}
		}
		return
	}
}
