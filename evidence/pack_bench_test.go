package evidence

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
)

// BenchmarkOpenIndex reports what a Store's in-memory index costs: heap
// bytes per stored page and the time Open takes to read the headers of
// MARKWATCH_BENCH_EVIDENCE_PAGES pages (default 100,000) from their packs.
func BenchmarkOpenIndex(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("MARKWATCH_BENCH_EVIDENCE_PAGES")); err == nil && v > 0 {
		n = v
	}
	dir := b.TempDir()
	s, err := Open(dir, NoSync())
	if err != nil {
		b.Fatal(err)
	}
	batch := s.Batch()
	p := page("")
	for i := range n {
		body := []byte(fmt.Sprintf("<html>page %d</html>", i))
		if _, err := batch.PutGzip(p, Hash(body), Gzip(body)); err != nil {
			b.Fatal(err)
		}
	}
	if err := batch.Commit(); err != nil {
		b.Fatal(err)
	}
	s.Close()
	var heap uint64
	b.ResetTimer()
	for range b.N {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s, err := Open(dir, NoSync())
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap = after.HeapAlloc - before.HeapAlloc
		if len(s.index) != n {
			b.Fatalf("indexed %d pages, want %d", len(s.index), n)
		}
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(heap)/float64(n), "heap_B/page")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "open_ns/page")
	b.ReportMetric(0, "ns/op")
}
