package review_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/markwatch/markwatch/review"
	"github.com/markwatch/markwatch/store"
)

// networksBenchStore opens a store of benchListings generated listings
// with its seller networks built, cached in the system temp dir apart from
// the queue benchmarks' store (building writes to it). The generated
// sellers sell on every site under one name, so name links put most
// linkable listings in a network: a worst case for the network pages.
func networksBenchStore(b *testing.B) *store.Store {
	return cachedStore(b, "markwatch-bench-networks-1m-v1", func(ctx context.Context, st *store.Store) error {
		start := time.Now()
		if err := store.Generate(ctx, st, benchListings, 1); err != nil {
			return err
		}
		b.Logf("generated %d listings in %s", benchListings, time.Since(start).Round(time.Millisecond))
		start = time.Now()
		_, n, err := review.RebuildNetworks(ctx, st, time.Now(), true)
		if err != nil {
			return err
		}
		build, err := st.SellerNetworksBuild(ctx)
		b.Logf("built %d seller networks from %d linkable listings in %s", n, build.Listings, time.Since(start).Round(time.Millisecond))
		return err
	})
}

// BenchmarkNetworksPage: the seller network pages (whole handler) at a
// million listings with the networks stored. Target: under 100 ms, like
// the queue.
func BenchmarkNetworksPage(b *testing.B) {
	st := networksBenchStore(b)
	token := benchToken(b, st)
	h := review.New(st, review.Options{})
	first := regexp.MustCompile(`href="/networks/([0-9a-f]+)"`).FindStringSubmatch(benchGet(b, h, token, "/networks").Body.String())
	if first == nil {
		b.Fatal("no network listed")
	}
	for _, bc := range []struct{ name, path string }{
		{"list", "/networks"},
		{"list_repeat", "/networks?repeat=1"},
		{"list_page_100", "/networks?page=100"},
		{"network", "/networks/" + first[1]},
		{"queue_by_network", "/queue?status=any&network=" + first[1]},
	} {
		b.Run(bc.name, func(b *testing.B) {
			timed(b, func() { benchGet(b, h, token, bc.path) })
		})
	}
}

// BenchmarkNetworksRebuild: a whole rebuild (read every linkable listing,
// link, store), then the periodic job's check when nothing changed (the
// common case: it compares the store's version).
func BenchmarkNetworksRebuild(b *testing.B) {
	st := networksBenchStore(b)
	ctx := context.Background()
	b.Run("whole", func(b *testing.B) {
		var n int
		timed(b, func() {
			var err error
			if _, n, err = review.RebuildNetworks(ctx, st, time.Now(), true); err != nil {
				b.Fatal(err)
			}
		})
		build, _ := st.SellerNetworksBuild(ctx)
		b.ReportMetric(float64(build.Listings), "linkable-listings")
		b.ReportMetric(float64(n), "networks")
	})
	b.Run("unchanged", func(b *testing.B) {
		timed(b, func() {
			if rebuilt, _, err := review.RebuildNetworks(ctx, st, time.Now(), false); err != nil || rebuilt {
				b.Fatalf("rebuilt %v, %v; want nothing to do", rebuilt, err)
			}
		})
	})
}
