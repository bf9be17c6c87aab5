package store_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/store"
	"github.com/markwatch/markwatch/store/storetest"
)

// BenchmarkIngest measures findings stored per second, each a new listing
// or a new run's verdict on a known one. Target: ≥ 5,000 findings/s.
//
//	lines:   `markwatch ingest`, 1,000 findings a transaction
//	pages:   the crawl path, Put of one page (40 findings, the page preserved
//	         as evidence, fsync'd) a transaction, one page at a time
//
// BenchmarkIngestParallel does the pages case from 8 goroutines, as the
// worker pipeline calls its sink (evidence written in parallel,
// transactions in turn).
func BenchmarkIngest(b *testing.B) {
	for _, bc := range []struct {
		name  string
		batch int
		page  bool
	}{{"lines", 1000, false}, {"pages", 40, true}} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			s, err := store.Open(ctx, b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			at := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
			n := 0
			b.ResetTimer()
			for b.Loop() {
				fs := make([]markwatch.Finding, bc.batch)
				for i := range fs {
					// 1,000 distinct listings a run: later runs revisit them,
					// which is the common case of a recurring sweep.
					run := fmt.Sprintf("r%d", n/1000)
					fs[i] = storetest.Finding(run, "shop", fmt.Sprintf("l%07d", n%200000), "Nike", "", float64(n%500), at.Add(time.Duration(n)*time.Second))
					n++
				}
				if bc.page {
					page := storetest.Page("shop", fs[0].Run, fmt.Sprintf("<html>page %d</html>", n), at)
					err = s.Put(ctx, page, fs)
				} else {
					_, err = s.PutFindings(ctx, fs)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "findings/s")
		})
	}
}

func BenchmarkIngestParallel(b *testing.B) {
	ctx := context.Background()
	s, err := store.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	var next atomic.Int64
	b.SetParallelism(4) // 8 goroutines on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			page := next.Add(1)
			fs := make([]markwatch.Finding, 40)
			for i := range fs {
				n := int(page)*40 + i
				fs[i] = storetest.Finding(fmt.Sprintf("r%d", n/1000), "shop", fmt.Sprintf("l%07d", n%200000), "Nike", "", float64(n%500), at.Add(time.Duration(n)*time.Second))
			}
			if err := s.Put(ctx, storetest.Page("shop", fs[0].Run, fmt.Sprintf("<html>page %d</html>", page), at), fs); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(next.Load()*40)/b.Elapsed().Seconds(), "findings/s")
}
