package images

import (
	"math/bits"
	"slices"
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
// (Norouzi et al.): the 64-bit pHash is cut into four 16-bit chunks, each
// with its own table; two hashes within distance r agree within ⌊r/4⌋ bits
// on at least one chunk, so a lookup probes, in each table, the buckets
// within ⌊r/4⌋ bits of the query's chunk (697 buckets for r = 14) and
// checks only what they hold: about 4·697/65536 ≈ 4% of the entries, plus
// a constant, instead of all of them. (A BK-tree was tried first: at
// r = 14 on 64 bits it visits nearly every node and was 200× slower than
// a linear scan; bench_test.go keeps the linear scan as the baseline.)
type Index struct {
	// MaxDistance is the largest pHash distance searched; MaxSum the
	// largest pHash + dHash distance that matches (dHash confirms; 0 means
	// no check).
	MaxDistance, MaxSum int
	// MaxColor is the largest ColorDistance of the 3×3 colour grids that
	// matches (0 means no check).
	MaxColor int

	refs []Reference
	ps   []uint64 // refs' pHashes, flat: candidates are checked here first

	mu    sync.Mutex
	built atomic.Pointer[tables] // nil after an Add until the next Lookup
}

// tables are the four chunk tables in compressed-row form: the entries
// of chunk value v in table c are ids[c][start[c][v]:start[c][v+1]].
type tables struct {
	start [4][]uint32
	ids   [4][]int32
}

// Add indexes ref. Adds are not safe concurrently with each other;
// lookups may run concurrently with each other.
func (ix *Index) Add(ref Reference) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.refs = append(ix.refs, ref)
	ix.ps = append(ix.ps, ref.P)
	ix.built.Store(nil)
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
	t := &tables{}
	for c := range 4 {
		start := make([]uint32, 1<<16+1)
		for _, p := range ix.ps {
			start[int(chunk(p, c))+1]++
		}
		for v := 1; v < len(start); v++ {
			start[v] += start[v-1]
		}
		ids := make([]int32, len(ix.ps))
		fill := slices.Clone(start[:1<<16])
		for i, p := range ix.ps {
			k := chunk(p, c)
			ids[fill[k]] = int32(i)
			fill[k]++
		}
		t.start[c], t.ids[c] = start, ids
	}
	ix.built.Store(t)
	return t
}

// Len is the number of indexed hashes (a reference counts once per crop
// and mirror).
func (ix *Index) Len() int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return len(ix.refs)
}

func chunk(h uint64, c int) uint16 { return uint16(h >> (16 * c)) }

// masks[r] are the 16-bit XOR masks of at most r set bits.
var masks = func() [17][]uint16 {
	var out [17][]uint16
	for r := range out {
		for m := 0; m < 1<<16; m++ {
			if bits.OnesCount16(uint16(m)) <= r {
				out[r] = append(out[r], uint16(m))
			}
		}
		// nearest buckets first does not matter: every probe is checked
	}
	return out
}()

// Lookup returns the references within the distances of h, nearest first,
// at most one per (mark, file): the nearer of a picture, its crops and
// their mirrors.
func (ix *Index) Lookup(h Hashes) []Match {
	t := ix.tables()
	ix.mu.Lock()
	refs, ps := ix.refs, ix.ps
	ix.mu.Unlock()
	if len(refs) == 0 {
		return nil
	}
	r := min(ix.MaxDistance/4, 16)
	var out []Match
	var seen []int32
	for c := range 4 {
		q := chunk(h.P, c)
		start, ids := t.start[c], t.ids[c]
		for _, m := range masks[r] {
			v := q ^ m
			for _, i := range ids[start[v]:start[int(v)+1]] {
				d := Distance(ps[i], h.P)
				if d > ix.MaxDistance {
					continue
				}
				ref := &refs[i]
				dd := Distance(ref.D, h.D)
				if ix.MaxSum != 0 && d+dd > ix.MaxSum {
					continue
				}
				cd := ColorDistance(ref.C, h.C)
				if ix.MaxColor != 0 && cd > ix.MaxColor {
					continue
				}
				dup := false
				for _, s := range seen {
					if s == i {
						dup = true
						break
					}
				}
				if dup {
					continue
				}
				seen = append(seen, i)
				out = append(out, Match{Reference: *ref, Distance: d, DDistance: dd, Color: cd})
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
