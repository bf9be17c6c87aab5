package crawler_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/crawler"
	"github.com/markwatch/markwatch/crawler/browser"
	"github.com/markwatch/markwatch/fakemarket"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// The scripts, XHR and images of a browser page obey the site's crawl
// rules: the JavaScript site's search page asks for a tracking pixel on
// another loopback name (not in allowed_domains) and for an internal API
// robots.txt disallows; the browser fails both before they leave it, counts
// them by reason and logs one line for the page, and the page renders its
// cards from the allowed JSON endpoint all the same.
func TestBrowserPageSubresourcesObeyCrawlRules(t *testing.T) {
	chromium := needChromium(t)
	srv, _, site := startJSSite(t, fakemarket.Generate(1, fakemarket.WithListings(30), fakemarket.WithJSListings(60)), fakemarket.Options{})
	b := browser.New(browser.Options{ExecPath: chromium, Tabs: 1})
	defer b.Close()
	m := crawler.NewMetrics(nil)
	var logs bytes.Buffer
	c := crawler.New(config.Crawl{}, map[string]*crawler.Site{site.Name: site}, crawler.WithBrowser(b), crawler.WithMetrics(m),
		crawler.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	query, want := "", 0
	for _, q := range srv.Catalogue().Queries() {
		if n := len(srv.Catalogue().Search(fakemarket.SiteJS, q)); n > want {
			query, want = q, n
		}
	}
	ex, err := c.Crawl(context.Background(), site.SearchTask("r", query, 1))
	if err != nil {
		t.Fatal(err)
	}
	// Every card becomes an item task to follow.
	items := 0
	for _, f := range ex.Follow {
		if f.Kind == markwatch.KindItem && f.Listing != nil && f.Listing.Title != "" {
			items++
		}
	}
	if wantCards := min(want, fakemarket.PageSize); items != wantCards {
		t.Fatalf("%d cards rendered, want %d", items, wantCards)
	}
	if srv.Hits("/js/api/search") != 1 {
		t.Fatalf("the allowed JSON endpoint was asked %d times, want 1", srv.Hits("/js/api/search"))
	}
	offsite := testutil.ToFloat64(m.BrowserBlocked.WithLabelValues(site.Name, "offsite"))
	robots := testutil.ToFloat64(m.BrowserBlocked.WithLabelValues(site.Name, "robots"))
	if offsite != 1 || robots != 1 {
		t.Fatalf("blocked: offsite %v, robots %v; want 1 and 1 (the pixel on localhost, the internal API)", offsite, robots)
	}
	if n := srv.Hits("/js/stat.gif") + srv.Hits("/js/api/internal/log"); n != 0 {
		t.Fatalf("%d blocked requests reached the site", n)
	}
	var lines []string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "requests blocked") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "blocked=2") || !strings.Contains(lines[0], "offsite=1") || !strings.Contains(lines[0], "robots=1") {
		t.Fatalf("log lines about blocked requests: %q, want one with the counts", lines)
	}
	if problems, err := testutil.CollectAndLint(m.BrowserBlocked); err != nil || len(problems) > 0 {
		t.Fatalf("metric lint: %v %v", err, problems)
	}
}

// authProxy is a loopback HTTP forward proxy that answers 407 to requests
// without the Proxy-Authorization it wants.
type authProxy struct {
	*httptest.Server
	mu               sync.Mutex
	forwarded, asked int
}

func newAuthProxy(t *testing.T, user, password string) *authProxy {
	p := &authProxy{}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Proxy-Authorization") != want {
			p.mu.Lock()
			p.asked++
			p.mu.Unlock()
			w.Header().Set("Proxy-Authenticate", `Basic realm="markwatch-test"`)
			http.Error(w, "proxy authentication required", http.StatusProxyAuthRequired)
			return
		}
		p.mu.Lock()
		p.forwarded++
		p.mu.Unlock()
		forward(w, r, "auth-proxy")
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *authProxy) counts() (forwarded, asked int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.forwarded, p.asked
}

// A browser page goes through a proxy that wants credentials: Chromium is
// given them when the proxy asks, and the page (and what its script
// fetches) loads through it. A wrong password fails the page as a proxy
// failure (the proxy rests, as on the plain path); credentials appear in
// no log and no error.
func TestBrowserPageProxyCredentials(t *testing.T) {
	chromium := needChromium(t)
	var via sync.Map
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		via.Store(r.URL.Path, r.Header.Get("Via"))
		switch r.URL.Path {
		case "/robots.txt":
			http.NotFound(w, r)
		case "/api":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"id":"7","title":"through the proxy"}`)
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<!DOCTYPE html><html><body><ul id="l"></ul><script>
fetch('/api').then(function (r) { return r.json(); }).then(function (it) {
  var li = document.createElement('li'); li.setAttribute('data-id', it.id); li.textContent = it.title;
  document.getElementById('l').appendChild(li);
  var d = document.createElement('div'); d.id = 'rendered'; document.body.appendChild(d);
});
</script></body></html>`)
		}
	}))
	defer site.Close()
	proxy := newAuthProxy(t, "scout", "HUNTER2-SECRET")
	hostPort := strings.TrimPrefix(proxy.URL, "http://")
	b := browser.New(browser.Options{ExecPath: chromium, Tabs: 1})
	defer b.Close()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	adapter := func(password string) *crawler.Site {
		s, err := crawler.ParseSite("a.yaml", []byte(`
name: a
base_url: `+site.URL+`
rate: {requests_per_second: 1000, burst: 100}
proxies:
  urls: ["http://scout:`+password+`@`+hostPort+`"]
  max_failures: 1
  rest: 1h
fetch: browser
browser: {wait_for: "#rendered", timeout: 20s}
search: {url: "/s?q={query}", max_pages: 1}
listing: {item: li, fields: {id: {attr: data-id}, title: {}}}
`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	good := adapter("HUNTER2-SECRET")
	c := crawler.New(config.Crawl{}, map[string]*crawler.Site{good.Name: good}, crawler.WithBrowser(b), crawler.WithLogger(logger))
	ex, err := c.Crawl(context.Background(), good.SearchTask("r", "q", 1))
	if err != nil || len(ex.Listings) != 1 || ex.Listings[0].Title != "through the proxy" {
		t.Fatalf("crawl through the proxy: %v %+v", err, ex)
	}
	for _, p := range []string{"/s", "/api"} {
		if v, _ := via.Load(p); v != "auth-proxy" {
			t.Errorf("%s reached the site via %q, want through the proxy", p, v)
		}
	}
	if forwarded, asked := proxy.counts(); forwarded < 3 || asked == 0 {
		// robots.txt (plain HTTP, credentials sent at once), the page and
		// its /api (Chromium waits for the challenge).
		t.Fatalf("the proxy forwarded %d requests and challenged %d: want the page and its data through it, after a challenge", forwarded, asked)
	}

	bad := adapter("WRONG-SECRET")
	m := crawler.NewMetrics(nil)
	c = crawler.New(config.Crawl{}, map[string]*crawler.Site{bad.Name: bad}, crawler.WithBrowser(b), crawler.WithLogger(logger), crawler.WithMetrics(m))
	before, _ := proxy.counts()
	_, err = c.Crawl(context.Background(), bad.SearchTask("r", "q", 1))
	if err == nil {
		t.Fatal("a page through a proxy that refused the password loaded")
	}
	var fe *crawler.FetchError
	if !errors.As(err, &fe) || !fe.Temporary || !errors.Is(err, browser.ErrProxyAuth) {
		t.Fatalf("wrong password: %v, want a temporary fetch error: the proxy refused the credentials", err)
	}
	if after, _ := proxy.counts(); after != before {
		t.Fatalf("the proxy forwarded %d requests with a wrong password", after-before)
	}
	// The proxy rested (max_failures 1): the next page does not try it.
	_, err = c.Crawl(context.Background(), bad.SearchTask("r", "q2", 1))
	if err == nil || !strings.Contains(err.Error(), "resting") {
		t.Fatalf("the page after the refusal: %v, want every proxy resting", err)
	}
	for _, secret := range []string{"HUNTER2", "WRONG-SECRET", "scout:"} {
		if strings.Contains(logs.String(), secret) || strings.Contains(err.Error(), secret) {
			t.Fatalf("proxy credentials (%s) in the log or error:\n%s\n%v", secret, logs.String(), err)
		}
	}
}

// A browser page that redirects off the allowed domains is refused in the
// browser (the other host never sees it) with the plain path's outcome,
// ErrDomainNotAllowed; one that redirects to a path robots.txt disallows
// ends as ErrRobotsDisallowed.
func TestBrowserPageRedirectOffRules(t *testing.T) {
	chromium := needChromium(t)
	var otherHits atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { otherHits.Add(1) }))
	defer other.Close()
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	var privateHits atomic.Int64
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n")
		case "/away":
			http.Redirect(w, r, otherURL+"/landing", http.StatusFound)
		case "/hidden":
			http.Redirect(w, r, "/private/page", http.StatusFound)
		default:
			privateHits.Add(1)
		}
	}))
	defer site.Close()
	s, err := crawler.ParseSite("r.yaml", []byte(`
name: r
base_url: `+site.URL+`
rate: {requests_per_second: 1000, burst: 100}
fetch: browser
browser: {timeout: 20s}
search: {url: "/s?q={query}", max_pages: 1}
listing: {item: li, fields: {id: {attr: data-id}, title: {}}}
`))
	if err != nil {
		t.Fatal(err)
	}
	b := browser.New(browser.Options{ExecPath: chromium, Tabs: 1})
	defer b.Close()
	c := crawler.New(config.Crawl{}, map[string]*crawler.Site{s.Name: s}, crawler.WithBrowser(b))
	task := s.SearchTask("r", "q", 1)
	task.URL = site.URL + "/away"
	if _, err := c.Crawl(context.Background(), task); !errors.Is(err, crawler.ErrDomainNotAllowed) || otherHits.Load() != 0 {
		t.Fatalf("redirect to another host: %v (%d requests reached it), want ErrDomainNotAllowed and none", err, otherHits.Load())
	}
	task.URL = site.URL + "/hidden"
	if _, err := c.Crawl(context.Background(), task); !errors.Is(err, crawler.ErrRobotsDisallowed) || privateHits.Load() != 0 {
		t.Fatalf("redirect to a disallowed path: %v (%d requests for it), want ErrRobotsDisallowed and none", err, privateHits.Load())
	}
}
