package fakemarket

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func TestFaultSlow(t *testing.T) {
	_, sites := testSites(t, testCat, Options{})
	start := time.Now()
	resp, _ := get(t, sites.Mart+"/mart/search?q=x&mw_fault=slow&mw_delay=150ms")
	if d := time.Since(start); resp.StatusCode != 200 || d < 150*time.Millisecond {
		t.Errorf("slow: %d after %v", resp.StatusCode, d)
	}
	// A client that gives up first sees a timeout, and the server does not
	// keep the handler sleeping for the full delay.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", sites.Mart+"/mart/search?q=x&mw_fault=slow&mw_delay=5000", nil)
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow with a 50ms client timeout: %v", err)
	}
}

func TestFault429And503Bursts(t *testing.T) {
	srv, sites := testSites(t, testCat, Options{})
	u := sites.Mart + "/mart/search?q=%E8%80%90%E5%85%8B&mw_fault=429&mw_retry_after=2"
	resp, _ := get(t, u)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" {
		t.Errorf("429: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp, _ := get(t, u); resp.StatusCode != 200 {
		t.Errorf("second request: %d", resp.StatusCode)
	}
	var codes []string
	u = sites.GBK + "/gbk/search.php?kw=x&mw_fault=503&mw_n=3"
	for range 5 {
		resp, _ := get(t, u)
		codes = append(codes, strconv.Itoa(resp.StatusCode))
	}
	if got := strings.Join(codes, ","); got != "503,503,503,200,200" {
		t.Errorf("503 burst: %s", got)
	}
	if n := srv.Hits("/gbk/search.php?kw=x&mw_fault=503&mw_n=3"); n != 5 {
		t.Errorf("hits of the URI: %d", n)
	}
	for range 4 {
		if resp, _ := get(t, sites.API+"/api/v1/search?keyword=x&mw_fault=503&mw_n=-1"); resp.StatusCode != 503 {
			t.Errorf("mw_n=-1: %d", resp.StatusCode)
		}
	}
	// Rules: the first two requests of every gbk item page fail.
	srv.SetFaults(FaultRule{Site: SiteGBK, PathPrefix: "/gbk/goods.php", Fault: Fault{Kind: Fault503, N: 2}})
	item := sites.GBK + testCat.SiteListings(SiteGBK)[0].URL
	codes = nil
	for range 3 {
		resp, _ := get(t, item)
		codes = append(codes, strconv.Itoa(resp.StatusCode))
	}
	if got := strings.Join(codes, ","); got != "503,503,200" {
		t.Errorf("503 rule: %s", got)
	}
	if resp, _ := get(t, sites.Mart+testCat.SiteListings(SiteMart)[0].URL); resp.StatusCode != 200 {
		t.Errorf("rule for gbk hit mart: %d", resp.StatusCode)
	}
}

func TestFaultTruncateAndCut(t *testing.T) {
	_, sites := testSites(t, testCat, Options{})
	full := sites.Mart + "/mart/search?q=%E7%99%BE%E8%B4%A7"
	_, whole := get(t, full)
	resp, err := http.Get(full + "&mw_fault=truncate&mw_bytes=5000")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !errors.Is(err, io.ErrUnexpectedEOF) || len(body) != 5000 || resp.ContentLength != int64(len(whole)) {
		t.Errorf("truncate: read %d of Content-Length %d, err %v", len(body), resp.ContentLength, err)
	}
	resp, cut := get(t, full+"&mw_fault=cut")
	if resp.StatusCode != 200 || len(cut) != len(whole)/2 || string(cut) != string(whole[:len(whole)/2]) {
		t.Errorf("cut: %d bytes of %d", len(cut), len(whole))
	}
	if doc := parse(t, cut); doc.Find("li.goods-card").Length() == 0 {
		t.Error("cut page yields no cards at all")
	}
}

func TestFaultRedirects(t *testing.T) {
	srv, sites := testSites(t, testCat, Options{})
	_, err := http.Get(sites.Mart + "/mart/search?q=x&mw_fault=loop")
	if err == nil || !strings.Contains(err.Error(), "stopped after 10 redirects") {
		t.Errorf("loop: %v", err)
	}
	if n := srv.Hits("/mart/search"); n != 10 {
		t.Errorf("loop hits %d, want 10 (the Go client gives up there)", n)
	}
	resp, err := noRedirect.Get(sites.Mart + "/mart/search?q=x&mw_fault=foreign")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	mart, _ := url.Parse(sites.Mart)
	if resp.StatusCode != 302 || loc.Hostname() != "localhost" || loc.Port() != mart.Port() || loc.Path != "/foreign/landing" {
		t.Errorf("foreign: %d %s", resp.StatusCode, loc)
	}
	if srv.Hits("/foreign/landing") != 0 {
		t.Error("landing hit before anyone followed")
	}
	// A client that follows it lands on the counted page.
	if resp, body := get(t, sites.Mart+"/mart/search?q=x&mw_fault=foreign"); resp.StatusCode != 200 || !strings.Contains(string(body), "foreign") {
		t.Errorf("following foreign: %d", resp.StatusCode)
	}
	if srv.Hits("/foreign/landing") != 1 {
		t.Errorf("landing hits %d", srv.Hits("/foreign/landing"))
	}
}

func TestFaultHuge(t *testing.T) {
	srv, sites := testSites(t, testCat, Options{})
	resp, err := http.Get(sites.Mart + "/mart/search?q=%E8%80%90%E5%85%8B&mw_fault=huge&mw_bytes=3000000")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || n != 3_000_000 || resp.ContentLength != -1 {
		t.Errorf("huge: %d bytes, Content-Length %d, %v", n, resp.ContentLength, err)
	}
	resp, _ = get(t, sites.API+"/api/v1/search?keyword=%E8%80%90%E5%85%8B&mw_fault=huge&mw_bytes=2000000&mw_declare=1")
	if resp.ContentLength != 2_000_000 {
		t.Errorf("huge declared: Content-Length %d", resp.ContentLength)
	}
	var r apiSearchReply
	if getJSON(t, sites.API+"/api/v1/search?keyword=%E8%80%90%E5%85%8B&mw_fault=huge&mw_bytes=1000000", &r); len(r.Data.Items) == 0 {
		t.Error("padded JSON lost its items")
	}
	// The default 50 MB body: a client that stops after 1 MB ends it; the
	// server does not stream the rest into the void.
	resp, err = http.Get(sites.Mart + "/mart/search?q=x&mw_fault=huge")
	if err != nil {
		t.Fatal(err)
	}
	io.CopyN(io.Discard, resp.Body, 1<<20)
	resp.Body.Close()
	deadline := time.Now().Add(30 * time.Second) // generous: a loaded machine must not fail it
	for {
		reqs := srv.Requests()
		if last := reqs[len(reqs)-1]; last.Status != 0 || time.Now().After(deadline) {
			if last.Status == 0 {
				t.Error("huge response still streaming 30 s after the client left")
			}
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestFaultLayout(t *testing.T) {
	srv, sites := testSites(t, testCat, Options{})
	q := "&mw_fault=layout"
	_, body := get(t, sites.Mart+"/mart/search?q=%E8%80%90%E5%85%8B"+q)
	doc := parse(t, body)
	if doc.Find("li.goods-card").Length() != 0 || doc.Find("div.search-empty").Length() != 0 || doc.Find("li.gl-item[data-id]").Length() == 0 {
		t.Error("mart layout 2 still matches layout 1 selectors, or has no renamed cards")
	}
	_, body = get(t, sites.Mart+testCat.SiteListings(SiteMart)[0].URL+"?mw_fault=layout")
	if doc := parse(t, body); doc.Find("h1.item-title").Length() != 0 || doc.Find("h1.sku-name").Length() != 1 {
		t.Error("mart item layout 2")
	}
	_, raw := get(t, sites.GBK+"/gbk/search.php?kw="+gbkEscape("耐克")+q)
	doc = parse(t, decodeGBK(t, raw))
	if doc.Find("table#goodslist tr.item").Length() != 0 || doc.Find("td.noresult").Length() != 0 || doc.Find("table#prolist tr.prod").Length() == 0 {
		t.Error("gbk layout 2")
	}
	var r apiSearchReply
	getJSON(t, sites.API+"/api/v1/search?keyword=%E8%80%90%E5%85%8B"+q, &r)
	_, body = get(t, sites.API+"/api/v1/search?keyword=%E8%80%90%E5%85%8B"+q)
	if r.Data.Items != nil || r.Data.NoResult || !strings.Contains(string(body), `"list":[{"goodsId"`) {
		t.Errorf("api layout 2: %s", body[:200])
	}
	// A rule switches a whole site mid-run.
	srv.SetFaults(FaultRule{Site: SiteMart, Fault: Fault{Kind: FaultLayout}})
	_, body = get(t, sites.Mart+"/mart/search?q=%E8%80%90%E5%85%8B")
	if parse(t, body).Find("li.goods-card").Length() != 0 {
		t.Error("layout rule not applied")
	}
	srv.SetFaults()
	_, body = get(t, sites.Mart+"/mart/search?q=%E8%80%90%E5%85%8B")
	if parse(t, body).Find("li.goods-card").Length() == 0 {
		t.Error("layout rule not removed")
	}
}

func TestParseFaultRule(t *testing.T) {
	r, err := ParseFaultRule("gbk::503:5")
	if err != nil || r.Site != SiteGBK || r.PathPrefix != "" || r.Fault.Kind != Fault503 || r.Fault.N != 5 {
		t.Errorf("gbk::503:5 = %+v, %v", r, err)
	}
	r, err = ParseFaultRule(":/mart/item/:slow:300")
	if err != nil || r.Fault.Delay != 300*time.Millisecond || !r.matches(SiteMart, "/mart/item/M1.html") || r.matches(SiteMart, "/mart/search") {
		t.Errorf("slow rule = %+v, %v", r, err)
	}
	for _, bad := range []string{"mart", "shop::503", "mart::teapot", "mart::503:x"} {
		if _, err := ParseFaultRule(bad); err == nil {
			t.Errorf("ParseFaultRule(%q) accepted", bad)
		}
	}
}

// The request log feeds politeness checks: with a clock that advances
// 300 ms per request, no one-second window holds more than 4 requests.
func TestRequestAccounting(t *testing.T) {
	var mu sync.Mutex
	clock := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(300 * time.Millisecond)
		return clock
	}
	srv, sites := testSites(t, testCat, Options{Now: now})
	for range 10 {
		get(t, sites.Mart+"/mart/search?q=a")
	}
	get(t, sites.GBK+"/robots.txt")
	if got := srv.MaxInWindow(SiteMart, time.Second); got != 4 {
		t.Errorf("MaxInWindow = %d, want 4", got)
	}
	if got := srv.MaxInWindow(SiteGBK, time.Second); got != 1 {
		t.Errorf("gbk MaxInWindow = %d, want 1 (robots.txt counts for its site)", got)
	}
	total := 0
	for _, n := range srv.PerSecond(SiteMart) {
		total += n
	}
	if total != 10 || srv.Hits("/mart/search") != 10 || srv.Hits("/mart/search?q=a") != 10 || srv.Hits("/robots.txt") != 1 {
		t.Errorf("counts: per-second total %d, hits %d / %d / %d", total, srv.Hits("/mart/search"), srv.Hits("/mart/search?q=a"), srv.Hits("/robots.txt"))
	}
	reqs := srv.Requests()
	if len(reqs) != 11 || reqs[0].Status != 200 || reqs[0].Site != SiteMart || reqs[10].Site != SiteGBK {
		t.Errorf("request log: %+v", reqs)
	}
	// Concurrent clients (run with -race).
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 5 {
				get(t, sites.API+"/api/v1/search?keyword=x&page="+strconv.Itoa(i*5+j))
			}
		})
	}
	wg.Wait()
	if srv.Hits("/api/v1/search") != 40 {
		t.Errorf("concurrent hits %d", srv.Hits("/api/v1/search"))
	}
	if h := srv.HitCounts(); h["/mart/search?q=a"] != 10 || len(h) != 1+1+40 {
		t.Errorf("HitCounts has %d URIs, /mart/search?q=a %d", len(h), h["/mart/search?q=a"])
	}
	if h := srv.PathHitCounts(); h["/mart/search"] != 10 || h["/api/v1/search"] != 40 || len(h) != 3 {
		t.Errorf("PathHitCounts %v", h)
	}
	srv.ResetCounts()
	if len(srv.Requests()) != 0 || srv.Hits("/mart/search") != 0 {
		t.Error("ResetCounts left counts")
	}
}

func TestLatencyAndLoopbackOnly(t *testing.T) {
	s := New(testCat, Options{})
	if _, err := s.Start("0.0.0.0:0"); err == nil {
		s.Close()
		t.Error("Start accepted a non-loopback address")
	}
	_, sites := testSites(t, testCat, Options{Latency: 100 * time.Millisecond})
	start := time.Now()
	get(t, sites.API+"/api/")
	if time.Since(start) < 100*time.Millisecond {
		t.Error("Latency not applied")
	}
}

// stepClock returns a clock that advances step on every reading.
func stepClock(step time.Duration) func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(step)
		return t
	}
}

func TestRateLimitAndBan(t *testing.T) {
	// 100 ms between requests, 3 a second allowed: every fourth request
	// in a second is refused, and the window frees up again.
	srv, sites := testSites(t, testCat, Options{Now: stepClock(100 * time.Millisecond), MaxPerSecond: 3})
	var codes []string
	for range 12 {
		resp, _ := get(t, sites.Mart+"/mart/search?q=x")
		codes = append(codes, strconv.Itoa(resp.StatusCode))
	}
	if got := strings.Join(codes, ","); got != "200,200,200,429,429,429,429,429,429,429,200,200" {
		t.Errorf("rate limit: %s", got)
	}
	if resp, _ := get(t, sites.GBK+"/gbk/search.php?kw=x"); resp.StatusCode != 200 {
		t.Errorf("rate limit of mart hit gbk: %d", resp.StatusCode)
	}
	if n := srv.Requests()[3]; n.Fault != "ratelimit" || n.Status != 429 {
		t.Errorf("refused request logged as %+v", n)
	}
	// With BanAfter, the second refusal bans the site's clients.
	srv, sites = testSites(t, testCat, Options{Now: stepClock(100 * time.Millisecond), MaxPerSecond: 2, BanAfter: 2})
	codes = nil
	for range 6 {
		resp, body := get(t, sites.API+"/api/v1/search?keyword=x")
		codes = append(codes, strconv.Itoa(resp.StatusCode))
		if resp.StatusCode == 403 && !strings.Contains(string(body), "captcha") {
			t.Error("ban page without the verification marker")
		}
	}
	if got := strings.Join(codes, ","); got != "200,200,429,429,403,403" {
		t.Errorf("ban: %s", got)
	}
	srv.ResetCounts()
	if resp, _ := get(t, sites.API+"/api/v1/search?keyword=x"); resp.StatusCode != 200 {
		t.Errorf("after ResetCounts: %d", resp.StatusCode)
	}
}

// Whatever a crawler sends, every site answers with a page (never a panic
// or a 5xx), and echoed queries cannot break out of the markup.
func FuzzSiteRequests(f *testing.F) {
	for _, seed := range []string{
		"/mart/search?q=%E8%80%90%E5%85%8B&p=2", "/mart/search?q=</script><script>alert(1)</script>", "/mart/search?q=x&p=-1",
		"/mart/search?q=x&p=99999999999999999999", "/gbk/search.php?kw=%FF%FE&page=0", "/gbk/goods.php?id=<b>",
		"/api/v1/search?keyword=%22%7D&page=1", "/api/v1/item?id=%00", "/mart/item/..%2F..%2Fetc.html", "/robots.txt",
		"/mart/search?q=x&mw_fault=teapot", "/mart/search?q=x&mw_fault=cut&mw_bytes=-5", "/mart/search?q=x&mw_fault=truncate&mw_bytes=999999999",
	} {
		f.Add(seed)
	}
	srv := New(Generate(1, WithListings(200)), Options{})
	f.Fuzz(func(t *testing.T, target string) {
		u, err := url.ParseRequestURI(target)
		if err != nil || u.Host != "" || !strings.HasPrefix(u.Path, "/") {
			return
		}
		if u.Query().Get("mw_fault") != "" {
			switch u.Query().Get("mw_fault") {
			case FaultSlow, FaultHuge, FaultTruncate:
				return // slow by design, or an intended dropped connection
			}
		}
		req := httptest.NewRequest("GET", "http://fake/", nil)
		req.URL, req.RequestURI = u, u.RequestURI()
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code >= 500 && w.Code != 503 {
			t.Fatalf("%s: status %d", target, w.Code)
		}
		body := w.Body.String()
		if strings.Contains(body, "<script>alert(1)") {
			t.Fatalf("%s: query broke out of the markup", target)
		}
	})
}
