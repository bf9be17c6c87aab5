package demo

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/fakemarket"
	"github.com/markwatch/markwatch/internal/testredis"
)

// expected computes, from the fake marketplace's catalogue alone, how many
// pages a complete sweep fetches and how many listings it reads: for every
// site and query, one search page per 40 results (one for no results; an
// adapter without next_page also reads the empty page after the last), plus
// one item page per distinct listing reached (item pages are deduplicated
// across queries; each yields one listing).
func expected(d *Demo, queries []string) (pages, listings int64, suspects int) {
	cat := d.market.Catalogue()
	for adapter, fake := range FakeSites {
		seen := map[string]bool{}
		for _, q := range queries {
			found := cat.Search(fake, q)
			n := max(1, (len(found)+39)/40)
			if len(found) > 0 && d.sites[adapter].Listing.NextPage == "" {
				n = min(n+1, d.sites[adapter].MaxPages())
			}
			pages += int64(n)
			for _, l := range found {
				if !seen[l.ID] {
					seen[l.ID] = true
					if truth, _ := cat.Truth(l.ID); truth.Suspect {
						suspects++
					}
				}
			}
		}
		if !d.sites[adapter].FollowItems() {
			panic("the fake adapters follow item pages; update expected()")
		}
		pages += int64(len(seen))
		listings += int64(len(seen))
	}
	return pages, listings, suspects
}

func runDemo(t *testing.T, redisURL string) {
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Log.Level = "warn"
	// A deadline only against a hang: a loaded machine running the race
	// detector may take minutes, and that is not a failure.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// One cycle of recipes keeps the race-enabled run short; every class
	// is still present on every site.
	size := max(300, fakemarket.RecipesPerCycle())
	d, err := Start(ctx, Options{Config: cfg, DataDir: t.TempDir(), Seed: 7, Redis: redisURL, Listings: size})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	sum, err := d.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	queries := d.market.Catalogue().Queries()
	pages, listings, truthSuspects := expected(d, queries)
	if sum.Pages != pages {
		t.Errorf("pages: got %d, want %d (every search and item page once)", sum.Pages, pages)
	}
	if sum.Listings != listings {
		t.Errorf("listings: got %d, want %d", sum.Listings, listings)
	}
	if sum.Dead != 0 {
		t.Errorf("dead tasks: %d", sum.Dead)
	}
	if sum.TruePositives+sum.FalseNegatives != truthSuspects {
		t.Errorf("ground truth has %d suspects, summary accounts for %d", truthSuspects, sum.TruePositives+sum.FalseNegatives)
	}
	if sum.Precision < 0.9 || sum.Recall < 0.9 {
		t.Errorf("precision %.3f recall %.3f, want both ≥ 0.9 (missed %v, wrong %v)", sum.Precision, sum.Recall, sum.Missed, sum.Wrong)
	}
	// No page was fetched twice (robots.txt aside).
	seen := map[string]int{}
	for _, r := range d.market.Requests() {
		if !strings.HasSuffix(r.Path, "/robots.txt") {
			seen[r.Site+" "+r.URI]++
		}
	}
	for uri, n := range seen {
		if n > 1 {
			t.Errorf("%s fetched %d times", uri, n)
		}
	}
	if int64(len(seen)) != pages {
		t.Errorf("the fake marketplace served %d distinct pages, want %d", len(seen), pages)
	}

	srv := httptest.NewServer(d.Handler())
	defer srv.Close()
	body := get(t, srv.URL+"/queue")
	rows := strings.Count(body, `<tr class="status-new"`)
	if rows == 0 {
		t.Fatalf("review page lists no suspects:\n%s", body[:min(len(body), 2000)])
	}
	metrics := get(t, srv.URL+"/metrics")
	for _, name := range []string{"markwatch_crawl_pages_total", "markwatch_crawl_listings_extracted_total", "markwatch_match_suspects_total"} {
		if !strings.Contains(metrics, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	problems, err := testutil.GatherAndLint(d.Registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("metric lint: %s: %s", p.Metric, p.Text)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", url, resp.StatusCode, b)
	}
	return string(b)
}

// TestDemoEndToEnd runs the whole pipeline in-process against the fake
// marketplace and checks counts against ground truth, on both frontiers.
func TestDemoEndToEnd(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		runDemo(t, "")
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		r := testredis.Start(t)
		runDemo(t, r.URL())
	})
}

func TestDemoAnswersOnlyLoopbackHosts(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	h := loopbackHost(ok)
	for host, want := range map[string]int{
		"127.0.0.1:8080": 200, "localhost:8080": 200, "[::1]:8080": 200, "127.0.0.1": 200,
		"attacker.example:8080": http.StatusMisdirectedRequest, "192.0.2.1:8080": http.StatusMisdirectedRequest,
		"localhost.attacker.example": http.StatusMisdirectedRequest,
	} {
		req := httptest.NewRequest("GET", "/queue", nil)
		req.Host = host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("Host %q: %d, want %d", host, rec.Code, want)
		}
	}
}
