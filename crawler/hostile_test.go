package crawler_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/crawler"
	"github.com/markwatch/markwatch/fakemarket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// hostile is the fake mart with a crawler on a tight configuration.
type hostile struct {
	srv     *fakemarket.Server
	site    *crawler.Site
	c       *crawler.Crawler
	metrics *crawler.Metrics
	cfg     config.Crawl
}

func newHostile(t *testing.T, tweak func(*config.Crawl)) *hostile {
	t.Helper()
	srv, bases := startFake(t, 60)
	site := shippedAdapter(t, "fakemart", bases.Mart)
	cfg := defaultCrawlConfig(t)
	// Timeouts far above what a loopback page needs on a loaded machine,
	// far below the faults' delays (a slow page waits 60s).
	cfg.HeaderTimeout = config.Duration(5 * time.Second)
	cfg.Timeout = config.Duration(20 * time.Second)
	cfg.BodyLimit = 1 << 20
	if tweak != nil {
		tweak(&cfg)
	}
	m := crawler.NewMetrics(prometheus.NewRegistry())
	c := crawler.New(cfg, map[string]*crawler.Site{site.Name: site}, crawler.WithMetrics(m))
	return &hostile{srv: srv, site: site, c: c, metrics: m, cfg: cfg}
}

// busyQuery is the catalogue query with the most mart results (at most
// one page): the tests below need several cards on a page.
func (h *hostile) busyQuery(t *testing.T) string {
	best, n := "", 0
	for _, q := range h.srv.Catalogue().Queries() {
		if k := min(len(h.srv.Catalogue().Search(fakemarket.SiteMart, q)), fakemarket.PageSize); k > n {
			best, n = q, k
		}
	}
	if n < 3 {
		t.Fatalf("no query with 3 results on mart")
	}
	return best
}

// task is page 1 of a query with fault parameters appended.
func (h *hostile) task(query, fault string) markwatch.Task {
	t := h.site.SearchTask("hostile", query, 1)
	t.MaxPages = 1
	if fault != "" {
		t.URL += "&" + fault
	}
	return t
}

func value(c interface {
	WithLabelValues(...string) prometheus.Counter
}, labels ...string) int {
	return int(testutil.ToFloat64(c.WithLabelValues(labels...)))
}

// noItems keeps the runner on search pages: item pages are not what these
// tests are about and would only add requests.
func noItems(ex *markwatch.Extracted) {
	kept := ex.Follow[:0]
	for _, f := range ex.Follow {
		if f.Kind != markwatch.KindItem {
			kept = append(kept, f)
		}
	}
	ex.Follow = kept
}

func TestHostileSlowTimesOutAndIsRetryable(t *testing.T) {
	h := newHostile(t, func(c *config.Crawl) { c.HeaderTimeout = config.Duration(2 * time.Second) })
	start := time.Now()
	_, err := h.c.Crawl(context.Background(), h.task("耐克", "mw_fault=slow&mw_delay=60s"))
	elapsed := time.Since(start)
	var fe *crawler.FetchError
	if !errors.As(err, &fe) || !fe.Temporary || fe.Status != 0 {
		t.Fatalf("got %v, want a temporary FetchError", err)
	}
	if elapsed > 30*time.Second { // 2s allowed, 60s offered
		t.Fatalf("slow page took %v: the header timeout (2s) did not bound it", elapsed)
	}
	if got := value(h.metrics.Retries, "fakemart", "timeout"); got != 1 {
		t.Fatalf("retries{timeout} = %d, want 1", got)
	}
	if got := value(h.metrics.Pages, "fakemart", "error"); got != 1 {
		t.Fatalf("pages{error} = %d, want 1", got)
	}
}

func TestHostile429HonoursRetryAfter(t *testing.T) {
	h := newHostile(t, nil)
	task := h.task("耐克", "mw_fault=429&mw_n=1&mw_retry_after=1")
	_, err := h.c.Crawl(context.Background(), task)
	var fe *crawler.FetchError
	if !errors.As(err, &fe) || fe.Status != 429 || !fe.Temporary || fe.RetryAfter != time.Second {
		t.Fatalf("got %#v, want a temporary 429 with Retry-After 1s", err)
	}
	// The runner waits at least Retry-After, then succeeds.
	h.srv.ResetCounts()
	task.URL = strings.Replace(task.URL, "mw_n=1", "mw_n=1&again=1", 1)
	runner := &crawler.Runner{Crawler: h.c, Concurrency: 2, Backoff: crawler.Backoff{Base: time.Millisecond, Max: 5 * time.Millisecond}.Delay}
	start := time.Now()
	stats, err := runner.Run(context.Background(), []markwatch.Task{task}, noItems)
	if err != nil || stats.Pages != 1 || stats.Retries != 1 || stats.Failed != 0 {
		t.Fatalf("run: %v %+v", err, stats)
	}
	if elapsed := time.Since(start); elapsed < time.Second {
		t.Fatalf("retried after %v, before Retry-After (1s)", elapsed)
	}
	if got := value(h.metrics.Retries, "fakemart", "status_429"); got != 2 {
		t.Fatalf("retries{status_429} = %d, want 2", got)
	}
}

func TestHostile503BurstWithinAndBeyondBudget(t *testing.T) {
	h := newHostile(t, nil)
	fast := crawler.Backoff{Base: time.Millisecond, Max: 5 * time.Millisecond}.Delay

	runner := &crawler.Runner{Crawler: h.c, Concurrency: 4, Retries: 3, Backoff: fast}
	stats, err := runner.Run(context.Background(), []markwatch.Task{h.task("耐克", "mw_fault=503&mw_n=3")}, noItems)
	if err != nil || stats.Pages != 1 || stats.Retries != 3 || stats.Failed != 0 {
		t.Fatalf("3 × 503 within a budget of 3: %v %+v", err, stats)
	}
	runner.Retries = 2
	stats, err = runner.Run(context.Background(), []markwatch.Task{h.task("阿迪达斯", "mw_fault=503&mw_n=3")}, noItems)
	if err != nil || stats.Pages != 0 || stats.Retries != 2 || stats.Failed != 1 {
		t.Fatalf("3 × 503 beyond a budget of 2: %v %+v", err, stats)
	}
	if got := value(h.metrics.Retries, "fakemart", "status_5xx"); got != 6 {
		t.Fatalf("retries{status_5xx} = %d, want 6", got)
	}
	if got := value(h.metrics.Pages, "fakemart", "5xx"); got != 6 {
		t.Fatalf("pages{5xx} = %d, want 6", got)
	}
}

// cutInLastCard is a byte offset inside the last card of the page of task:
// every card but the last is complete before it.
func cutInLastCard(t *testing.T, h *hostile, task markwatch.Task) (*markwatch.Extracted, int) {
	t.Helper()
	full, err := h.c.Crawl(context.Background(), task)
	if err != nil {
		t.Fatal(err)
	}
	last := strings.LastIndex(string(full.Page.Body), `<li class="goods-card"`)
	if last < 0 || len(full.Follow) < 2 {
		t.Fatalf("page has %d cards", len(full.Follow))
	}
	return full, last + 60
}

func TestHostileTruncatedYieldsWhatItCan(t *testing.T) {
	h := newHostile(t, nil)
	q := h.busyQuery(t)
	full, cut := cutInLastCard(t, h, h.task(q, ""))
	ex, err := h.c.Crawl(context.Background(), h.task(q, fmt.Sprintf("mw_fault=truncate&mw_bytes=%d", cut)))
	if err != nil {
		t.Fatalf("truncated page: %v", err)
	}
	n := len(ex.Follow) // item tasks: one per card read
	if n != len(full.Follow)-1 || !ex.Page.Truncated {
		t.Fatalf("truncated page gave %d cards (full page %d), truncated=%v", n, len(full.Follow), ex.Page.Truncated)
	}
	if got := value(h.metrics.PageErrors, "fakemart", "truncated"); got != 1 {
		t.Fatalf("page_errors{truncated} = %d, want 1", got)
	}
	// Nothing readable before the cut: a retryable failure, not a layout change.
	_, err = h.c.Crawl(context.Background(), h.task("耐克", "mw_fault=truncate&mw_bytes=100"))
	var fe *crawler.FetchError
	if !errors.As(err, &fe) || !fe.Temporary {
		t.Fatalf("cut before any card: %v, want a temporary FetchError", err)
	}
	if got := value(h.metrics.ExtractionFailures, "fakemart"); got != 0 {
		t.Fatalf("extraction_failures = %d for truncated pages", got)
	}
}

func TestHostileCutBodyIsReadAsFarAsItGoes(t *testing.T) {
	h := newHostile(t, nil)
	q := h.busyQuery(t)
	full, cut := cutInLastCard(t, h, h.task(q, ""))
	ex, err := h.c.Crawl(context.Background(), h.task(q, fmt.Sprintf("mw_fault=cut&mw_bytes=%d", cut)))
	if err != nil {
		t.Fatalf("cut page: %v", err)
	}
	// The last card is cut inside its start tag, which the HTML parser
	// drops: every other card is read.
	if len(ex.Follow) != len(full.Follow)-1 {
		t.Fatalf("read %d cards of a cut page, want %d", len(ex.Follow), len(full.Follow)-1)
	}
}

func TestHostileRedirectLoopIsBounded(t *testing.T) {
	h := newHostile(t, func(c *config.Crawl) { c.MaxRedirects = 4 })
	_, err := h.c.Crawl(context.Background(), h.task("耐克", "mw_fault=loop"))
	if !errors.Is(err, crawler.ErrTooManyRedirects) {
		t.Fatalf("got %v, want ErrTooManyRedirects", err)
	}
	if n := h.srv.Hits("/mart/search"); n != 5 {
		t.Fatalf("%d requests for a redirect loop, want 5 (the first and 4 redirects)", n)
	}
	if got := value(h.metrics.PageErrors, "fakemart", "too_many_redirects"); got != 1 {
		t.Fatalf("page_errors{too_many_redirects} = %d", got)
	}
}

func TestHostileForeignRedirectNotFollowed(t *testing.T) {
	h := newHostile(t, nil)
	_, err := h.c.Crawl(context.Background(), h.task("耐克", "mw_fault=foreign"))
	if !errors.Is(err, crawler.ErrDomainNotAllowed) {
		t.Fatalf("got %v, want ErrDomainNotAllowed", err)
	}
	if n := h.srv.Hits("/foreign/landing"); n != 0 {
		t.Fatalf("foreign landing page fetched %d times", n)
	}
	if got := value(h.metrics.OffsiteBlocked, "fakemart"); got != 1 {
		t.Fatalf("offsite_blocked = %d", got)
	}
	// An off-site task URL is refused before any request.
	h.srv.ResetCounts()
	_, err = h.c.Crawl(context.Background(), markwatch.Task{Site: "fakemart", Kind: markwatch.KindItem, URL: "http://localhost:1/mart/item/x.html"})
	if !errors.Is(err, crawler.ErrDomainNotAllowed) || len(h.srv.HitCounts()) != 0 {
		t.Fatalf("off-site task: %v, hits %v", err, h.srv.HitCounts())
	}
}

func TestHostileHugeBodyIsBounded(t *testing.T) {
	for _, declare := range []string{"", "&mw_declare=1"} {
		h := newHostile(t, nil)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		_, err := h.c.Crawl(context.Background(), h.task("耐克", "mw_fault=huge&mw_bytes=200000000"+declare))
		elapsed := time.Since(start)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, crawler.ErrBodyTooLarge) {
			t.Fatalf("huge body%s: got %v, want ErrBodyTooLarge", declare, err)
		}
		// 200 MB offered, 1 MiB read: what this process allocated (the
		// fake server's side included) stays within a small multiple of
		// the limit.
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 40<<20 {
			t.Errorf("huge body%s: allocated %d MiB", declare, alloc>>20)
		}
		if elapsed > 30*time.Second { // a bound no load reaches; the size check above is the real one
			t.Errorf("huge body%s took %v", declare, elapsed)
		}
		if got := value(h.metrics.PageErrors, "fakemart", "truncated"); got != 1 {
			t.Errorf("page_errors{truncated} = %d", got)
		}
		if got := value(h.metrics.ResponseBytes, "fakemart"); got != 1<<20 {
			t.Errorf("response_bytes = %d, want the 1 MiB limit", got)
		}
	}
}

func TestHostileLayoutChange(t *testing.T) {
	h := newHostile(t, nil)
	var logs bytes.Buffer
	h.c = crawler.New(h.cfg, map[string]*crawler.Site{h.site.Name: h.site}, crawler.WithMetrics(h.metrics),
		crawler.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	task := h.task("耐克", "mw_fault=layout")
	_, err := h.c.Crawl(context.Background(), task)
	if !errors.Is(err, crawler.ErrLayoutChanged) {
		t.Fatalf("got %v, want ErrLayoutChanged", err)
	}
	if !strings.Contains(logs.String(), `"level":"ERROR","msg":"layout changed`) || !strings.Contains(logs.String(), `"url":"`+task.URL+`"`) {
		t.Fatalf("layout change not logged with its URL:\n%s", logs.String())
	}
	if got := value(h.metrics.ExtractionFailures, "fakemart"); got != 1 {
		t.Fatalf("extraction_failures = %d", got)
	}
	// A page past the end is a genuine empty page, not a layout change.
	ex, err := h.c.Crawl(context.Background(), h.site.SearchTask("r", "耐克", 99))
	if err != nil || len(ex.Listings)+len(ex.Follow) != 0 {
		t.Fatalf("empty page: %v %+v", err, ex)
	}
	if got := value(h.metrics.ExtractionFailures, "fakemart"); got != 1 {
		t.Fatalf("extraction_failures = %d after an empty page", got)
	}
}

// An item page on which none of the adapter's item fields is found is a
// layout change of the item page: counted and returned as ErrLayoutChanged
// (the worker then judges the card alone and dead-letters the task), never a
// success that quietly keeps only the card.
func TestHostileItemPageLayoutChanged(t *testing.T) {
	h := newHostile(t, nil)
	ex, err := h.c.Crawl(context.Background(), h.task(h.busyQuery(t), ""))
	if err != nil {
		t.Fatal(err)
	}
	var item markwatch.Task
	for _, f := range ex.Follow {
		if f.Kind == markwatch.KindItem {
			item = f
			break
		}
	}
	if item.Listing == nil {
		t.Fatalf("no item task with its card: %+v", ex.Follow)
	}
	if _, err := h.c.Crawl(context.Background(), item); err != nil {
		t.Fatalf("item page in the known layout: %v", err)
	}
	if got := value(h.metrics.ExtractionFailures, "fakemart"); got != 0 {
		t.Fatalf("extraction_failures = %d for a known item page", got)
	}
	// An item page cut off before its fields is a failed fetch to retry,
	// not a layout change.
	cut := item
	cut.URL += "?mw_fault=truncate&mw_bytes=100"
	var fe *crawler.FetchError
	if _, err := h.c.Crawl(context.Background(), cut); !errors.As(err, &fe) || !fe.Temporary || errors.Is(err, crawler.ErrLayoutChanged) {
		t.Fatalf("item page cut short: got %v, want a temporary fetch error", err)
	}
	h.srv.SetFaults(fakemarket.FaultRule{Site: fakemarket.SiteMart, PathPrefix: "/mart/item/", Fault: fakemarket.Fault{Kind: fakemarket.FaultLayout}})
	got, err := h.c.Crawl(context.Background(), item)
	if !errors.Is(err, crawler.ErrLayoutChanged) {
		t.Fatalf("item page with renamed classes: got %+v, %v; want ErrLayoutChanged", got, err)
	}
	if got := value(h.metrics.ExtractionFailures, "fakemart"); got != 1 {
		t.Fatalf("extraction_failures = %d after a renamed item page, want 1", got)
	}
}

func TestHostileNotFoundIsNotRetried(t *testing.T) {
	h := newHostile(t, nil)
	task := markwatch.Task{Site: "fakemart", Kind: markwatch.KindItem, URL: strings.TrimSuffix(h.site.BaseURL, "/") + "/mart/item/NOPE.html"}
	runner := &crawler.Runner{Crawler: h.c, Retries: 3, Backoff: crawler.Backoff{Base: time.Millisecond}.Delay}
	stats, err := runner.Run(context.Background(), []markwatch.Task{task}, func(*markwatch.Extracted) {})
	// An item page's 404 is "gone", as the worker classifies it: a known
	// end, not a failure, and not retried.
	if err != nil || stats.Failed != 0 || stats.ItemsNotRead != 1 || stats.Retries != 0 {
		t.Fatalf("404: %v %+v", err, stats)
	}
	if n := h.srv.Hits("/mart/item/NOPE.html"); n != 1 {
		t.Fatalf("a 404 was fetched %d times", n)
	}
	if got := value(h.metrics.Pages, "fakemart", "4xx"); got != 1 {
		t.Fatalf("pages{4xx} = %d", got)
	}
}

func TestHostileRobotsDisallowedNeverFetched(t *testing.T) {
	h := newHostile(t, nil)
	base := strings.TrimSuffix(h.site.BaseURL, "/")
	for _, path := range []string{"/mart/private/orders.html", "/mart/cart", "/mart/search?q=x&sort=price", "/mart/data.json"} {
		_, err := h.c.Crawl(context.Background(), markwatch.Task{Site: "fakemart", Kind: markwatch.KindItem, URL: base + path})
		if !errors.Is(err, crawler.ErrRobotsDisallowed) {
			t.Errorf("%s: got %v, want ErrRobotsDisallowed", path, err)
		}
	}
	// The help page is fetched; it is no item page, so the adapter finds
	// none of its item fields there (ErrLayoutChanged), which is not what
	// this test is about.
	if _, err := h.c.Crawl(context.Background(), markwatch.Task{Site: "fakemart", Kind: markwatch.KindItem, URL: base + "/mart/private/help.html"}); err != nil && !errors.Is(err, crawler.ErrLayoutChanged) {
		t.Errorf("/mart/private/help.html is allowed by a longer Allow: %v", err)
	}
	for uri := range h.srv.HitCounts() {
		if uri != "/robots.txt" && uri != "/mart/private/help.html" {
			t.Errorf("%s fetched", uri)
		}
	}
	if got := value(h.metrics.RobotsDisallowed, "fakemart"); got != 4 {
		t.Fatalf("robots_disallowed = %d, want 4", got)
	}
}
