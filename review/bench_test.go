package review_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/markwatch/markwatch/review"
	"github.com/markwatch/markwatch/store"
)

// benchListings is the store size the queue must stay fast at.
const benchListings = 1_000_000

// benchStore opens a store holding benchListings synthetic listings. The
// generated data directory is cached in the system temp dir (generating a
// million rows takes a while) and reused by later runs.
func benchStore(b *testing.B) *store.Store {
	b.Helper()
	ctx := context.Background()
	dir := filepath.Join(os.TempDir(), "markwatch-bench-queue-1m-v3")
	if _, err := os.Stat(filepath.Join(dir, "complete")); err != nil {
		os.RemoveAll(dir)
		tmp := dir + ".tmp"
		os.RemoveAll(tmp)
		st, err := store.Open(ctx, tmp)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := store.Generate(ctx, st, benchListings, 1); err != nil {
			b.Fatal(err)
		}
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		b.Logf("generated %d listings in %s", benchListings, time.Since(start).Round(time.Millisecond))
		if err := os.WriteFile(filepath.Join(tmp, "complete"), nil, 0o644); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(tmp, dir); err != nil {
			b.Fatal(err)
		}
	}
	st, err := store.Open(ctx, dir, store.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// BenchmarkQueuePage renders the queue's first page (HTML, through the whole
// handler: token authentication, query, count, facets, template) with a
// filter, at a million listings. Target: under 100 ms.
func BenchmarkQueuePage(b *testing.B) {
	st := benchStore(b)
	ctx := context.Background()
	if _, err := st.User(ctx, "bench"); err != nil {
		if _, err := st.AddUser(ctx, "test", "bench", store.Reviewer, "bench-password"); err != nil {
			b.Fatal(err)
		}
	}
	token, err := st.CreateToken(ctx, "test", "bench", "bench")
	if err != nil {
		b.Fatal(err)
	}
	h := review.New(st, review.Options{})
	for _, bc := range []struct{ name, query string }{
		{"status", "status=new"},
		{"site", "status=new&site=taobao"},
		{"mark", "mark=mark-07"},
		{"kind", "status=confirmed&kind=gi"},
		{"seller", "seller=shop-01234&site=jd&all=1"},
		{"score", "score=0.95"},
		{"date", "from=" + time.Now().AddDate(0, 0, -7).Format(time.DateOnly)},
		{"sweep", "sweep=double-11&status=new"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var rows int
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, "/queue?"+bc.query, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("GET /queue?%s: %d %s", bc.query, rec.Code, rec.Body.String())
				}
				rows = rec.Body.Len()
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/page")
			_ = rows
		})
	}
}
