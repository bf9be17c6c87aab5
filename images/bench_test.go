package images

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/images/synth"
)

// BenchmarkHash: decode nothing, hash one 800×800 photo (thumbnail, pHash,
// dHash, colour grid). Reported as images/s on one core (-cpu 1).
func BenchmarkHash(b *testing.B) {
	img := decodeBytes(b, synth.JPEG(synth.Draw(synth.Mascot, 1, 800), 85))
	b.ResetTimer()
	for b.Loop() {
		if _, err := HashImage(img); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
}

// index10k is 10,000 references as AddReference indexes them (7 crops ×
// 2 mirrors = 14 hashes each: 140,000 entries), with random hashes.
func index10k() (*Index, []Reference) {
	r := rand.New(rand.NewPCG(7, 7))
	ix := NewIndex()
	var all []Reference
	for i := range 10000 * len(cropVariants) * 2 {
		var c [27]uint8
		for k := range c {
			c[k] = uint8(r.IntN(256))
		}
		ref := Reference{Mark: "m", File: string(rune('a' + i%26)), Hashes: Hashes{P: r.Uint64(), D: r.Uint64(), C: c}}
		ix.Add(ref)
		all = append(all, ref)
	}
	return ix, all
}

// BenchmarkLookup10k: one listing photo against 10,000 references, in the
// multi-index hash tables, half the queries near an indexed hash.
func BenchmarkLookup10k(b *testing.B) {
	ix, all := index10k()
	r := rand.New(rand.NewPCG(9, 9))
	queries := make([]Hashes, 256)
	for i := range queries {
		queries[i] = Hashes{P: r.Uint64(), D: r.Uint64()}
		if i%2 == 0 {
			base := all[r.IntN(len(all))]
			queries[i] = Hashes{P: base.P ^ 1<<r.IntN(64), D: base.D, C: base.C}
		}
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		ix.Lookup(queries[i%len(queries)])
		i++
	}
}

// BenchmarkLookup10kLinear is the baseline: a linear scan of the same
// 140,000 hashes with the same checks (POPCNT, no allocation).
func BenchmarkLookup10kLinear(b *testing.B) {
	ix, all := index10k()
	r := rand.New(rand.NewPCG(9, 9))
	queries := make([]Hashes, 256)
	for i := range queries {
		queries[i] = Hashes{P: r.Uint64(), D: r.Uint64()}
		if i%2 == 0 {
			base := all[r.IntN(len(all))]
			queries[i] = Hashes{P: base.P ^ 1<<r.IntN(64), D: base.D, C: base.C}
		}
	}
	ps := make([]uint64, len(all))
	for k, ref := range all {
		ps[k] = ref.P
	}
	b.ResetTimer()
	i, found := 0, 0
	for b.Loop() {
		q := queries[i%len(queries)]
		for k, p := range ps {
			if Distance(p, q.P) <= ix.MaxDistance {
				ref := &all[k]
				if d := Distance(p, q.P) + Distance(ref.D, q.D); d <= ix.MaxSum && ColorDistance(ref.C, q.C) <= ix.MaxColor {
					found++
				}
			}
		}
		i++
	}
	_ = found
}

// BenchmarkOCR: Tesseract (one thread) on one 360×160 photo with a brand
// name, as the fake marketplace draws them. images/s on one core.
func BenchmarkOCR(b *testing.B) {
	o, err := NewOCR(OCROptions{Workers: 1})
	if err != nil {
		b.Skip(err)
	}
	face, err := synth.CJKFace(40)
	if err != nil {
		b.Skip(err)
	}
	img := synth.Label(face, []string{"LOUIS VUITTON", "新品 特价"}, 360, 160, 1)
	b.ResetTimer()
	for b.Loop() {
		if _, err := o.Read(context.Background(), img); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkEnrich is the latency the step adds to one listing with one
// 320×320 JPEG photo on a loopback server, against the three stand-in
// references, under each OCR policy: off, and a policy that fires (all;
// hit, slang and category cost the same when they fire and a text match,
// ~µs, when they do not).
func BenchmarkEnrich(b *testing.B) {
	photo := synth.JPEG(synth.Draw(synth.Emblem, 1, 320), 85)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(photo)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	ix := NewIndex()
	for i, k := range []string{synth.Emblem, synth.Mascot, synth.Product} {
		if err := ix.AddReference("m"+k, k+".png", synth.Draw(k, uint64(i+1), 320)); err != nil {
			b.Fatal(err)
		}
	}
	for _, policy := range []Policy{OCROff, OCRAll} {
		b.Run(string(policy), func(b *testing.B) {
			s := &Step{Fetcher: NewFetcher(hostGate{host: true}, nil, FetchOptions{}), Index: ix, Policy: policy}
			if policy != OCROff {
				o, err := NewOCR(OCROptions{Workers: 1})
				if err != nil {
					b.Skip(err)
				}
				s.OCR = o
			}
			for b.Loop() {
				l := markwatch.Listing{ID: "1", Site: "s", Image: srv.URL + "/p.jpg"}
				if err := s.Enrich(context.Background(), nil, &l); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
