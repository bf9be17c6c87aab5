package crawler

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// testSite is a small HTML marketplace served over httptest, with a
// counter of every request by path and query, so that tests can assert
// what was (and was not) fetched.
type testSite struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

func newTestSite(t *testing.T, h http.Handler) *testSite {
	t.Helper()
	ts := &testSite{hits: map[string]int{}}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.mu.Lock()
		ts.hits[r.URL.RequestURI()]++
		ts.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *testSite) count(uri string) int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.hits[uri]
}

func (ts *testSite) total() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	n := 0
	for _, v := range ts.hits {
		n += v
	}
	return n
}

// mustSite parses adapter YAML, with {base} replaced by base.
func mustSite(t testing.TB, base, yaml string) *Site {
	t.Helper()
	s, err := ParseSite("test.yaml", []byte(strings.ReplaceAll(yaml, "{base}", base)))
	if err != nil {
		t.Fatalf("adapter: %v", err)
	}
	return s
}

// testCfg is a crawl config with short timeouts for tests.
func testCfg() config.Crawl {
	return config.Crawl{
		UserAgent:      "markwatch/0.1 (+https://github.com/markwatch/markwatch)",
		ConnectTimeout: config.Duration(2 * time.Second),
		HeaderTimeout:  config.Duration(2 * time.Second),
		Timeout:        config.Duration(5 * time.Second),
		BodyLimit:      1 << 20,
		MaxRedirects:   5,
		Retries:        3,
		Concurrency:    8,
	}
}

// newTestCrawler returns a crawler over sites with its own registry.
func newTestCrawler(t testing.TB, cfg config.Crawl, sites ...*Site) (*Crawler, *Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	byName := map[string]*Site{}
	for _, s := range sites {
		byName[s.Name] = s
	}
	return New(cfg, byName, WithMetrics(m)), m, reg
}

func counter(c interface {
	WithLabelValues(...string) prometheus.Counter
}, labels ...string) int {
	return int(testutil.ToFloat64(c.WithLabelValues(labels...)))
}

const shopYAML = `
name: shop
base_url: {base}
robots: respect
rate: {requests_per_second: 1000, burst: 100}
tracking_params: [spm]
search:
  url: /search?q={query}&p={page}
  max_pages: 3
listing:
  item: li.product
  fields:
    id: {attr: data-sku}
    title: {selector: .name a, attr: title}
    url: {selector: .name a, attr: href}
    price: {selector: .price}
    seller: {selector: .shop}
    ship_from: {selector: .loc}
    image: {selector: img, attr: src}
  no_results: .empty
`

// shopPage renders a search page with n cards numbered from first.
func shopPage(first, n int) string {
	var b strings.Builder
	b.WriteString(`<html><head><meta charset="utf-8"><title>搜索</title></head><body><ul>`)
	for i := first; i < first+n; i++ {
		fmt.Fprintf(&b, `<li class="product" data-sku="sku%d"><div class="name"><a href="/item/%d?spm=a1" title="  耐克 运动鞋  %d "> x</a></div>
<span class="price">¥1,%03d.50</span><span class="shop">店铺%d</span><span class="loc">广东 深圳</span><img src="//img.example.com/%d.jpg"></li>`, i, i, i, i, i, i)
	}
	if n == 0 {
		b.WriteString(`<div class="empty">没有找到相关宝贝</div>`)
	}
	b.WriteString(`</ul></body></html>`)
	return b.String()
}

// shopHandler serves robots.txt and pages search pages of 5 cards up to
// page 2, then an empty page.
func shopHandler(robots string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, robots)
	})
	mux.HandleFunc("/search", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Query().Get("p") {
		case "1":
			fmt.Fprint(w, shopPage(1, 5))
		case "2":
			fmt.Fprint(w, shopPage(6, 5))
		default:
			fmt.Fprint(w, shopPage(0, 0))
		}
	})
	return mux
}

func crawlOK(t *testing.T, c *Crawler, task markwatch.Task) *markwatch.Extracted {
	t.Helper()
	ex, err := c.Crawl(context.Background(), task)
	if err != nil {
		t.Fatalf("Crawl(%s): %v", task.URL, err)
	}
	return ex
}
