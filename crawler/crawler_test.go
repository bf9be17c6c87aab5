package crawler

import (
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/markwatch/markwatch"
)

func TestCrawlSearchPageExtractsEveryField(t *testing.T) {
	ts := newTestSite(t, shopHandler("User-agent: *\nDisallow: /private/\n"))
	site := mustSite(t, ts.URL, shopYAML)
	c, m, _ := newTestCrawler(t, testCfg(), site)

	task := site.SearchTask("run1", "耐克 鞋/男", 1)
	if want := ts.URL + "/search?q=%E8%80%90%E5%85%8B+%E9%9E%8B%2F%E7%94%B7&p=1"; task.URL != want {
		t.Fatalf("search URL %q, want %q", task.URL, want)
	}
	ex := crawlOK(t, c, task)
	if got := len(ex.Listings); got != 5 {
		t.Fatalf("got %d listings, want 5", got)
	}
	l := ex.Listings[0]
	if l.ID != "sku1" || l.Title != "耐克 运动鞋 1" || l.URL != ts.URL+"/item/1?spm=a1" ||
		l.Price == nil || *l.Price != 1001.5 || l.Seller != "店铺1" || l.ShipFrom != "广东 深圳" ||
		l.Image != "http://img.example.com/1.jpg" || l.Site != "shop" || l.FetchedAt.IsZero() {
		t.Fatalf("listing 0 = %+v", l)
	}
	p := ex.Page
	if p.Status != 200 || p.URL != task.URL || p.FinalURL != task.URL || len(p.Body) == 0 ||
		p.Header["Content-Type"] != "text/html; charset=utf-8" || p.Adapter != "shop@"+site.Version() || p.Truncated {
		t.Fatalf("page = %+v", p)
	}
	if len(ex.Follow) != 1 || ex.Follow[0].Kind != markwatch.KindSearch || ex.Follow[0].Page != 2 ||
		ex.Follow[0].URL != ts.URL+"/search?q=%E8%80%90%E5%85%8B+%E9%9E%8B%2F%E7%94%B7&p=2" {
		t.Fatalf("follow = %+v", ex.Follow)
	}
	if got := counter(m.Listings, "shop"); got != 5 {
		t.Errorf("listings counter %d, want 5", got)
	}
	if got := counter(m.Pages, "shop", "2xx"); got != 1 {
		t.Errorf("pages{2xx} %d, want 1", got)
	}
}

func TestCrawlEmptyPageIsNotALayoutChange(t *testing.T) {
	ts := newTestSite(t, shopHandler(""))
	site := mustSite(t, ts.URL, shopYAML)
	c, m, _ := newTestCrawler(t, testCfg(), site)
	ex := crawlOK(t, c, site.SearchTask("r", "q", 3))
	if len(ex.Listings) != 0 || len(ex.Follow) != 0 {
		t.Fatalf("empty page gave %+v", ex)
	}
	if got := counter(m.ExtractionFailures, "shop"); got != 0 {
		t.Fatalf("extraction failures %d on a genuine empty page", got)
	}
}

func TestCrawlUnknownSite(t *testing.T) {
	c, _, _ := newTestCrawler(t, testCfg())
	_, err := c.Crawl(t.Context(), markwatch.Task{Site: "nope", URL: "http://127.0.0.1/"})
	if !errors.Is(err, ErrUnknownSite) {
		t.Fatalf("got %v, want ErrUnknownSite", err)
	}
}

func TestItemPagesFollowedOnlyWhereAllowed(t *testing.T) {
	ts := newTestSite(t, shopHandler("User-agent: *\nDisallow: /item/3\n"))
	site := mustSite(t, ts.URL, shopYAML+"item: {follow: true, fields: {description: {selector: .desc}}}\n")
	c, m, _ := newTestCrawler(t, testCfg(), site)
	ex := crawlOK(t, c, site.SearchTask("r", "q", 1))
	var items []string
	for _, f := range ex.Follow {
		if f.Kind == markwatch.KindItem {
			items = append(items, f.URL)
			if f.Listing == nil || f.Listing.ID == "" || f.Listing.Title == "" {
				t.Fatalf("item task without its card: %+v", f)
			}
		}
	}
	// Card 3's item page is forbidden: its card is the listing.
	if len(items) != 4 || len(ex.Listings) != 1 || ex.Listings[0].ID != "sku3" {
		t.Fatalf("items %v, listings %+v", items, ex.Listings)
	}
	if got := counter(m.RobotsDisallowed, "shop"); got != 1 {
		t.Fatalf("robots_disallowed = %d", got)
	}
	if got := counter(m.Listings, "shop"); got != 1 {
		t.Fatalf("listings counted %d, want only the one emitted", got)
	}
}

func TestMetricsNamesAndLint(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	// Touch every vector so that it is collected.
	m.Pages.WithLabelValues("s", "2xx").Inc()
	m.FetchDuration.WithLabelValues("s").Observe(0.1)
	m.ResponseBytes.WithLabelValues("s").Add(1)
	m.Retries.WithLabelValues("s", "timeout").Inc()
	m.RobotsDisallowed.WithLabelValues("s").Inc()
	m.OffsiteBlocked.WithLabelValues("s").Inc()
	m.ExtractionFailures.WithLabelValues("s").Inc()
	m.PageErrors.WithLabelValues("s", "truncated").Inc()
	m.Listings.WithLabelValues("s").Inc()
	problems, err := testutil.GatherAndLint(reg)
	if err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %+v", err, problems)
	}
	families, _ := reg.Gather()
	var names []string
	for _, f := range families {
		names = append(names, f.GetName())
	}
	want := "markwatch_crawl_extraction_failures_total markwatch_crawl_fetch_duration_seconds markwatch_crawl_listings_extracted_total " +
		"markwatch_crawl_offsite_blocked_total markwatch_crawl_page_errors_total markwatch_crawl_pages_total markwatch_crawl_response_bytes_total " +
		"markwatch_crawl_retries_total markwatch_crawl_robots_disallowed_total"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("metrics\n%s\nwant\n%s", got, want)
	}
}

func TestUnfetchableURLIsPermanent(t *testing.T) {
	ts := newTestSite(t, shopHandler(""))
	site := mustSite(t, ts.URL, strings.Replace(shopYAML, "robots: respect", "robots: authorized\nauthorization: test", 1))
	c, _, _ := newTestCrawler(t, testCfg(), site)
	// Colly's WHATWG parser rejects a port out of range before any request.
	_, err := c.Crawl(t.Context(), markwatch.Task{Site: "shop", Kind: markwatch.KindItem, URL: "http://127.0.0.1:99999/x"})
	var fe *FetchError
	if err == nil || (errors.As(err, &fe) && fe.Temporary) {
		t.Fatalf("got %v, want a permanent error", err)
	}
}

// A crawler's sites have every failure series at zero from the start, so a
// healthy site reads 0, not "no data".
func TestMetricsStartAtZeroForEverySite(t *testing.T) {
	reg := prometheus.NewRegistry()
	New(testCfg(), map[string]*Site{"a": nil, "b": nil}, WithMetrics(NewMetrics(reg)))
	for _, name := range []string{"markwatch_crawl_extraction_failures_total", "markwatch_crawl_robots_disallowed_total", "markwatch_crawl_offsite_blocked_total", "markwatch_crawl_listings_extracted_total"} {
		if n := testutil.CollectAndCount(reg, name); n != 2 {
			t.Errorf("%s has %d series, want one per site (2)", name, n)
		}
	}
	if n := testutil.CollectAndCount(reg, "markwatch_crawl_retries_total"); n != 8 {
		t.Errorf("retries has %d series, want 2 sites × 4 reasons", n)
	}
}
