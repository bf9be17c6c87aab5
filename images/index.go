package images

import (
	"math"
	"math/bits"
	"sort"
	"sync"
	"sync/atomic"
)

// Reference is one reference picture of a mark.
type Reference struct {
	Mark string // mark id
	File string // file name in the registry folder, e.g. "emblem.png"
	Hashes
	Mirrored bool // these are the hashes of the mirrored picture
}

// Match is a reference within the index's distances of a photo.
type Match struct {
	Reference
	Distance  int // pHash Hamming distance
	DDistance int // dHash Hamming distance
	Color     int // ColorDistance
}

// Index finds the references near a photo's hashes by multi-index hashing
// (Norouzi, Punjani, Fleet, "Fast exact search in Hamming space with
// multi-index hashing", 2014).
//
// A match needs pHash distance ≤ MaxDistance and, when MaxSum is set,
// pHash + dHash distance ≤ MaxSum: the Hamming distance of the 128-bit
// concatenation pHash‖dHash. The key (64 bits of pHash, or 128 of
// pHash‖dHash when MaxSum is set, whichever the cost model prefers) is cut
// into m chunks, each with its own table of exact-match buckets. If the
// key radius is r = a·m + b (0 ≤ b < m), a match agrees within a bits on
// one of the first b+1 chunks or within a−1 bits on one of the others
// (else the distance would be ≥ (b+1)(a+1) + (m−b−1)a = r+1): a lookup
// probes, per chunk, the buckets within that radius of the query's chunk
// and checks only the entries they hold. m and the chunk widths are
// chosen when the tables are built, for the number of entries n, to
// minimise probes + candidates (chunks of about log2 n bits); when that
// is not cheaper than checking every entry (small indexes, large radii) a
// lookup scans. The result is exactly the linear scan's (index_test.go).
//
// Cost: for uniformly random hashes the expected candidates are
// n·Σ V(w, rᵢ)/2^w, which with w ≈ log2 n grows like a power of n below
// one, not like log n: an exact radius-24 search in 128 bits (19% of the
// bits may differ) has no logarithmic method. Real photos' hashes are
// clustered (many photos share coarse structure), which fills some
// buckets more than random hashes do; bench_test.go measures both.
// (A BK-tree was tried first: at r = 14 on 64 bits it visits nearly every
// node and was 200× slower than a linear scan.)
type Index struct {
	// MaxDistance is the largest pHash distance searched; MaxSum the
	// largest pHash + dHash distance that matches (dHash confirms; 0 means
	// no check).
	MaxDistance, MaxSum int
	// MaxColor is the largest ColorDistance of the 3×3 colour grids that
	// matches (0 means no check).
	MaxColor int

	mu    sync.Mutex
	refs  []Reference
	hs    [][2]uint64            // refs' pHash and dHash, flat: candidates are checked here first
	built atomic.Pointer[tables] // nil after an Add until the next Lookup
}

// chunk is one table: bits [off, off+width) of the key, probed within radius.
type chunk struct {
	off, width, radius int
	start              []uint32 // entries of value v: ids[start[v]:start[v+1]]
	ids                []int32
	ps                 []uint64 // the entries' pHashes, beside ids: most candidates fail on them without a read of hs
	masks              []uint32 // XOR masks of at most radius bits in width
}

// tables are the chunk tables for the first n entries (refs and hs as
// they were when built); no chunks means scan.
type tables struct {
	refs   []Reference
	hs     [][2]uint64
	chunks []chunk
}

// Add indexes ref. Adds are not safe concurrently with each other;
// lookups may run concurrently with each other.
func (ix *Index) Add(ref Reference) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.refs = append(ix.refs, ref)
	ix.hs = append(ix.hs, [2]uint64{ref.P, ref.D})
	ix.built.Store(nil)
}

// Len is the number of indexed hashes (a reference counts once per crop
// and mirror).
func (ix *Index) Len() int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return len(ix.refs)
}

// tables builds (once after adds) the chunk tables.
func (ix *Index) tables() *tables {
	if t := ix.built.Load(); t != nil {
		return t
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if t := ix.built.Load(); t != nil {
		return t
	}
	t := &tables{refs: ix.refs, hs: ix.hs}
	for _, c := range plan(len(ix.hs), ix.MaxDistance, ix.MaxSum) {
		size := 1 << c.width
		c.start = make([]uint32, size+1)
		for _, h := range ix.hs {
			c.start[extract(h, c.off, c.width)+1]++
		}
		for v := 1; v <= size; v++ {
			c.start[v] += c.start[v-1]
		}
		c.ids, c.ps = make([]int32, len(ix.hs)), make([]uint64, len(ix.hs))
		fill := make([]uint32, size)
		copy(fill, c.start[:size])
		for i, h := range ix.hs {
			k := extract(h, c.off, c.width)
			c.ids[fill[k]], c.ps[fill[k]] = int32(i), h[0]
			fill[k]++
		}
		c.masks = masks(c.width, c.radius)
		t.chunks = append(t.chunks, c)
	}
	ix.built.Store(t)
	return t
}

// Cost model of plan: a probe (two reads of a start table) and a
// candidate (its pHash read beside its id, a POPCNT) cost about the same; a
// scanned entry, read in order, costs much less (measured: a fifth or less).
const (
	candidateCost = 1.0
	scanCost      = 0.2
	maxWidth      = 24 // a start table of at most 64 MiB
)

// plan chooses the chunks for n entries: the cheapest of multi-index
// hashing on pHash (64 bits, radius MaxDistance) and, when MaxSum is set,
// on pHash‖dHash (128 bits, radius MaxSum), over every chunk count; nil
// when a scan is cheaper.
func plan(n, maxDist, maxSum int) []chunk {
	var best []chunk
	bestCost := scanCost * float64(n)
	try := func(keyBits, r int) {
		if r < 0 || r >= keyBits {
			return
		}
		for m := 1; m <= keyBits; m++ {
			width := keyBits / m
			if width > maxWidth || 1<<width > max(1<<16, 16*n) {
				continue // memory: start tables of at most 16 words an entry
			}
			chunks := layout(keyBits, r, m)
			cost := 0.0
			for _, c := range chunks {
				v := float64(ballSize(c.width, c.radius))
				cost += v + candidateCost*float64(n)*v/math.Exp2(float64(c.width))
			}
			if cost < bestCost {
				best, bestCost = chunks, cost
			}
		}
	}
	try(64, maxDist)
	if maxSum > 0 {
		try(128, maxSum)
	}
	return best
}

// layout cuts keyBits into m chunks (the first keyBits mod m one bit
// wider) and gives each its radius by the pigeonhole argument on the
// Index; chunks with a negative radius need no probe and are left out.
func layout(keyBits, r, m int) []chunk {
	a, b := r/m, r%m
	var out []chunk
	off := 0
	for i := range m {
		width := keyBits / m
		if i < keyBits%m {
			width++
		}
		radius := a
		if i > b {
			radius = a - 1
		}
		if radius >= 0 {
			out = append(out, chunk{off: off, width: width, radius: min(radius, width)})
		}
		off += width
	}
	return out
}

// ballSize is the number of width-bit values within radius bits of one.
func ballSize(width, radius int) int {
	n, c := 0, 1
	for k := 0; k <= radius && k <= width; k++ {
		n += c
		c = c * (width - k) / (k + 1)
	}
	return n
}

var maskCache sync.Map // [2]int{width, radius} → []uint32

// masks returns the width-bit values of at most radius set bits, fewest
// bits first.
func masks(width, radius int) []uint32 {
	key := [2]int{width, radius}
	if m, ok := maskCache.Load(key); ok {
		return m.([]uint32)
	}
	out := make([]uint32, 0, ballSize(width, radius))
	var rec func(from, left int, m uint32)
	rec = func(from, left int, m uint32) {
		if left == 0 {
			out = append(out, m)
			return
		}
		for bit := from; bit <= width-left; bit++ {
			rec(bit+1, left-1, m|1<<bit)
		}
	}
	for k := 0; k <= radius; k++ {
		rec(0, k, 0)
	}
	maskCache.Store(key, out)
	return out
}

// extract returns bits [off, off+width) of the 128-bit key h[0]‖h[1]
// (h[0] the low 64 bits).
func extract(h [2]uint64, off, width int) uint32 {
	var v uint64
	if off >= 64 {
		v = h[1] >> (off - 64)
	} else {
		v = h[0] >> off
		if off+width > 64 {
			v |= h[1] << (64 - off)
		}
	}
	return uint32(v & (1<<width - 1))
}

// lookupStats count a lookup's work (bench_test.go reports them).
type lookupStats struct{ probes, candidates int }

// Lookup returns the references within the distances of h, nearest first,
// at most one per (mark, file): the nearer of a picture, its crops and
// their mirrors.
func (ix *Index) Lookup(h Hashes) []Match { return ix.lookup(h, nil) }

func (ix *Index) lookup(h Hashes, st *lookupStats) []Match {
	t := ix.tables()
	if len(t.refs) == 0 {
		return nil
	}
	q := [2]uint64{h.P, h.D}
	var out []Match
	var seen []int32
	check := func(i int32, d int) { // d: the pHash distance
		dd := bits.OnesCount64(t.hs[i][1] ^ q[1])
		if ix.MaxSum != 0 && d+dd > ix.MaxSum {
			return
		}
		ref := &t.refs[i]
		cd := ColorDistance(ref.C, h.C)
		if ix.MaxColor != 0 && cd > ix.MaxColor {
			return
		}
		for _, s := range seen { // found again through another chunk
			if s == i {
				return
			}
		}
		seen = append(seen, i)
		out = append(out, Match{Reference: *ref, Distance: d, DDistance: dd, Color: cd})
	}
	if len(t.chunks) == 0 {
		for i, e := range t.hs {
			if d := bits.OnesCount64(e[0] ^ q[0]); d <= ix.MaxDistance {
				check(int32(i), d)
			}
		}
		if st != nil {
			st.candidates += len(t.hs)
		}
	}
	for c := range t.chunks {
		ch := &t.chunks[c]
		k := extract(q, ch.off, ch.width)
		for _, m := range ch.masks {
			v := k ^ m
			lo, hi := ch.start[v], ch.start[v+1]
			for j, p := range ch.ps[lo:hi] {
				if d := bits.OnesCount64(p ^ q[0]); d <= ix.MaxDistance {
					check(ch.ids[lo+uint32(j)], d)
				}
			}
			if st != nil {
				st.probes++
				st.candidates += int(hi - lo)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if si, sj := out[i].Distance+out[i].DDistance, out[j].Distance+out[j].DDistance; si != sj {
			return si < sj
		}
		return out[i].File < out[j].File
	})
	kept := out[:0]
	done := map[[2]string]bool{}
	for _, m := range out {
		k := [2]string{m.Mark, m.File}
		if !done[k] {
			done[k] = true
			kept = append(kept, m)
		}
	}
	return kept
}
