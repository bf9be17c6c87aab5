package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/temoto/robotstxt"
)

const ourUA = "markwatch/0.1 (+https://github.com/markwatch/markwatch)"

// The real robots.txt of www.1688.com (testdata/robots, a copy of
// shared/fixtures/robots/1688.com.txt): expected answers worked out by hand
// from RFC 9309's longest-match rule.
func TestRobots1688(t *testing.T) {
	body, err := os.ReadFile("testdata/robots/1688.com.txt")
	if err != nil {
		t.Fatal(err)
	}
	r := ParseRobots(body)
	cases := []struct {
		agent, path string
		want        bool
	}{
		{ourUA, "/", true},
		{ourUA, "/?spm=a1", false},                                                  // Disallow: /?
		{ourUA, "/chanpin/index.html?keywords=nike", true},                          // Allow /chanpin/index.html? (20) beats Disallow /chanpin/*?* (12)
		{ourUA, "/chanpin/abc.html?x=1", false},                                     // Disallow /chanpin/*?*
		{ourUA, "/chanpin/--nike.html", true},                                       // Allow /chanpin/--*.html
		{ourUA, "/chanpin/--0nike.html", false},                                     // Disallow /chanpin/-*-0*.html (19) beats the Allow (18)
		{ourUA, "/chanpin/-x-5y.html", false},                                       // Disallow /chanpin/-*-5*.html
		{ourUA, "/member/profile.htm?memberId=b2b-1", true},                         // Allow (29) beats Disallow /member/ and /*?*
		{ourUA, "/member/other.htm", false},                                         // Disallow /member/
		{ourUA, "/tw/abc/", false},                                                  // Disallow /tw/*/
		{ourUA, "/news/tw/abc/x.html", true},                                        // rules anchor at the start of the path
		{ourUA, "/offerdetail/view_large_pics_1.html", false},                       // wildcard rule
		{ourUA, "/x/offerdetail/view_large_pics_1.html", true},                      // …anchored
		{ourUA, "/offer/123.html", false},                                           // Disallow /offer/
		{ourUA, "/pifa/abc", false},                                                 // only in the * group
		{ourUA, "/qingqu/abc", true},                                                // only in Baiduspider's group
		{ourUA, "/robots.txt", true},                                                // always
		{"Baiduspider", "/pifa/abc", true},                                          // its own group has no /pifa/
		{"Baiduspider", "/qingqu/abc", false},                                       // Disallow /qingqu/*
		{"Baiduspider/2.0", "/ask/x", false},                                        // product token, case-insensitive
		{"Googlebot/2.1 (+http://www.google.com/bot.html)", "/xunjia/a.html", true}, // Allow /xunjia/ beats Disallow /
		{"Googlebot", "/chanpin/--nike.html", false},                                // Disallow / for Googlebot
		{"MSNBot", "/tw/abc/", true},                                                // Allow /tw/*/ in its group
		{"MSNBot", "/chanpin/index.html?x", true},                                   // Allow (20) beats Disallow /chanpin/*.html (15)
		{"MSNBot", "/chanpin/foo.html", false},
	}
	for _, tc := range cases {
		if got := r.AllowedPath(tc.agent, tc.path); got != tc.want {
			t.Errorf("%s %s: allowed = %v, want %v", tc.agent, tc.path, got, tc.want)
		}
	}

	// Why not colly's robots library: it answers some of these wrongly.
	lib, err := robotstxt.FromBytes(body)
	if err != nil {
		t.Fatal(err)
	}
	wrong := 0
	for _, tc := range cases {
		if lib.TestAgent(tc.path, tc.agent) != tc.want {
			wrong++
		}
	}
	if wrong == 0 {
		t.Log("temoto/robotstxt now agrees on every case; robots.go could be replaced by it")
	} else {
		t.Logf("temoto/robotstxt gets %d of %d cases wrong (unanchored wildcards)", wrong, len(cases))
	}
}

func TestRobotsWildcardsAndPrecedence(t *testing.T) {
	r := ParseRobots([]byte(`
# comment
User-agent: other
Disallow: /

User-agent: someone
User-agent: MarkWatch   # two agents, one group
Disallow: /*.json$
Disallow: /a
Allow: /a
Allow: /b/
Disallow: /b/*/secret
Disallow: /搜索
Crawl-delay: 2.5
Disallow:
`))
	cases := map[string]bool{
		"/x.json":               false,
		"/x.json?v=1":           true, // $ anchors the end of path and query
		"/x.jsonp":              true,
		"/a":                    true, // equal length: Allow wins
		"/b/c/secret":           false,
		"/b/c/d":                true,
		"/%E6%90%9C%E7%B4%A2/x": false, // raw UTF-8 rule vs escaped path
		"/anything":             true,
	}
	for path, want := range cases {
		if got := r.AllowedPath(ourUA, path); got != want {
			t.Errorf("%s: allowed = %v, want %v", path, got, want)
		}
	}
	if d := r.CrawlDelay(ourUA); d.Seconds() != 2.5 {
		t.Errorf("crawl delay %v", d)
	}
	if r.AllowedPath("other", "/x") {
		t.Error("other agent should be disallowed")
	}
	if !ParseRobots(nil).AllowedPath(ourUA, "/x") {
		t.Error("an empty robots.txt allows everything")
	}
}

func TestRobotsMatchHasNoBlowUp(t *testing.T) {
	pattern := "/" + strings.Repeat("*a", 50)
	path := "/" + strings.Repeat("a", 5000)
	if !robotsMatch(path+"b", pattern) || robotsMatch("/b", pattern) {
		t.Fatal("wrong answer")
	}
}

func TestCrawlObeysRobots(t *testing.T) {
	ts := newTestSite(t, shopHandler("User-agent: *\nDisallow: /search?q=secret\n"))
	site := mustSite(t, ts.URL, shopYAML)
	c, m, _ := newTestCrawler(t, testCfg(), site)

	// Many tasks at once: robots.txt is fetched once.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.Crawl(context.Background(), site.SearchTask("r", fmt.Sprint("q", i), 1))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := ts.count("/robots.txt"); n != 1 {
		t.Fatalf("robots.txt fetched %d times, want 1", n)
	}
	task := site.SearchTask("r", "secret", 1)
	_, err := c.Crawl(context.Background(), task)
	if !errors.Is(err, ErrRobotsDisallowed) {
		t.Fatalf("got %v, want ErrRobotsDisallowed", err)
	}
	if n := ts.count("/search?q=secret&p=1"); n != 0 {
		t.Fatalf("disallowed page fetched %d times", n)
	}
	if got := counter(m.RobotsDisallowed, "shop"); got != 1 {
		t.Fatalf("robots_disallowed = %d, want 1", got)
	}
}

func TestCrawlRobotsUnavailable(t *testing.T) {
	status := http.StatusServiceUnavailable
	var mu sync.Mutex
	mux := http.NewServeMux()
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(status)
	})
	mux.Handle("/", shopHandler(""))
	ts := newTestSite(t, mux)
	site := mustSite(t, ts.URL, shopYAML)
	c, m, _ := newTestCrawler(t, testCfg(), site)
	c.robots.errTTL = 0 // ask again at once

	_, err := c.Crawl(context.Background(), site.SearchTask("r", "q", 1))
	var fe *FetchError
	if !errors.As(err, &fe) || !fe.Temporary || fe.RetryAfter.Seconds() != 7 {
		t.Fatalf("robots.txt 503: got %v, want a temporary FetchError with Retry-After 7s", err)
	}
	if ts.count("/search?q=q&p=1") != 0 {
		t.Fatal("page fetched while robots.txt was unavailable")
	}
	if got := counter(m.Retries, "shop", "status_5xx"); got != 1 {
		t.Fatalf("retries{status_5xx} = %d", got)
	}
	mu.Lock()
	status = http.StatusNotFound // no robots.txt: everything allowed
	mu.Unlock()
	crawlOK(t, c, site.SearchTask("r", "q", 1))
}

func TestAuthorizedSiteIgnoresRobots(t *testing.T) {
	ts := newTestSite(t, shopHandler("User-agent: *\nDisallow: /\n"))
	yaml := shopYAML + "authorization: \"Rights-holder programme agreement 2026-041 with the platform\"\n"
	site := mustSite(t, ts.URL, strings.Replace(yaml, "robots: respect", "robots: authorized", 1))
	c, _, _ := newTestCrawler(t, testCfg(), site)
	ex := crawlOK(t, c, site.SearchTask("r", "q", 1))
	if len(ex.Listings) != 5 {
		t.Fatalf("got %d listings", len(ex.Listings))
	}
	if ts.count("/robots.txt") != 0 {
		t.Fatal("robots.txt fetched for an authorized site")
	}

	respect, _, _ := newTestCrawler(t, testCfg(), mustSite(t, ts.URL, shopYAML))
	if _, err := respect.Crawl(context.Background(), markwatch.Task{Site: "shop", Kind: markwatch.KindSearch, URL: ts.URL + "/search?q=q&p=1"}); !errors.Is(err, ErrRobotsDisallowed) {
		t.Fatalf("respecting adapter: %v", err)
	}
}

func TestCrawlDelaySlowsTheHost(t *testing.T) {
	ts := newTestSite(t, shopHandler("User-agent: *\nCrawl-delay: 0.2\n"))
	site := mustSite(t, ts.URL, shopYAML) // 1000 requests/s, burst 100
	c, _, _ := newTestCrawler(t, testCfg(), site)
	start := time.Now()
	for i := range 3 {
		crawlOK(t, c, site.SearchTask("r", fmt.Sprint("q", i), 1))
	}
	// Three pages, one Crawl-delay apart.
	if elapsed := time.Since(start); elapsed < 390*time.Millisecond {
		t.Fatalf("3 pages in %v despite Crawl-delay 0.2s", elapsed)
	}
	// The fleet's bucket gets the same limit: one request per 0.2 s, no burst.
	if rps, burst := c.FleetLimit("shop"); rps < 4.99 || rps > 5.01 || burst != 1 {
		t.Fatalf("FleetLimit = %v/s burst %d, want 5/s burst 1", rps, burst)
	}
}

func TestFleetLimitIsTheAdaptersWithoutCrawlDelay(t *testing.T) {
	ts := newTestSite(t, shopHandler("User-agent: *\nDisallow: /private/\n"))
	site := mustSite(t, ts.URL, shopYAML)
	c, _, _ := newTestCrawler(t, testCfg(), site)
	if rps, burst := c.FleetLimit("shop"); rps != 1000 || burst != 100 {
		t.Fatalf("before any fetch: %v/s burst %d, want the adapter's 1000/s burst 100", rps, burst)
	}
	crawlOK(t, c, site.SearchTask("r", "q", 1))
	if rps, burst := c.FleetLimit("shop"); rps != 1000 || burst != 100 {
		t.Fatalf("after robots.txt without Crawl-delay: %v/s burst %d", rps, burst)
	}
	if rps, _ := c.FleetLimit("nosuchsite"); rps != 0 {
		t.Fatalf("unknown site: %v/s", rps)
	}
}
