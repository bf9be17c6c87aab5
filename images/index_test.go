package images

import (
	"fmt"
	"image"
	"math/rand/v2"
	"testing"

	"github.com/markwatch/markwatch/images/synth"
)

func mustHash(t testing.TB, img image.Image) Hashes {
	t.Helper()
	h, err := HashImage(img)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func decodeBytes(t testing.TB, b []byte) image.Image {
	t.Helper()
	img, _, err := Decode(b, 1<<24)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// The edits resellers make to a stolen photo still match its reference;
// pictures of the same kinds that are not it do not.
func TestNearDuplicatesMatchUnrelatedDoNot(t *testing.T) {
	face, err := synth.CJKFace(24)
	if err != nil {
		face = nil // the watermark band alone
	}
	ix := NewIndex()
	kinds := []string{synth.Emblem, synth.Mascot, synth.Product}
	refs := map[string]image.Image{}
	for i, k := range kinds {
		img := synth.Draw(k, uint64(i+1), 240)
		refs[k] = img
		if err := ix.AddReference("mark-"+k, k+".png", img); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range kinds {
		ref := refs[k]
		edits := map[string]image.Image{
			"crop":      synth.Crop(ref, 0.08, 0.05, 0.02, 0.08),
			"resize":    synth.Resize(ref, 200, 150),
			"jpeg q50":  decodeBytes(t, synth.JPEG(ref, 50)),
			"watermark": synth.Watermark(ref, face, "小店 正品"),
			"mirror":    synth.Mirror(ref),
			"all": synth.Mirror(decodeBytes(t, synth.JPEG(synth.Watermark(
				synth.Resize(synth.Crop(ref, 0.06, 0.03, 0.02, 0.06), 180, 170), face, "店"), 60))),
		}
		for name, img := range edits {
			m := ix.Lookup(mustHash(t, img))
			if len(m) == 0 || m[0].Mark != "mark-"+k {
				loose := &Index{MaxDistance: 64, refs: ix.refs, hs: ix.hs}
				t.Errorf("%s %s: got %v, want a match of mark-%s (nearest: %v)", k, name, m, k, loose.Lookup(mustHash(t, img))[:1])
			}
		}
	}
	// Unrelated pictures of the same kinds (other seeds).
	false_ := 0
	n := 0
	for seed := uint64(100); seed < 200; seed++ {
		for _, k := range kinds {
			n++
			if m := ix.Lookup(mustHash(t, synth.Draw(k, seed, 160))); len(m) > 0 {
				false_++
				t.Logf("unrelated %s seed %d matched %v", k, seed, m)
			}
		}
	}
	if false_*50 > n { // at most 2%
		t.Errorf("%d of %d unrelated pictures matched a reference", false_, n)
	}
}

// Multi-index hashing returns exactly what a linear scan returns.
func TestIndexAgreesWithLinearScan(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ix := &Index{MaxDistance: 10, MaxSum: 18}
	var all []Reference
	for i := range 3000 {
		ref := Reference{Mark: fmt.Sprint("m", i%50), File: fmt.Sprint(i, ".png"), Hashes: Hashes{P: r.Uint64(), D: r.Uint64()}}
		all = append(all, ref)
		ix.Add(ref)
	}
	for q := range 200 {
		var h Hashes
		if q%2 == 0 { // near an indexed one
			base := all[r.IntN(len(all))]
			h = Hashes{P: base.P ^ (1<<r.IntN(64) | 1<<r.IntN(64)), D: base.D ^ 1<<r.IntN(64)}
		} else {
			h = Hashes{P: r.Uint64(), D: r.Uint64()}
		}
		want := map[string]bool{}
		for _, ref := range all {
			if d := Distance(ref.P, h.P); d <= ix.MaxDistance && d+Distance(ref.D, h.D) <= ix.MaxSum {
				want[ref.File] = true
			}
		}
		got := ix.Lookup(h)
		if len(got) != len(want) {
			t.Fatalf("query %d: got %d matches, linear scan %d", q, len(got), len(want))
		}
		for _, m := range got {
			if !want[m.File] {
				t.Fatalf("query %d: %s not within distance", q, m.File)
			}
		}
	}
}

// flip returns h with k distinct random bits of the 128-bit pHash‖dHash
// flipped, the first kp of them in pHash.
func flip(r *rand.Rand, h Hashes, kp, kd int) Hashes {
	for _, b := range r.Perm(64)[:kp] {
		h.P ^= 1 << b
	}
	for _, b := range r.Perm(64)[:kd] {
		h.D ^= 1 << b
	}
	return h
}

// Multi-index hashing returns exactly the linear scan's matches for every
// plan it chooses (pHash only, pHash‖dHash, chunks across the 64-bit
// boundary, scan), on random and on clustered hashes, with queries at and
// just beyond the distances.
func TestIndexPlansAgreeWithLinearScan(t *testing.T) {
	for _, lim := range [][2]int{{14, 24}, {14, 0}, {10, 18}, {5, 0}, {3, 4}} {
		for _, n := range []int{500, 40000} {
			for _, clustered := range []bool{false, true} {
				name := fmt.Sprintf("d%d-s%d-n%d-clustered=%v", lim[0], lim[1], n, clustered)
				t.Run(name, func(t *testing.T) {
					r := rand.New(rand.NewPCG(uint64(n), uint64(lim[0]*100+lim[1])))
					ix := &Index{MaxDistance: lim[0], MaxSum: lim[1]}
					var all []Reference
					var base Hashes
					for i := range n {
						h := Hashes{P: r.Uint64(), D: r.Uint64()}
						if clustered { // groups of 20 around a centre, as crops and look-alikes are
							if i%20 == 0 {
								base = h
							}
							h = flip(r, base, r.IntN(12), r.IntN(12))
						}
						ref := Reference{Mark: fmt.Sprint("m", i%7), File: fmt.Sprint(i), Hashes: h}
						all = append(all, ref)
						ix.Add(ref)
					}
					if tb := ix.tables(); n >= 40000 && len(tb.chunks) == 0 {
						t.Fatalf("%d entries: the plan is a scan", n)
					} else {
						t.Logf("%d chunks", len(tb.chunks))
					}
					matched := 0
					for q := range 300 {
						h := Hashes{P: r.Uint64(), D: r.Uint64()}
						if q%3 != 0 { // at a distance around the limits of an indexed one
							kp := min(64, lim[0]-1+r.IntN(3))
							kd := r.IntN(max(lim[1]-kp, 0) + 3)
							h = flip(r, all[r.IntN(n)].Hashes, kp, kd)
						}
						want := map[string]bool{}
						for _, ref := range all {
							d := Distance(ref.P, h.P)
							if d <= ix.MaxDistance && (ix.MaxSum == 0 || d+Distance(ref.D, h.D) <= ix.MaxSum) {
								want[ref.File] = true
							}
						}
						got := ix.Lookup(h)
						matched += len(got)
						if len(got) != len(want) {
							t.Fatalf("query %d: got %d matches, linear scan %d", q, len(got), len(want))
						}
						for _, m := range got {
							if !want[m.File] {
								t.Fatalf("query %d: %s not within distance", q, m.File)
							}
						}
					}
					if matched == 0 {
						t.Fatal("no query matched: the comparison proves nothing")
					}
				})
			}
		}
	}
}
