package browser_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/markwatch/markwatch/crawler/browser"
)

// Request.Allow decides on every request of the page but its document:
// what it refuses never leaves the browser and is counted by reason; what
// it allows loads; the page renders.
func TestAllowFailsRequests(t *testing.T) {
	var otherHits atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { otherHits.Add(1) }))
	defer other.Close()
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)
	var dataHits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/data" {
			dataHits.Add(1)
			fmt.Fprint(w, "rendered")
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!DOCTYPE html><html><body><main id="app"></main><script>
new Image().src = '`+otherURL+`/pixel.gif';
fetch('/private/x').catch(function () {});
fetch('/data').then(function (r) { return r.text(); }).then(function (t) { document.getElementById('app').innerHTML = '<p class="done">' + t + '</p>'; });
</script></body></html>`)
	}))
	defer srv.Close()
	b := browser.New(browser.Options{ExecPath: chromium(t), Tabs: 1})
	defer b.Close()
	var asked atomic.Int64
	allow := func(_ context.Context, u *url.URL) string {
		asked.Add(1)
		switch {
		case u.Hostname() != "127.0.0.1":
			return "offsite"
		case strings.HasPrefix(u.Path, "/private/"):
			return "robots"
		}
		return ""
	}
	res, err := b.Fetch(context.Background(), browser.Request{URL: srv.URL + "/page", WaitFor: "p.done", Timeout: 20 * time.Second, Allow: allow})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(res.HTML), `<p class="done">rendered</p>`) || dataHits.Load() != 1 {
		t.Fatalf("page not rendered from its allowed data (%d requests for it)", dataHits.Load())
	}
	if res.Blocked["offsite"] != 1 || res.Blocked["robots"] != 1 || len(res.Blocked) != 2 || otherHits.Load() != 0 {
		t.Fatalf("blocked %v, the other host got %d requests; want one offsite, one robots, none through", res.Blocked, otherHits.Load())
	}
	if asked.Load() < 3 {
		t.Fatalf("Allow asked %d times, want at least the pixel, /private/x and /data", asked.Load())
	}
}

// A proxy that asks for credentials when none were given fails the page
// with ErrProxyAuth; nothing reaches the site.
func TestProxyAuthWithoutCredentials(t *testing.T) {
	var siteHits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { siteHits.Add(1) }))
	defer srv.Close()
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Proxy-Authenticate", `Basic realm="t"`)
		http.Error(w, "proxy authentication required", http.StatusProxyAuthRequired)
	}))
	defer proxy.Close()
	b := browser.New(browser.Options{ExecPath: chromium(t), Tabs: 1})
	defer b.Close()
	_, err := b.Fetch(context.Background(), browser.Request{URL: srv.URL + "/page", Proxy: proxy.URL, Timeout: 20 * time.Second})
	if !errors.Is(err, browser.ErrProxyAuth) || siteHits.Load() != 0 {
		t.Fatalf("page through a proxy that wants credentials, none given: %v (%d requests reached the site)", err, siteHits.Load())
	}
}
