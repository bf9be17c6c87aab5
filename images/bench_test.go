package images

import (
	"context"
	"fmt"
	"image"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/images/synth"
	"github.com/markwatch/markwatch/internal/rss"
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

// lookupSets caches the benchmark indexes by name (building 1.4 M entries
// takes seconds; the index and linear rounds share one).
var lookupSets = map[string]*lookupSet{}

type lookupSet struct {
	ix      *Index
	queries []Hashes
}

// randomSet is refs references as AddReference indexes them (7 crops × 2
// mirrors = 14 hashes each), with uniformly random hashes; half the
// queries are an indexed hash with one to four bits changed, half random.
func randomSet(refs int) *lookupSet {
	name := fmt.Sprint("random", refs)
	if s := lookupSets[name]; s != nil {
		return s
	}
	r := rand.New(rand.NewPCG(7, 7))
	ix := NewIndex()
	for i := range refs * len(cropVariants) * 2 {
		var c [27]uint8
		for k := range c {
			c[k] = uint8(r.IntN(256))
		}
		ix.Add(Reference{Mark: "m", File: fmt.Sprint(i / (len(cropVariants) * 2)), Hashes: Hashes{P: r.Uint64(), D: r.Uint64(), C: c}})
	}
	s := &lookupSet{ix: ix, queries: make([]Hashes, 256)}
	for i := range s.queries {
		s.queries[i] = Hashes{P: r.Uint64(), D: r.Uint64()}
		if i%2 == 0 {
			s.queries[i] = flip(r, ix.refs[r.IntN(len(ix.refs))].Hashes, 1+r.IntN(2), r.IntN(3))
		}
	}
	lookupSets[name] = s
	return s
}

// pictureSet is refs references drawn by the fake marketplace's synth
// (emblems, mascots, product shots: similar pictures, so clustered
// hashes, unlike random ones) through AddReference; queries are other
// drawings of the same kinds (the usual listing photo: no match) and, one
// in four, a JPEG-recompressed, resized reference (a match).
func pictureSet(b *testing.B, refs int) *lookupSet {
	name := fmt.Sprint("pictures", refs)
	if s := lookupSets[name]; s != nil {
		return s
	}
	kinds := []string{synth.Emblem, synth.Mascot, synth.Product}
	ix := NewIndex()
	for i := range refs {
		if err := ix.AddReference(fmt.Sprint("m", i), fmt.Sprint(i, ".png"), synth.Draw(kinds[i%3], uint64(i+1), 96)); err != nil {
			b.Fatal(err)
		}
	}
	s := &lookupSet{ix: ix}
	for i := range 64 {
		img := image.Image(synth.Draw(kinds[i%3], uint64(1_000_000+i), 96))
		if i%4 == 0 {
			img = decodeBytes(b, synth.JPEG(synth.Resize(synth.Draw(kinds[i%3], uint64(i+1), 96), 120, 110), 70))
		}
		s.queries = append(s.queries, mustHash(b, img))
	}
	lookupSets[name] = s
	return s
}

// BenchmarkLookup: one listing photo against 1,000, 10,000 and 100,000
// references (14,000 to 1,400,000 hashes), in the multi-index tables and
// by the baseline, a linear scan of the same flat hashes with the same
// checks (POPCNT, no allocation), interleaved per size. probes/op and
// candidates/op are the index's work; with random hashes the expected
// candidates grow like n^0.6 (see Index), the scan's like n.
func BenchmarkLookup(b *testing.B) {
	sets := []struct {
		name string
		set  func() *lookupSet
	}{
		{"random/refs=1k", func() *lookupSet { return randomSet(1000) }},
		{"random/refs=10k", func() *lookupSet { return randomSet(10000) }},
		{"random/refs=100k", func() *lookupSet { return randomSet(100000) }},
		{"pictures/refs=1k", func() *lookupSet { return pictureSet(b, 1000) }},
	}
	for _, c := range sets {
		b.Run(c.name+"/index", func(b *testing.B) {
			s := c.set()
			s.ix.tables()
			var st lookupStats
			i := 0
			for b.Loop() {
				s.ix.lookup(s.queries[i%len(s.queries)], &st)
				i++
			}
			b.ReportMetric(float64(st.probes)/float64(i), "probes/op")
			b.ReportMetric(float64(st.candidates)/float64(i), "candidates/op")
			b.ReportMetric(float64(len(s.ix.tables().chunks)), "tables")
		})
		b.Run(c.name+"/linear", func(b *testing.B) {
			s := c.set()
			ix := s.ix
			i, found := 0, 0
			for b.Loop() {
				q := s.queries[i%len(s.queries)]
				for k, h := range ix.hs {
					d := Distance(h[0], q.P)
					if d <= ix.MaxDistance && d+Distance(h[1], q.D) <= ix.MaxSum && ColorDistance(ix.refs[k].C, q.C) <= ix.MaxColor {
						found++
					}
				}
				i++
			}
			b.ReportMetric(float64(len(ix.hs)), "candidates/op")
			_ = found
		})
	}
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

// BenchmarkEnrichC8: the images step of a worker at concurrency 8 (eight
// listings at a time, two distinct 800×800 JPEG photos each from a
// loopback server, fetched, decoded, hashed, looked up against 10,000
// references' 140,000 hashes and stored), with OCR off and with policy
// all (Tesseract runs as a child process: its memory is not in this
// process's RSS). peak-RSS-MB is the process's VmHWM over the run, the
// reference index included.
func BenchmarkEnrichC8(b *testing.B) {
	const photos = 16
	var bodies [photos][]byte
	kinds := []string{synth.Emblem, synth.Mascot, synth.Product}
	for i := range bodies {
		bodies[i] = synth.JPEG(synth.Draw(kinds[i%3], uint64(100+i), 800), 85)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var i int
		fmt.Sscanf(r.URL.Path, "/p%d.jpg", &i)
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(bodies[i%photos])
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	ix := randomSet(10000).ix
	for _, policy := range []Policy{OCROff, OCRAll} {
		b.Run("ocr="+string(policy), func(b *testing.B) {
			store, err := OpenStore(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			s := &Step{Fetcher: NewFetcher(hostGate{host: true}, nil, FetchOptions{}), Index: ix, Policy: policy, Store: store}
			if policy != OCROff {
				o, err := NewOCR(OCROptions{Workers: 2})
				if err != nil {
					b.Skip(err)
				}
				s.OCR = o
			}
			runtime.GC()
			rss.ResetPeak()
			n := 0
			for b.Loop() {
				var wg sync.WaitGroup
				for c := range 8 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						l := markwatch.Listing{ID: fmt.Sprint(n, c), Site: "s", Image: fmt.Sprintf("%s/p%d.jpg", srv.URL, 2*c), Images: []string{fmt.Sprintf("%s/p%d.jpg", srv.URL, 2*c+1)}}
						if err := s.Enrich(context.Background(), nil, &l); err != nil {
							b.Error(err)
						}
					}()
				}
				wg.Wait()
				n += 8
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "listings/s")
			b.ReportMetric(rss.PeakMB(), "peak-RSS-MB")
		})
	}
}
