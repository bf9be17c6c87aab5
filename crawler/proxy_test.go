package crawler_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/crawler"
	"github.com/markwatch/markwatch/internal/testport"
)

// forwardProxy is a loopback HTTP forward proxy that records what it
// forwards and the Proxy-Authorization it was given.
type forwardProxy struct {
	*httptest.Server
	mu    sync.Mutex
	paths []string
	auth  string
}

func newForwardProxy(t *testing.T, name string) *forwardProxy {
	p := &forwardProxy{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.paths = append(p.paths, r.URL.Path)
		p.auth = r.Header.Get("Proxy-Authorization")
		p.mu.Unlock()
		forward(w, r, name)
	}))
	t.Cleanup(p.Close)
	return p
}

// forward sends a proxy's request r on to its target, marked Via name,
// and copies the answer to w.
func forward(w http.ResponseWriter, r *http.Request, name string) {
	out, _ := http.NewRequestWithContext(r.Context(), r.Method, r.URL.String(), nil)
	out.Header = r.Header.Clone()
	out.Header.Del("Proxy-Authorization")
	out.Header.Set("Via", name)
	resp, err := (&http.Transport{}).RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// oneListingServer serves a page with one card (li[data-id=1] > b) on
// every path but robots.txt (404), calling seen with every request first.
func oneListingServer(t *testing.T, seen func(*http.Request)) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen(r)
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, `<ul><li data-id="1"><b>x</b></li></ul>`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func (p *forwardProxy) seen() ([]string, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.paths...), p.auth
}

// A site's requests go through its proxies round-robin (robots.txt too);
// a proxy that fails rests and is skipped; the target sees only proxied
// requests; credentials reach the proxy and never the log.
func TestProxiesRoundRobinAndRest(t *testing.T) {
	var mu sync.Mutex
	var via []string
	target := oneListingServer(t, func(r *http.Request) {
		mu.Lock()
		via = append(via, r.Header.Get("Via"))
		mu.Unlock()
	})
	p1, p2 := newForwardProxy(t, "p1"), newForwardProxy(t, "p2")
	deadAddr := "127.0.0.1:" + testport.Port(t) // reserved: nothing listens there
	site, err := crawler.ParseSite("p.yaml", []byte(`
name: p
base_url: `+target.URL+`
rate: {requests_per_second: 1000, burst: 100}
proxies:
  urls: ["http://scout:HUNTER2-SECRET@`+strings.TrimPrefix(p1.URL, "http://")+`", "http://`+deadAddr+`", "`+p2.URL+`"]
  max_failures: 1
  rest: 1h
search: {url: "/s?q={query}", max_pages: 1}
listing: {item: li, fields: {id: {attr: data-id}, title: {selector: b}}}
`))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	c := crawler.New(config.Crawl{}, map[string]*crawler.Site{"p": site}, crawler.WithConcurrency(1),
		crawler.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err := c.CookiesError(); err != nil {
		t.Fatal(err)
	}
	ok, failed := 0, 0
	for i := range 7 {
		_, err := c.Crawl(context.Background(), site.SearchTask("r", fmt.Sprint("q", i), 1))
		if err != nil {
			failed++
			continue
		}
		ok++
	}
	// robots.txt → p1, page 0 → dead (fails, rests), then p2, p1, p2 …
	// (robots.txt, read through p1 on the first request, stays cached).
	if failed != 1 || ok != 6 {
		t.Fatalf("%d fetches failed, %d succeeded; want only the one through the dead proxy to fail", failed, ok)
	}
	paths1, auth := p1.seen()
	paths2, _ := p2.seen()
	if len(paths1) == 0 || len(paths2) == 0 || len(paths1)+len(paths2) != 7 || len(paths1)-len(paths2) > 1 || len(paths2)-len(paths1) > 1 {
		t.Fatalf("p1 forwarded %v, p2 %v: want the 7 requests (robots.txt included) shared in turn", paths1, paths2)
	}
	if want := "Basic " + base64.StdEncoding.EncodeToString([]byte("scout:HUNTER2-SECRET")); auth != want {
		t.Fatalf("p1 got Proxy-Authorization %q", auth)
	}
	mu.Lock()
	for _, v := range via {
		if v != "p1" && v != "p2" {
			t.Errorf("the target got a request not through a proxy (Via %q)", v)
		}
	}
	mu.Unlock()
	if strings.Contains(logs.String(), "HUNTER2") {
		t.Fatalf("proxy credentials in the log:\n%s", logs.String())
	}
	if _, err := crawler.ParseSite("bad.yaml", []byte(`
name: p
base_url: `+target.URL+`
proxies: {urls: ["ftp://u:PW-SECRET@x"]}
search: {url: "/s?q={query}"}
listing: {item: li, fields: {id: {attr: data-id}, title: {selector: b}}}
`)); err == nil || !strings.Contains(err.Error(), "proxies.urls[0]") || strings.Contains(err.Error(), "PW-SECRET") {
		t.Fatalf("bad proxy URL: %v", err)
	}
}
