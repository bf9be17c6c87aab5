package crawler_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/crawler"
)

// cookieRecorder is a loopback server that records the Cookie header of
// every request but robots.txt.
type cookieRecorder struct {
	*httptest.Server
	mu   sync.Mutex
	seen map[string]string // path → Cookie header
}

func newCookieRecorder(t *testing.T, page func(path string) string) *cookieRecorder {
	rec := &cookieRecorder{seen: map[string]string{}}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		rec.mu.Lock()
		rec.seen[r.URL.Path] = r.Header.Get("Cookie")
		rec.mu.Unlock()
		fmt.Fprint(w, page(r.URL.Path))
	}))
	t.Cleanup(rec.Close)
	return rec
}

func (r *cookieRecorder) cookies() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]string{}
	for k, v := range r.seen {
		out[k] = v
	}
	return out
}

// Cookies of the site's cookies file reach only the hosts their domain
// names (two loopback names: 127.0.0.1 and localhost), under their path,
// never over plain HTTP when secure, never expired, and never in the log.
func TestCookiesReachOnlyTheirDomains(t *testing.T) {
	items := newCookieRecorder(t, func(string) string { return `<h1 class="t">item</h1><i class="shop">店</i>` })
	itemBase := strings.Replace(items.URL, "127.0.0.1", "localhost", 1)
	search := newCookieRecorder(t, func(string) string {
		return `<ul><li data-id="1"><a href="` + itemBase + `/item/1">a</a></li><li data-id="2"><a href="` + itemBase + `/item/2">b</a></li></ul>`
	})
	dir := t.TempDir()
	jar := filepath.Join(dir, "cookies.txt")
	write := func(text string) {
		if err := os.WriteFile(jar, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("# Netscape HTTP Cookie File\n" +
		"127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tSEARCH-SECRET\n" +
		"127.0.0.1\tFALSE\t/\tFALSE\t1\told\tEXPIRED-SECRET\n" +
		"#HttpOnly_localhost\tFALSE\t/item\tFALSE\t0\titemtoken\tITEM-SECRET\n" +
		"localhost\tFALSE\t/\tTRUE\t0\tsecureonly\tTLS-SECRET\n" +
		"localhost\tFALSE\t/account\tFALSE\t0\taccount\tACCOUNT-SECRET\n")
	adapter := filepath.Join(dir, "c.yaml")
	os.WriteFile(adapter, []byte(`
name: c
base_url: `+search.URL+`
allowed_domains: [127.0.0.1, localhost]
cookies: cookies.txt
rate: {requests_per_second: 1000, burst: 100}
search: {url: "/s?q={query}", max_pages: 1}
listing:
  item: li
  fields: {id: {attr: data-id}, title: {selector: a}, url: {selector: a, attr: href}}
item: {follow: true, fields: {seller: {selector: .shop}}}
`), 0o600)
	site, err := crawler.LoadSite(config.Dir(adapter), "")
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	c := crawler.New(config.Crawl{}, map[string]*crawler.Site{"c": site},
		crawler.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err := c.ReloadCookies(); err != nil {
		t.Fatal(err)
	}
	crawl := func() {
		t.Helper()
		stats, err := (&crawler.Runner{Crawler: c}).Run(context.Background(), []markwatch.Task{site.SearchTask("r", "x", 1)}, func(*markwatch.Extracted) {})
		if err != nil || stats.Pages != 3 {
			t.Fatalf("crawl: %v %+v", err, stats)
		}
	}
	crawl()
	if got := search.cookies()["/s"]; got != "session=SEARCH-SECRET" {
		t.Errorf("search host got Cookie %q, want only its own session cookie", got)
	}
	for _, p := range []string{"/item/1", "/item/2"} {
		if got := items.cookies()[p]; got != "itemtoken=ITEM-SECRET" {
			t.Errorf("item host %s got Cookie %q, want only the /item cookie for localhost", p, got)
		}
	}

	// SIGHUP (ReloadCookies) picks up a new file; a cookie for a host the
	// site may not fetch is refused with the file and line, and the old
	// cookies stay.
	write("127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tROTATED-SECRET\n")
	if err := c.ReloadCookies(); err != nil {
		t.Fatal(err)
	}
	search.mu.Lock()
	clear(search.seen)
	search.mu.Unlock()
	(&crawler.Runner{Crawler: c}).Run(context.Background(), []markwatch.Task{site.SearchTask("r2", "y", 1)}, func(*markwatch.Extracted) {})
	if got := search.cookies()["/s"]; got != "session=ROTATED-SECRET" {
		t.Errorf("after reload the search host got %q", got)
	}
	write("127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tX\nevil.example\tTRUE\t/\tFALSE\t0\tsid\tLEAK\n")
	if err := c.ReloadCookies(); err == nil || !strings.Contains(err.Error(), "cookies.txt: line 2") || !strings.Contains(err.Error(), "evil.example") {
		t.Fatalf("a cookie for another site: %v", err)
	}
	for _, secret := range []string{"SECRET", "LEAK"} {
		if strings.Contains(logs.String(), secret) {
			t.Fatalf("a cookie value reached the log:\n%s", logs.String())
		}
	}
}

func TestCookiesJSONExport(t *testing.T) {
	srv := newCookieRecorder(t, func(string) string { return `<ul><li data-id="1"><a href="/i/1">a</a></li></ul>` })
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "jar.json"), []byte(`[
  {"domain": ".127.0.0.1", "name": "a", "value": "1", "path": "/", "hostOnly": false},
  {"domain": "127.0.0.1", "name": "b", "value": "2", "path": "/", "expirationDate": 4102444800.5},
  {"domain": "127.0.0.1", "name": "c", "value": "3", "path": "/other"}
]`), 0o600)
	adapter := filepath.Join(dir, "j.yaml")
	os.WriteFile(adapter, []byte(`
name: j
base_url: `+srv.URL+`
cookies: jar.json
rate: {requests_per_second: 1000, burst: 100}
search: {url: "/s?q={query}", max_pages: 1}
listing: {item: li, fields: {id: {attr: data-id}, title: {selector: a}}}
`), 0o600)
	site, err := crawler.LoadSite(config.Dir(adapter), "")
	if err != nil {
		t.Fatal(err)
	}
	c := crawler.New(config.Crawl{}, map[string]*crawler.Site{"j": site})
	if err := c.ReloadCookies(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Crawl(context.Background(), site.SearchTask("r", "x", 1)); err != nil {
		t.Fatal(err)
	}
	if got := srv.cookies()["/s"]; got != "a=1; b=2" {
		t.Fatalf("Cookie %q, want a=1; b=2", got)
	}
}
