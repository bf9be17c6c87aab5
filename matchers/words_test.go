package matchers

import (
	"math/rand/v2"
	"sort"
	"testing"
)

// TestFindHashAgreesWithBinarySearch: the interpolation search, alone and
// behind the filter, finds every entry of the dictionary table, and
// answers -1 for hashes it does not hold, exactly as a binary search over
// the same table does.
func TestFindHashAgreesWithBinarySearch(t *testing.T) {
	n := len(hanWords) / 8
	if n < 100000 {
		t.Fatalf("dictionary table has %d entries, want the whole gse dictionary", n)
	}
	binary := func(h uint64) int {
		i := sort.Search(n, func(i int) bool { return entry(i)>>8 >= h })
		if i < n && entry(i)>>8 == h {
			return i
		}
		return -1
	}
	for i := range n {
		h := entry(i) >> 8
		if got := findHash(h, n); got < 0 || entry(got)>>8 != h {
			t.Fatalf("entry %d (hash %x): findHash = %d", i, h, got)
		}
		if got := lookupHash(h); got < 0 || entry(got)>>8 != h {
			t.Fatalf("entry %d (hash %x): the filter turns it away (lookupHash = %d)", i, h, got)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	edges := []uint64{0, entry(0)>>8 - 1, entry(n-1)>>8 + 1, 1<<56 - 1}
	for k := range 200000 {
		var h uint64
		if k < len(edges) {
			h = edges[k]
		} else if k%2 == 0 {
			h = rng.Uint64() >> 8
		} else { // next to a real entry: the hardest misses
			h = entry(rng.IntN(n))>>8 + uint64(rng.IntN(3)) - 1
		}
		want := binary(h)
		if got := findHash(h, n); (got < 0) != (want < 0) || got >= 0 && entry(got)>>8 != entry(want)>>8 {
			t.Fatalf("hash %x: findHash = %d, binary search = %d", h, got, want)
		}
		if got := lookupHash(h); (got < 0) != (want < 0) || got >= 0 && entry(got)>>8 != entry(want)>>8 {
			t.Fatalf("hash %x: lookupHash (filter, then findHash) = %d, binary search = %d", h, got, want)
		}
	}
	// Known words, and a string that is none.
	for _, w := range []string{"钢琴", "中国", "跑鞋"} {
		if _, _, ok := wordInfo([]rune(w)); !ok {
			t.Errorf("%s: not found in the dictionary", w)
		}
	}
	if _, _, ok := wordInfo([]rune("耐克跑鞋男款")); ok {
		t.Errorf("a run-on title read as one dictionary word")
	}
}
