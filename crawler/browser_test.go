package crawler_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/crawler"
	"github.com/markwatch/markwatch/crawler/browser"
	"github.com/markwatch/markwatch/fakemarket"
	"github.com/markwatch/markwatch/internal/testport"
)

func needChromium(t testing.TB) string {
	t.Helper()
	p, err := browser.FindChromium()
	if err != nil {
		t.Skipf("%v: scripts/setup.sh installs it", err)
	}
	return p
}

// startJSSite serves cat and returns the shipped fakejs adapter pointed at
// its JavaScript site.
func startJSSite(t *testing.T, cat *fakemarket.Catalogue, opts fakemarket.Options) (*fakemarket.Server, fakemarket.Sites, *crawler.Site) {
	t.Helper()
	srv := fakemarket.New(cat, opts)
	urls, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	site, err := crawler.LoadSite(config.Dir(filepath.Join("..", "configs", "sites", "examples", "fakejs.yaml")), "")
	if err != nil {
		t.Fatal(err)
	}
	if site, err = site.Rebase(urls.JS); err != nil {
		t.Fatal(err)
	}
	return srv, urls, site
}

// The fake marketplace's JavaScript site has no listing in its HTML: the
// plain HTTP fetcher sees a layout change; fetch: browser renders it in
// headless Chromium and extracts every card of the page, checked against
// the site's own slice of the catalogue, with a full-page screenshot kept
// with the page; item pages (rendered too) add description and category.
func TestBrowserFetchRendersJavaScriptListings(t *testing.T) {
	chromium := needChromium(t)
	srv, urls, site := startJSSite(t, fakemarket.Generate(1, fakemarket.WithListings(90), fakemarket.WithJSListings(200)), fakemarket.Options{})
	// The query with the most results on the JavaScript site, so that a
	// second page exists when the slice allows it.
	query, want := "", []fakemarket.Listing(nil)
	for _, q := range srv.Catalogue().Queries() {
		if r := srv.Catalogue().Search(fakemarket.SiteJS, q); len(r) > len(want) {
			query, want = q, r
		}
	}
	if len(want) <= fakemarket.PageSize {
		t.Fatalf("the JavaScript site's biggest query %q has %d results: not two pages", query, len(want))
	}
	b := browser.New(browser.Options{ExecPath: chromium, Tabs: 2})
	defer b.Close()
	c := crawler.New(config.Crawl{}, map[string]*crawler.Site{site.Name: site}, crawler.WithBrowser(b))
	task := site.SearchTask("r", query, 1)
	ex, err := c.Crawl(context.Background(), task)
	if err != nil {
		t.Fatal(err)
	}
	// Every card becomes an item task carrying the card's fields, then the
	// next page.
	if len(ex.Listings) != 0 || len(ex.Follow) != fakemarket.PageSize+1 {
		t.Fatalf("%d listings and %d tasks to follow, want %d item tasks and the next page", len(ex.Listings), len(ex.Follow), fakemarket.PageSize)
	}
	for i, f := range ex.Follow[:fakemarket.PageSize] {
		w := want[i]
		l := f.Listing
		if f.Kind != markwatch.KindItem || l == nil || f.URL != urls.JS+w.URL || l.ID != w.ID || l.Title != w.Title || l.Seller != w.Seller || l.ShipFrom != w.ShipFrom ||
			l.Price == nil || w.Price == nil || *l.Price != *w.Price || l.Image != urls.JS+w.Image {
			t.Fatalf("card %d: got %+v %+v, want %+v", i, f, l, w.Listing)
		}
	}
	if next := ex.Follow[fakemarket.PageSize]; next.Kind != markwatch.KindSearch || !strings.Contains(next.URL, "p=2") {
		t.Fatalf("next page not followed: %+v", next)
	}
	if !bytes.HasPrefix(ex.Page.Screenshot, []byte("\x89PNG\r\n\x1a\n")) || !bytes.Contains(ex.Page.Body, []byte(`class="product"`)) {
		t.Fatalf("page: screenshot %d bytes, rendered body has cards: %v", len(ex.Page.Screenshot), bytes.Contains(ex.Page.Body, []byte(`class="product"`)))
	}
	// Item pages are rendered too: description and category join the card.
	for i, f := range ex.Follow[:2] {
		it, err := c.Crawl(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		w := want[i]
		if len(it.Listings) != 1 {
			t.Fatalf("item %s: %d listings", w.ID, len(it.Listings))
		}
		l := it.Listings[0]
		if l.ID != w.ID || l.Title != w.Title || l.Description != w.Description || l.Category != w.Category || l.Seller != w.Seller ||
			l.Price == nil || *l.Price != *w.Price || len(it.Page.Screenshot) == 0 {
			t.Fatalf("item %d: got %+v, want %+v", i, l, w.Listing)
		}
	}

	// The same adapter over plain HTTP sees the empty shell.
	raw, _ := os.ReadFile(filepath.Join("..", "configs", "sites", "examples", "fakejs.yaml"))
	plainYAML := regexp.MustCompile(`(?s)fetch: browser\nbrowser:\n.*?timeout: 20s\n`).ReplaceAllString(string(raw), "fetch: http\n")
	if plainYAML == string(raw) {
		t.Fatal("the example adapter no longer has the browser block this test replaces")
	}
	plain, err := crawler.ParseSite("plain.yaml", []byte(plainYAML))
	if err != nil {
		t.Fatal(err)
	}
	if plain, err = plain.Rebase(urls.JS); err != nil {
		t.Fatal(err)
	}
	hc := crawler.New(config.Crawl{}, map[string]*crawler.Site{plain.Name: plain})
	if _, err := hc.Crawl(context.Background(), plain.SearchTask("r", query, 1)); !errors.Is(err, crawler.ErrLayoutChanged) {
		t.Fatalf("plain HTTP on the JavaScript page: %v, want a layout change (no cards in the HTML)", err)
	}
}

// A browser page gets the site's cookies for its own host only (its
// script's requests to that host carry them; an image on another loopback
// name, also an allowed domain, does not), and goes through the site's
// proxy, loopback included.
func TestBrowserPageCookiesAndProxy(t *testing.T) {
	chromium := needChromium(t)
	type seen struct{ path, cookie, via string }
	var mu sync.Mutex
	var got []seen
	record := func(r *http.Request) {
		mu.Lock()
		got = append(got, seen{r.Host + r.URL.Path, r.Header.Get("Cookie"), r.Header.Get("Via")})
		mu.Unlock()
	}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(r)
		w.Header().Set("Content-Type", "image/gif")
		w.Write([]byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"))
	}))
	defer other.Close()
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		record(r)
		switch r.URL.Path {
		case "/api":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"id":"7","title":"rendered"}`)
		default:
			fmt.Fprint(w, `<!DOCTYPE html><html><body><img src="`+otherURL+`/pixel.gif"><ul id="l"></ul><script>
fetch('/api').then(function (r) { return r.json(); }).then(function (it) {
  var li = document.createElement('li'); li.setAttribute('data-id', it.id); li.textContent = it.title;
  document.getElementById('l').appendChild(li);
  var img = document.querySelector('img');
  function done() { var d = document.createElement('div'); d.id = 'rendered'; document.body.appendChild(d); }
  if (img.complete) done(); else { img.onload = done; img.onerror = done; }
});
</script></body></html>`)
		}
	}))
	defer site.Close()
	proxy := newForwardProxy(t, "the-proxy")
	dir := t.TempDir()
	jar := filepath.Join(dir, "cookies.txt")
	if err := os.WriteFile(jar, []byte("# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\tSITE-SECRET\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	adapter := filepath.Join(dir, "b.yaml")
	os.WriteFile(adapter, []byte(`
name: b
base_url: `+site.URL+`
allowed_domains: [127.0.0.1, localhost]
rate: {requests_per_second: 1000, burst: 100}
cookies: cookies.txt
proxies:
  urls: ["`+proxy.URL+`"]
fetch: browser
browser: {wait_for: "#rendered", timeout: 20s}
search: {url: "/s?q={query}", max_pages: 1}
listing: {item: li, fields: {id: {attr: data-id}, title: {}}}
`), 0o600)
	s, err := crawler.LoadSite(config.Dir(adapter), "")
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	b := browser.New(browser.Options{ExecPath: chromium, Tabs: 1})
	defer b.Close()
	c := crawler.New(config.Crawl{}, map[string]*crawler.Site{s.Name: s}, crawler.WithBrowser(b),
		crawler.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err := c.CookiesError(); err != nil {
		t.Fatal(err)
	}
	ex, err := c.Crawl(context.Background(), s.SearchTask("r", "q", 1))
	if err != nil || len(ex.Listings) != 1 || ex.Listings[0].Title != "rendered" {
		t.Fatalf("crawl: %v %+v", err, ex)
	}
	siteHost := strings.TrimPrefix(site.URL, "http://")
	otherHost := strings.TrimPrefix(otherURL, "http://")
	mu.Lock()
	defer mu.Unlock()
	byPath := map[string]seen{}
	for _, g := range got {
		byPath[g.path] = g
	}
	for _, p := range []string{siteHost + "/s", siteHost + "/api"} {
		if g, ok := byPath[p]; !ok || g.cookie != "session=SITE-SECRET" || g.via != "the-proxy" {
			t.Errorf("%s: %+v (seen %v), want the cookie, through the proxy", p, g, ok)
		}
	}
	if g, ok := byPath[otherHost+"/pixel.gif"]; !ok || g.cookie != "" || g.via != "the-proxy" {
		t.Errorf("the image on another loopback name: %+v (seen %v), want no cookie, through the proxy", g, ok)
	}
	if strings.Contains(logs.String(), "SITE-SECRET") {
		t.Fatalf("a cookie in the log:\n%s", logs.String())
	}
}

// A slider check served instead of a JavaScript page is a block, not a
// page that never rendered: the browser waits for wait_for or a blocked
// marker, and the crawler classifies the page as blocked.
func TestBrowserPageBlockedBySlider(t *testing.T) {
	chromium := needChromium(t)
	rule, err := fakemarket.ParseFaultRule("js:/js/search:slider:1")
	if err != nil {
		t.Fatal(err)
	}
	_, _, site := startJSSite(t, fakemarket.Generate(1, fakemarket.WithListings(30), fakemarket.WithJSListings(60)), fakemarket.Options{Faults: []fakemarket.FaultRule{rule}})
	b := browser.New(browser.Options{ExecPath: chromium, Tabs: 1})
	defer b.Close()
	c := crawler.New(config.Crawl{}, map[string]*crawler.Site{site.Name: site}, crawler.WithBrowser(b))
	if _, err := c.Crawl(context.Background(), site.SearchTask("r", "耐克", 1)); err != nil {
		t.Fatalf("first page (before the slider): %v", err)
	}
	_, err = c.Crawl(context.Background(), site.SearchTask("r", "耐克", 2))
	var blocked *crawler.BlockedError
	if !errors.As(err, &blocked) {
		t.Fatalf("the slider page: %v, want a block", err)
	}
}

// The layout fault renders the JavaScript site's cards under other class
// names: the page renders, and the adapter reports a layout change.
func TestBrowserPageLayoutChange(t *testing.T) {
	chromium := needChromium(t)
	rule, err := fakemarket.ParseFaultRule("js:/js/search:layout")
	if err != nil {
		t.Fatal(err)
	}
	_, _, site := startJSSite(t, fakemarket.Generate(1, fakemarket.WithListings(30), fakemarket.WithJSListings(60)), fakemarket.Options{Faults: []fakemarket.FaultRule{rule}})
	b := browser.New(browser.Options{ExecPath: chromium, Tabs: 1})
	defer b.Close()
	c := crawler.New(config.Crawl{}, map[string]*crawler.Site{site.Name: site}, crawler.WithBrowser(b))
	if _, err := c.Crawl(context.Background(), site.SearchTask("r", "耐克", 1)); !errors.Is(err, crawler.ErrLayoutChanged) {
		t.Fatalf("the layout fault on the JavaScript site: %v, want a layout change", err)
	}
}

// A proxy Chromium cannot reach fails the page and rests; the site's
// other proxy carries the following pages.
func TestBrowserPageDeadProxyRests(t *testing.T) {
	chromium := needChromium(t)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!DOCTYPE html><html><body><ul><li data-id="1"><b>x</b></li></ul></body></html>`)
	}))
	defer site.Close()
	live := newForwardProxy(t, "live")
	deadAddr := "127.0.0.1:" + testport.Port(t) // reserved: nothing listens there
	s, err := crawler.ParseSite("d.yaml", []byte(`
name: d
base_url: `+site.URL+`
rate: {requests_per_second: 1000, burst: 100}
proxies:
  urls: ["`+live.URL+`", "http://`+deadAddr+`"]
  max_failures: 1
  rest: 1h
fetch: browser
browser: {timeout: 20s}
search: {url: "/s?q={query}", max_pages: 1}
listing: {item: li, fields: {id: {attr: data-id}, title: {selector: b}}}
`))
	if err != nil {
		t.Fatal(err)
	}
	b := browser.New(browser.Options{ExecPath: chromium, Tabs: 1})
	defer b.Close()
	c := crawler.New(config.Crawl{}, map[string]*crawler.Site{s.Name: s}, crawler.WithBrowser(b), crawler.WithConcurrency(1))
	var failed, ok int
	for i := range 4 {
		if _, err := c.Crawl(context.Background(), s.SearchTask("r", fmt.Sprint("q", i), 1)); err != nil {
			failed++
		} else {
			ok++
		}
	}
	paths, _ := live.seen()
	var pages int
	for _, p := range paths {
		if p == "/s" {
			pages++
		}
	}
	// robots.txt (plain HTTP) → the live proxy, page 0 → the dead one
	// (fails, rests), pages 1-3 → the live one.
	if failed != 1 || ok != 3 || pages != 3 {
		t.Fatalf("%d pages failed, %d rendered, %d through the live proxy; want 1, 3, 3", failed, ok, pages)
	}
}
