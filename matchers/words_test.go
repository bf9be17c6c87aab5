package matchers

import (
	"math/rand/v2"
	"testing"
)

// TestWordFilterTurnsNoWordAway: behind its filter the dictionary lookup
// still finds every entry of the table (the filter has no false
// negatives), and answers exactly as the plain search of the table does
// for hashes it may not hold.
func TestWordFilterTurnsNoWordAway(t *testing.T) {
	n := len(hanWords) / 8
	if n < 100000 {
		t.Fatalf("dictionary table has %d entries, want the whole gse dictionary", n)
	}
	for i := range n {
		h := entry(i) >> 8
		if got := lookupHash(h); got < 0 || entry(got)>>8 != h {
			t.Fatalf("entry %d (hash %x): the filter turns it away (lookupHash = %d)", i, h, got)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	nonWords, turnedAway := 0, 0
	for k := range 200000 {
		h := rng.Uint64() >> 8
		if k%2 == 1 { // next to a real entry: the hardest misses
			h = entry(rng.IntN(n))>>8 + uint64(rng.IntN(3)) - 1
		}
		want := searchHash(h)
		if got := lookupHash(h); got != want {
			t.Fatalf("hash %x: lookupHash = %d, the table's search = %d", h, got, want)
		}
		if want < 0 {
			nonWords++
			if !mayBeWord(h) {
				turnedAway++
			}
		}
	}
	// The filter is the point: most hashes that are no word never reach
	// the table (about 85 % with 15 % of its bits set).
	if turnedAway < nonWords*7/10 {
		t.Errorf("the filter turned away %d of %d non-words, want most", turnedAway, nonWords)
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
