package crawler_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/crawler"
	"github.com/markwatch/markwatch/fakemarket"
	"github.com/markwatch/markwatch/pipeline"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

var _ pipeline.Crawler = (*crawler.Crawler)(nil)

// adapterOf names the shipped adapter of each fake site.
var adapterOf = map[string]string{fakemarket.SiteMart: "fakemart", fakemarket.SiteGBK: "fakegbk", fakemarket.SiteAPI: "fakeapi"}

// startFake serves a small catalogue, each site on its own loopback port.
func startFake(t testing.TB, listings int) (*fakemarket.Server, fakemarket.Sites) {
	t.Helper()
	srv := fakemarket.New(fakemarket.Generate(1, fakemarket.WithListings(listings)), fakemarket.Options{})
	sites, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, sites
}

// shippedAdapter loads an adapter from the embedded configs/sites and
// points it at the fake site.
func shippedAdapter(t testing.TB, name, base string) *crawler.Site {
	t.Helper()
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	sites, err := crawler.LoadSites(cfg.SitesLocation())
	if err != nil {
		t.Fatal(err)
	}
	s, ok := sites[name]
	if !ok {
		t.Fatalf("no shipped adapter %s", name)
	}
	s, err = s.Rebase(base)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func defaultCrawlConfig(t testing.TB) config.Crawl {
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Crawl
}

// The acceptance test of the shipped adapters: crawl every query of each
// fake site with its YAML adapter, item pages included, and compare every
// field of every listing with the catalogue's ground truth.
func TestShippedAdaptersMatchGroundTruth(t *testing.T) {
	srv, bases := startFake(t, 120)
	cat := srv.Catalogue()
	for _, siteName := range fakemarket.SiteNames() {
		t.Run(siteName, func(t *testing.T) {
			srv.ResetCounts()
			base := bases.URL(siteName)
			site := shippedAdapter(t, adapterOf[siteName], base)
			reg := prometheus.NewRegistry()
			metrics := crawler.NewMetrics(reg)
			c := crawler.New(defaultCrawlConfig(t), map[string]*crawler.Site{site.Name: site}, crawler.WithMetrics(metrics))
			var seeds []markwatch.Task
			for _, q := range cat.Queries() {
				seeds = append(seeds, site.SearchTask("truth", q, 1))
			}
			got := map[string]markwatch.Listing{}
			runner := &crawler.Runner{Crawler: c, Concurrency: 8, Backoff: crawler.Backoff{Base: time.Millisecond, Max: 10 * time.Millisecond}.Delay}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // only against a hang
			defer cancel()
			stats, err := runner.Run(ctx, seeds, func(ex *markwatch.Extracted) {
				for _, l := range ex.Listings {
					if prev, dup := got[l.ID]; dup {
						t.Errorf("listing %s emitted twice (%s, %s)", l.ID, prev.URL, l.URL)
					}
					got[l.ID] = l
				}
			})
			if err != nil || stats.Failed > 0 || stats.Retries > 0 {
				t.Fatalf("run: %v, stats %+v", err, stats)
			}
			want := cat.SiteListings(siteName)
			if len(want) == 0 {
				t.Fatal("empty catalogue for the site")
			}
			if len(got) != len(want) {
				t.Errorf("crawled %d listings, catalogue has %d", len(got), len(want))
			}
			for _, w := range want {
				g, ok := got[w.ID]
				if !ok {
					t.Errorf("listing %s (%s) not crawled", w.ID, w.Title)
					continue
				}
				compareListing(t, base, site.Name, w, g)
			}
			// Politeness and economy: nothing fetched twice, nothing
			// robots.txt forbids, and the metrics agree.
			for uri, n := range srv.HitCounts() {
				if n > 1 && uri != "/robots.txt" {
					t.Errorf("%s fetched %d times", uri, n)
				}
				if strings.Contains(uri, "/private/") {
					t.Errorf("%s fetched though robots.txt forbids it", uri)
				}
			}
			// The adapter allows 50 requests/s with bursts of 10.
			// Checked over the whole run, not the busiest second: arrival
			// times bunch up on a loaded machine although the crawler
			// spaced its sends, so one second of slack is allowed.
			if n, span := requestSpan(srv, siteName); float64(n) > 50*span.Seconds()+10+50 {
				t.Errorf("%d requests in %v, over the adapter's rate (50/s, burst 10)", n, span)
			}
			if n := srv.Hits("/robots.txt"); n != 1 {
				t.Errorf("robots.txt fetched %d times", n)
			}
			if n := int(testutil.ToFloat64(metrics.Listings.WithLabelValues(site.Name))); n != len(got) {
				t.Errorf("listings metric %d, want %d", n, len(got))
			}
			if n := int(testutil.ToFloat64(metrics.Pages.WithLabelValues(site.Name, "2xx"))); n != stats.Pages {
				t.Errorf("pages{2xx} metric %d, want %d", n, stats.Pages)
			}
		})
	}
}

func compareListing(t *testing.T, base, site string, want fakemarket.Listing, got markwatch.Listing) {
	t.Helper()
	collapse := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	check := func(field, g, w string) {
		if g != w {
			t.Errorf("%s %s: got %q, want %q", want.ID, field, g, w)
		}
	}
	check("title", got.Title, collapse(want.Title))
	check("description", got.Description, collapse(want.Description))
	check("seller", got.Seller, collapse(want.Seller))
	check("ship_from", got.ShipFrom, collapse(want.ShipFrom))
	check("category", got.Category, collapse(want.Category))
	check("url", got.URL, base+want.URL)
	check("image", got.Image, base+want.Image)
	check("site", got.Site, site)
	switch {
	case want.Price == nil && got.Price != nil:
		t.Errorf("%s price: got %v, want none", want.ID, *got.Price)
	case want.Price != nil && (got.Price == nil || math.Abs(*got.Price-*want.Price) > 1e-9):
		t.Errorf("%s price: got %v, want %v", want.ID, got.Price, *want.Price)
	}
	if got.FetchedAt.IsZero() || got.FetchedAt.Location() != time.UTC {
		t.Errorf("%s fetched_at %v", want.ID, got.FetchedAt)
	}
}

// At high concurrency with no rate limit, nothing is fetched twice: the
// runner deduplicates follow-ups (item pages reached from several queries,
// next pages) before they are queued, not after they are fetched.
func TestNoPageFetchedTwiceAtConcurrency64(t *testing.T) {
	srv, bases := startFake(t, 300)
	site := shippedAdapter(t, "fakemart", bases.Mart)
	site.Rate = crawler.Rate{RequestsPerSecond: 1e6, Burst: 10000}
	c := crawler.New(defaultCrawlConfig(t), map[string]*crawler.Site{site.Name: site}, crawler.WithConcurrency(64))
	var seeds []markwatch.Task
	for _, q := range srv.Catalogue().Queries() {
		seeds = append(seeds, site.SearchTask("dedup", q, 1))
		seeds = append(seeds, site.SearchTask("dedup", q, 1)) // a seed given twice
	}
	stats, err := (&crawler.Runner{Crawler: c, Concurrency: 64}).Run(context.Background(), seeds, func(*markwatch.Extracted) {})
	if err != nil || stats.Failed > 0 {
		t.Fatalf("%v %+v", err, stats)
	}
	if stats.Listings != len(srv.Catalogue().SiteListings(fakemarket.SiteMart)) || stats.Duplicates == 0 {
		t.Fatalf("stats %+v", stats)
	}
	for uri, n := range srv.HitCounts() {
		if n > 1 {
			t.Errorf("%s fetched %d times", uri, n)
		}
	}
}

// requestSpan is the number of requests a site of the fake marketplace
// received and the time from the first to the last.
func requestSpan(srv *fakemarket.Server, site string) (int, time.Duration) {
	var first, last time.Time
	n := 0
	for _, r := range srv.Requests() {
		if r.Site != site {
			continue
		}
		if n == 0 || r.Time.Before(first) {
			first = r.Time
		}
		if n == 0 || r.Time.After(last) {
			last = r.Time
		}
		n++
	}
	return n, last.Sub(first)
}
