package browser_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/markwatch/markwatch/crawler/browser"
)

// page is a page whose content a script writes after a moment.
const page = `<!DOCTYPE html><html><body><main id="app"></main><script>
setTimeout(function () { document.getElementById('app').innerHTML = '<p class="done">rendered</p>'; }, 30);
</script></body></html>`

func pageServer(t testing.TB) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/gone" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func chromium(t testing.TB) string {
	p, err := browser.FindChromium()
	if err != nil {
		t.Skipf("%v: scripts/setup.sh installs it", err)
	}
	return p
}

// A page is rendered (its script ran), its status and screenshot come
// back, and a browser over its memory limit restarts before the next page.
func TestFetchAndRestartOverMemoryLimit(t *testing.T) {
	b := browser.New(browser.Options{ExecPath: chromium(t), Tabs: 2, MemoryLimit: 1}) // always over
	defer b.Close()
	srv := pageServer(t)
	ctx := context.Background()
	res, err := b.Fetch(ctx, browser.Request{URL: srv.URL + "/a", WaitFor: "p.done", Screenshot: true, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 200 || !bytes.Contains(res.HTML, []byte(`<p class="done">rendered</p>`)) || !bytes.HasPrefix(res.Screenshot, []byte("\x89PNG")) || res.FinalURL != srv.URL+"/a" {
		t.Fatalf("status %d, final %s, rendered %v, screenshot %d bytes", res.Status, res.FinalURL, bytes.Contains(res.HTML, []byte("rendered")), len(res.Screenshot))
	}
	if b.Restarts() != 0 {
		t.Fatal("restarted before a second page")
	}
	res, err = b.Fetch(ctx, browser.Request{URL: srv.URL + "/gone", Timeout: 20 * time.Second})
	if err != nil || res.Status != 404 {
		t.Fatalf("second page: %v %+v", err, res)
	}
	if b.Restarts() != 1 {
		t.Fatalf("%d restarts, want 1 (memory limit passed)", b.Restarts())
	}
}

// BenchmarkBrowserFetch renders the script page with 1, 4 and 8 tabs at
// once: pages/s, and the browser's peak resident memory per tab; with
// intercept=true every request of the page is held for Request.Allow (the
// crawler's crawl rules), which lets all go.
//
//	go test -run XXX -bench BenchmarkBrowserFetch -benchtime 20x ./crawler/browser/
func BenchmarkBrowserFetch(b *testing.B) {
	path := chromium(b)
	srv := pageServer(b)
	allowAll := func(context.Context, *url.URL) string { return "" }
	for _, tabs := range []int{1, 4, 8} {
		for _, intercept := range []bool{false, true} {
			b.Run(fmt.Sprintf("tabs=%d/intercept=%v", tabs, intercept), func(b *testing.B) {
				req := browser.Request{URL: srv.URL, WaitFor: "p.done", Screenshot: true}
				if intercept {
					req.Allow = allowAll
				}
				benchmarkFetch(b, path, tabs, req)
			})
		}
	}
}

// benchmarkFetch renders req over and over in a browser of tabs tabs.
func benchmarkFetch(b *testing.B, path string, tabs int, req browser.Request) {
	br := browser.New(browser.Options{ExecPath: path, Tabs: tabs})
	defer br.Close()
	ctx := context.Background()
	if _, err := br.Fetch(ctx, req); err != nil { // start it
		b.Fatal(err)
	}
	var peak atomic.Int64
	var wg sync.WaitGroup
	next := atomic.Int64{}
	b.ResetTimer()
	start := time.Now()
	for range tabs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if _, err := br.Fetch(ctx, req); err != nil {
					b.Error(err)
					return
				}
				if rss := br.RSS(); rss > peak.Load() {
					peak.Store(rss)
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "pages/s")
	b.ReportMetric(float64(peak.Load())/float64(tabs)/(1<<20), "peak-RSS-MB/tab")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-RSS-MB")
}
