package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
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

// robotsCase is one row of the behaviour table below: may a crawler named
// agent fetch url under robots. The rows restate, in our own words, the
// allowed/disallowed cases of Google's reference parser's tests
// (github.com/google/robotstxt, robots_test.cc; source "google"), the
// examples and rules of RFC 9309 (source "rfc") and a few of our own
// ("ours"). differs says why our answer is not Google's where we keep a
// deliberate difference; it is empty everywhere else. Every RFC row holds.
type robotsCase struct {
	source  string
	robots  string
	agent   string
	url     string
	want    bool
	differs string
}

const (
	fooDisallowAll = "user-agent: FooBot\ndisallow: /\n"
	fooAllowX      = "user-agent: FooBot\nallow: /x/\ndisallow: /\n"
	groupsFile     = "allow: /foo/bar/\n\nuser-agent: FooBot\ndisallow: /\nallow: /x/\nuser-agent: BarBot\ndisallow: /\nallow: /y/\n\n\nallow: /w/\nuser-agent: BazBot\n\nuser-agent: FooBot\nallow: /z/\ndisallow: /\n"
	upperAgent     = "User-Agent: FOO BAR\nAllow: /x/\nDisallow: /\n"
	lowerAgent     = "User-Agent: foo bar\nAllow: /x/\nDisallow: /\n"
	camelAgent     = "User-Agent: FoO bAr\nAllow: /x/\nDisallow: /\n"
	upperKeys      = "USER-AGENT: FooBot\nALLOW: /x/\nDISALLOW: /\n"
	camelKeys      = "uSeR-aGeNt: FooBot\nAlLoW: /x/\ndIsAlLoW: /\n"
	rfcExample     = `User-Agent: *
Disallow: *.gif$
Disallow: /example/
Allow: /publications/

User-Agent: foobot
Disallow:/
Allow:/example/page.html
Allow:/example/allowed.gif

User-Agent: barbot
User-Agent: bazbot
Disallow: /example/page.html

User-Agent: quxbot
`
)

func robotsTable() []robotsCase {
	// Rules longer than a line may be: Google's test builds them so that the
	// cut falls just after the run of a's (or b's) and the '/' that follows.
	longA, longB, longD := "/x/", "/x/", "/x/"
	for len(longA) < maxRobotsLine+2-len("/x/")-len("allow: ") {
		longA += "a"
		longB += "b"
	}
	for len(longD) < maxRobotsLine+2-len("/x/")-len("disallow: ") {
		longD += "a"
	}
	cases := []robotsCase{
		// Empty files, agents and URLs.
		{"google: system", "", "FooBot", "", true, ""},
		{"google: system", fooDisallowAll, "", "", true, ""},
		{"google: system", fooDisallowAll, "FooBot", "", false, ""},
		{"google: system", "", "", "", true, ""},
		// Line syntax: a missing colon is read as if it were there.
		{"google: line syntax", fooDisallowAll, "FooBot", "http://foo.bar/x/y", false, ""},
		{"google: line syntax", "foo: FooBot\nbar: /\n", "FooBot", "http://foo.bar/x/y", true, ""},
		{"google: line syntax, no colon", "user-agent FooBot\ndisallow /\n", "FooBot", "http://foo.bar/x/y", false, ""},
		// Groups: consecutive user-agent lines share one; rules outside a group are ignored.
		{"google: groups", groupsFile, "FooBot", "http://foo.bar/x/b", true, ""},
		{"google: groups", groupsFile, "FooBot", "http://foo.bar/z/d", true, ""},
		{"google: groups", groupsFile, "FooBot", "http://foo.bar/y/c", false, ""},
		{"google: groups", groupsFile, "BarBot", "http://foo.bar/y/c", true, ""},
		{"google: groups", groupsFile, "BarBot", "http://foo.bar/w/a", true, ""},
		{"google: groups", groupsFile, "BarBot", "http://foo.bar/z/d", false, ""},
		{"google: groups", groupsFile, "BazBot", "http://foo.bar/z/d", true, ""},
		{"google: groups, rule outside any group", groupsFile, "FooBot", "http://foo.bar/foo/bar/", false, ""},
		{"google: groups, rule outside any group", groupsFile, "BarBot", "http://foo.bar/foo/bar/", false, ""},
		{"google: groups, rule outside any group", groupsFile, "BazBot", "http://foo.bar/foo/bar/", false, ""},
		// Keys are case-insensitive, rule values are not.
		{"google: key case", upperKeys, "FooBot", "http://foo.bar/x/y", true, ""},
		{"google: key case", fooAllowX, "FooBot", "http://foo.bar/x/y", true, ""},
		{"google: key case", camelKeys, "FooBot", "http://foo.bar/x/y", true, ""},
		{"google: key case", upperKeys, "FooBot", "http://foo.bar/a/b", false, ""},
		{"google: key case", fooAllowX, "FooBot", "http://foo.bar/a/b", false, ""},
		{"google: key case", camelKeys, "FooBot", "http://foo.bar/a/b", false, ""},
		// User-agent values are case-insensitive; "Foo Bar" in the file names "foo".
		{"google: agent case", upperAgent, "Foo", "http://foo.bar/x/y", true, ""},
		{"google: agent case", lowerAgent, "Foo", "http://foo.bar/x/y", true, ""},
		{"google: agent case", camelAgent, "Foo", "http://foo.bar/x/y", true, ""},
		{"google: agent case", upperAgent, "Foo", "http://foo.bar/a/b", false, ""},
		{"google: agent case", lowerAgent, "Foo", "http://foo.bar/a/b", false, ""},
		{"google: agent case", camelAgent, "Foo", "http://foo.bar/a/b", false, ""},
		{"google: agent case", upperAgent, "foo", "http://foo.bar/x/y", true, ""},
		{"google: agent case", lowerAgent, "foo", "http://foo.bar/x/y", true, ""},
		{"google: agent case", camelAgent, "foo", "http://foo.bar/x/y", true, ""},
		{"google: agent case", upperAgent, "foo", "http://foo.bar/a/b", false, ""},
		{"google: agent case", lowerAgent, "foo", "http://foo.bar/a/b", false, ""},
		{"google: agent case", camelAgent, "foo", "http://foo.bar/a/b", false, ""},
		// A crawler whose own name has a space is not cut at it: no group names it, '*' applies.
		{"google: agent up to first space", "User-Agent: *\nDisallow: /\nUser-Agent: Foo Bar\nAllow: /x/\nDisallow: /\n", "Foo", "http://foo.bar/x/y", true, ""},
		{"google: agent up to first space", "User-Agent: *\nDisallow: /\nUser-Agent: Foo Bar\nAllow: /x/\nDisallow: /\n", "Foo Bar", "http://foo.bar/x/y", false, ""},
		// The '*' group applies when no group names the agent.
		{"google: global group", "", "FooBot", "http://foo.bar/x/y", true, ""},
		{"google: global group", "user-agent: *\nallow: /\nuser-agent: FooBot\ndisallow: /\n", "FooBot", "http://foo.bar/x/y", false, ""},
		{"google: global group", "user-agent: *\nallow: /\nuser-agent: FooBot\ndisallow: /\n", "BarBot", "http://foo.bar/x/y", true, ""},
		{"google: global group", "user-agent: FooBot\nallow: /\nuser-agent: BarBot\ndisallow: /\nuser-agent: BazBot\ndisallow: /\n", "QuxBot", "http://foo.bar/x/y", true, ""},
		// Rule values are case-sensitive.
		{"google: value case", "user-agent: FooBot\ndisallow: /x/\n", "FooBot", "http://foo.bar/x/y", false, ""},
		{"google: value case", "user-agent: FooBot\ndisallow: /X/\n", "FooBot", "http://foo.bar/x/y", true, ""},
		// Longest match; Allow on a tie.
		{"google: longest match", "user-agent: FooBot\ndisallow: /x/page.html\nallow: /x/\n", "FooBot", "http://foo.bar/x/page.html", false, ""},
		{"google: longest match", "user-agent: FooBot\nallow: /x/page.html\ndisallow: /x/\n", "FooBot", "http://foo.bar/x/page.html", true, ""},
		{"google: longest match", "user-agent: FooBot\nallow: /x/page.html\ndisallow: /x/\n", "FooBot", "http://foo.bar/x/", false, ""},
		{"google: longest match, empty rules", "user-agent: FooBot\ndisallow: \nallow: \n", "FooBot", "http://foo.bar/x/page.html", true, ""},
		{"google: longest match, tie", "user-agent: FooBot\ndisallow: /\nallow: /\n", "FooBot", "http://foo.bar/x/page.html", true, ""},
		{"google: longest match", "user-agent: FooBot\ndisallow: /x\nallow: /x/\n", "FooBot", "http://foo.bar/x", false, ""},
		{"google: longest match", "user-agent: FooBot\ndisallow: /x\nallow: /x/\n", "FooBot", "http://foo.bar/x/", true, ""},
		{"google: longest match, tie", "user-agent: FooBot\ndisallow: /x/page.html\nallow: /x/page.html\n", "FooBot", "http://foo.bar/x/page.html", true, ""},
		{"google: longest match", "user-agent: FooBot\nallow: /page\ndisallow: /*.html\n", "FooBot", "http://foo.bar/page.html", false, ""},
		{"google: longest match", "user-agent: FooBot\nallow: /page\ndisallow: /*.html\n", "FooBot", "http://foo.bar/page", true, ""},
		{"google: longest match", "user-agent: FooBot\nallow: /x/page.\ndisallow: /*.html\n", "FooBot", "http://foo.bar/x/page.html", true, ""},
		{"google: longest match", "user-agent: FooBot\nallow: /x/page.\ndisallow: /*.html\n", "FooBot", "http://foo.bar/x/y.html", false, ""},
		{"google: most specific group", "User-agent: *\nDisallow: /x/\nUser-agent: FooBot\nDisallow: /y/\n", "FooBot", "http://foo.bar/x/page", true, ""},
		{"google: most specific group", "User-agent: *\nDisallow: /x/\nUser-agent: FooBot\nDisallow: /y/\n", "FooBot", "http://foo.bar/y/page", false, ""},
		// Percent-encoding.
		{"google: encoding", "User-agent: FooBot\nDisallow: /\nAllow: /foo/bar?qux=taz&baz=http://foo.bar?tar&par\n", "FooBot", "http://foo.bar/foo/bar?qux=taz&baz=http://foo.bar?tar&par", true, ""},
		{"google: encoding", "User-agent: FooBot\nDisallow: /\nAllow: /foo/bar/ツ\n", "FooBot", "http://foo.bar/foo/bar/%E3%83%84", true, ""},
		{"google: encoding", "User-agent: FooBot\nDisallow: /\nAllow: /foo/bar/ツ\n", "FooBot", "http://foo.bar/foo/bar/ツ", true,
			"deliberate: Google expects its caller to percent-encode the URL and says no to a raw one; we encode it ourselves (it is the URL we fetch), so raw and encoded get one answer"},
		{"google: encoding", "User-agent: FooBot\nDisallow: /\nAllow: /foo/bar/%E3%83%84\n", "FooBot", "http://foo.bar/foo/bar/%E3%83%84", true, ""},
		{"google: encoding", "User-agent: FooBot\nDisallow: /\nAllow: /foo/bar/%E3%83%84\n", "FooBot", "http://foo.bar/foo/bar/ツ", true,
			"deliberate: as above, the raw URL is encoded before matching"},
		{"google: encoding", "User-agent: FooBot\nDisallow: /\nAllow: /foo/bar/%62%61%7A\n", "FooBot", "http://foo.bar/foo/bar/baz", true,
			"deliberate: RFC 9309 §2.2.2's table matches /foo/bar/%62%61%7A against /foo/bar/baz (escaped unreserved characters are decoded, RFC 3986 §6.2.2.2); Google's test says no; the RFC wins"},
		{"google: encoding", "User-agent: FooBot\nDisallow: /\nAllow: /foo/bar/%62%61%7A\n", "FooBot", "http://foo.bar/foo/bar/%62%61%7A", true, ""},
		// Special characters.
		{"google: special characters", "User-agent: FooBot\nDisallow: /foo/bar/quz\nAllow: /foo/*/qux\n", "FooBot", "http://foo.bar/foo/bar/quz", false, ""},
		{"google: special characters", "User-agent: FooBot\nDisallow: /foo/bar/quz\nAllow: /foo/*/qux\n", "FooBot", "http://foo.bar/foo/quz", true, ""},
		{"google: special characters", "User-agent: FooBot\nDisallow: /foo/bar/quz\nAllow: /foo/*/qux\n", "FooBot", "http://foo.bar/foo//quz", true, ""},
		{"google: special characters", "User-agent: FooBot\nDisallow: /foo/bar/quz\nAllow: /foo/*/qux\n", "FooBot", "http://foo.bar/foo/bax/quz", true, ""},
		{"google: special characters", "User-agent: FooBot\nDisallow: /foo/bar$\nAllow: /foo/bar/qux\n", "FooBot", "http://foo.bar/foo/bar", false, ""},
		{"google: special characters", "User-agent: FooBot\nDisallow: /foo/bar$\nAllow: /foo/bar/qux\n", "FooBot", "http://foo.bar/foo/bar/qux", true, ""},
		{"google: special characters", "User-agent: FooBot\nDisallow: /foo/bar$\nAllow: /foo/bar/qux\n", "FooBot", "http://foo.bar/foo/bar/", true, ""},
		{"google: special characters", "User-agent: FooBot\nDisallow: /foo/bar$\nAllow: /foo/bar/qux\n", "FooBot", "http://foo.bar/foo/bar/baz", true, ""},
		{"google: special characters", "User-agent: FooBot\n# Disallow: /\nDisallow: /foo/quz#qux\nAllow: /\n", "FooBot", "http://foo.bar/foo/bar", true, ""},
		{"google: special characters", "User-agent: FooBot\n# Disallow: /\nDisallow: /foo/quz#qux\nAllow: /\n", "FooBot", "http://foo.bar/foo/quz", false, ""},
		// "Allow: …/index.html" also allows the directory itself.
		{"google: index.html is the directory", "User-Agent: *\nAllow: /allowed-slash/index.html\nDisallow: /\n", "foobot", "http://foo.com/allowed-slash/", true, ""},
		{"google: index.html is the directory", "User-Agent: *\nAllow: /allowed-slash/index.html\nDisallow: /\n", "foobot", "http://foo.com/allowed-slash/index.htm", false, ""},
		{"google: index.html is the directory", "User-Agent: *\nAllow: /allowed-slash/index.html\nDisallow: /\n", "foobot", "http://foo.com/allowed-slash/index.html", true, ""},
		{"google: index.html is the directory", "User-Agent: *\nAllow: /allowed-slash/index.html\nDisallow: /\n", "foobot", "http://foo.com/anyother-url", false, ""},
		{"ours: the site's root index.html allows /", "User-Agent: *\nAllow: /index.html\nDisallow: /\n", "foobot", "http://foo.com/", true, ""},
		{"ours: the site's root index.html allows /", "User-Agent: *\nAllow: /index.html\nDisallow: /\n", "foobot", "http://foo.com/other", false, ""},
		{"ours: index.htm too, and only the directory", "User-Agent: *\nAllow: /d/index.htm\nDisallow: /\n", "foobot", "http://foo.com/d/", true, ""},
		{"ours: index.htm too, and only the directory", "User-Agent: *\nAllow: /d/index.htm\nDisallow: /\n", "foobot", "http://foo.com/d/other", false, ""},
		// Lines longer than 16,663 octets are cut there.
		{"google: line too long", "user-agent: FooBot\ndisallow: " + longD + "/qux\n", "FooBot", "http://foo.bar/fux", true, ""},
		{"google: line too long", "user-agent: FooBot\ndisallow: " + longD + "/qux\n", "FooBot", "http://foo.bar" + longD + "/fux", false, ""},
		{"google: line too long", "user-agent: FooBot\ndisallow: /\nallow: " + longA + "/qux\nallow: " + longB + "/qux\n", "FooBot", "http://foo.bar/", false, ""},
		{"google: line too long", "user-agent: FooBot\ndisallow: /\nallow: " + longA + "/qux\nallow: " + longB + "/qux\n", "FooBot", "http://foo.bar" + longA + "/qux", true, ""},
		{"google: line too long", "user-agent: FooBot\ndisallow: /\nallow: " + longA + "/qux\nallow: " + longB + "/qux\n", "FooBot", "http://foo.bar" + longB + "/fux", true, ""},
	}
	// Google's documentation examples: "disallow: /" then one Allow rule.
	docs := []struct {
		rule                string
		allowed, disallowed []string
	}{
		{"/fish", []string{"/fish", "/fish.html", "/fish/salmon.html", "/fishheads", "/fishheads/yummy.html", "/fish.html?id=anything"},
			[]string{"/bar", "/Fish.asp", "/catfish", "/?id=fish"}},
		{"/fish*", []string{"/fish", "/fish.html", "/fish/salmon.html", "/fishheads", "/fishheads/yummy.html", "/fish.html?id=anything"},
			[]string{"/bar", "/Fish.bar", "/catfish", "/?id=fish"}},
		{"/fish/", []string{"/fish/", "/fish/salmon", "/fish/?salmon", "/fish/salmon.html", "/fish/?id=anything"},
			[]string{"/bar", "/fish", "/fish.html", "/Fish/Salmon.html"}},
		{"/*.php", []string{"/filename.php", "/folder/filename.php", "/folder/filename.php?parameters", "//folder/any.php.file.html", "/filename.php/", "/index?f=filename.php/"},
			[]string{"/bar", "/php/", "/index?php", "/windows.PHP"}},
		{"/*.php$", []string{"/filename.php", "/folder/filename.php"},
			[]string{"/bar", "/filename.php?parameters", "/filename.php/", "/filename.php5", "/php/", "/filename?php", "/aaaphpaaa", "//windows.PHP"}},
		{"/fish*.php", []string{"/fish.php", "/fishheads/catfish.php?parameters"},
			[]string{"/bar", "/Fish.PHP"}},
	}
	for _, d := range docs {
		robots := "user-agent: FooBot\ndisallow: /\nallow: " + d.rule + "\n"
		for _, p := range d.allowed {
			cases = append(cases, robotsCase{"google: documentation, allow " + d.rule, robots, "FooBot", "http://foo.bar" + p, true, ""})
		}
		for _, p := range d.disallowed {
			cases = append(cases, robotsCase{"google: documentation, allow " + d.rule, robots, "FooBot", "http://foo.bar" + p, false, ""})
		}
	}
	cases = append(cases, []robotsCase{
		{"google: documentation, precedence", "user-agent: FooBot\nallow: /p\ndisallow: /\n", "FooBot", "http://example.com/page", true, ""},
		{"google: documentation, precedence", "user-agent: FooBot\nallow: /folder\ndisallow: /folder\n", "FooBot", "http://example.com/folder/page", true, ""},
		{"google: documentation, precedence", "user-agent: FooBot\nallow: /page\ndisallow: /*.htm\n", "FooBot", "http://example.com/page.htm", false, ""},
		{"google: documentation, precedence", "user-agent: FooBot\nallow: /$\ndisallow: /\n", "FooBot", "http://example.com/", true, ""},
		{"google: documentation, precedence", "user-agent: FooBot\nallow: /$\ndisallow: /\n", "FooBot", "http://example.com/page.html", false, ""},
		// Line endings: \n, \r\n, a lone \r, no final newline, mixed.
		{"google: line endings", "User-Agent: foo\nAllow: /some/path\nUser-Agent: bar\n\n\nDisallow: /\n", "bar", "http://foo.bar/x", false, ""},
		{"google: line endings", "User-Agent: foo\r\nAllow: /some/path\r\nUser-Agent: bar\r\n\r\n\r\nDisallow: /\r\n", "bar", "http://foo.bar/x", false, ""},
		{"google: line endings", "User-Agent: foo\rAllow: /some/path\rUser-Agent: bar\r\r\rDisallow: /\r", "bar", "http://foo.bar/x", false, ""},
		{"google: line endings", "User-Agent: foo\nAllow: /some/path\nUser-Agent: bar\n\n\nDisallow: /", "bar", "http://foo.bar/x", false, ""},
		{"google: line endings", "User-Agent: foo\nAllow: /some/path\r\nUser-Agent: bar\n\r\n\nDisallow: /", "bar", "http://foo.bar/x", false, ""},
		// Byte-order marks: whole or partial at the start; anywhere else the line is garbage.
		{"google: BOM", "\xEF\xBB\xBFUser-Agent: foo\nDisallow: /AnyValue\n", "foo", "http://foo.bar/AnyValue", false, ""},
		{"google: partial BOM", "\xEF\xBBUser-Agent: foo\nDisallow: /AnyValue\n", "foo", "http://foo.bar/AnyValue", false, ""},
		{"google: partial BOM", "\xEFUser-Agent: foo\nDisallow: /AnyValue\n", "foo", "http://foo.bar/AnyValue", false, ""},
		{"google: broken BOM", "\xEF\x11\xBFUser-Agent: foo\nDisallow: /AnyValue\n", "foo", "http://foo.bar/AnyValue", true, ""},
		{"google: BOM mid-file", "User-Agent: foo\n\xEF\xBB\xBFDisallow: /AnyValue\n", "foo", "http://foo.bar/AnyValue", true, ""},
		// Sitemap lines anywhere change nothing.
		{"google: sitemap", "Sitemap: http://foo.bar/sitemap.xml\nUser-Agent: foo\nDisallow: /x\n", "foo", "http://foo.bar/x", false, ""},
		{"google: sitemap", "User-Agent: foo\nSitemap: http://foo.bar/sitemap.xml\nUser-Agent: bar\nDisallow: /x\n", "foo", "http://foo.bar/x", false, ""},
		// Keys Google reads despite their spelling.
		{"google: misspelling", "user-agent: FooBot\ndissallow: /\n", "FooBot", "http://foo.bar/x", false, ""},
		{"google: misspelling", "user-agent: FooBot\ndissalow: /\n", "FooBot", "http://foo.bar/x", false, ""},
		{"google: misspelling", "user-agent: FooBot\ndisalow: /\n", "FooBot", "http://foo.bar/x", false, ""},
		{"google: misspelling", "user-agent: FooBot\ndiasllow: /\n", "FooBot", "http://foo.bar/x", false, ""},
		{"google: misspelling", "user-agent: FooBot\ndisallaw: /\n", "FooBot", "http://foo.bar/x", false, ""},
		{"google: misspelling", "user-agent: FooBot\ndisallaw /x\n", "FooBot", "http://foo.bar/x", false, ""},
		{"google: misspelling", "useragent: FooBot\ndisallow: /\n", "FooBot", "http://foo.bar/x", false, ""},
		{"google: misspelling", "user agent: FooBot\ndisallow: /\n", "FooBot", "http://foo.bar/x", false, ""},
		{"google: no colon and three words is no rule", "user-agent: FooBot\ndisallow / x\n", "FooBot", "http://foo.bar/x", true, ""},

		// RFC 9309 §2.2.1: groups for one agent merge; a product token matches case-insensitively.
		{"rfc: §2.2.1 merged groups", "user-agent: ExampleBot\ndisallow: /foo\ndisallow: /bar\n\nuser-agent: ExampleBot\ndisallow: /baz\n", "ExampleBot/1.1", "https://example.com/foo", false, ""},
		{"rfc: §2.2.1 merged groups", "user-agent: ExampleBot\ndisallow: /foo\ndisallow: /bar\n\nuser-agent: ExampleBot\ndisallow: /baz\n", "examplebot", "https://example.com/baz", false, ""},
		{"rfc: §2.2.1 merged groups", "user-agent: ExampleBot\ndisallow: /foo\ndisallow: /bar\n\nuser-agent: ExampleBot\ndisallow: /baz\n", "ExampleBot", "https://example.com/qux", true, ""},
		{"rfc: §2.2.1 no matching group and no '*'", "user-agent: ExampleBot\ndisallow: /\n", "OtherBot", "https://example.com/x", true, ""},
		// §2.2.2: longest match, Allow on a tie, percent-encoding; §2.4 /robots.txt implicitly allowed.
		{"rfc: §2.2.2 tie goes to allow", "user-agent: *\nallow: /a\ndisallow: /a\n", "bot", "https://example.com/a", true, ""},
		{"rfc: §2.4 robots.txt always allowed", "user-agent: *\ndisallow: /\n", "bot", "https://example.com/robots.txt", true, ""},
		{"rfc: §2.2.2 encoding, query", "user-agent: *\ndisallow: /foo/bar?baz=quz\n", "bot", "https://example.com/foo/bar?baz=quz", false, ""},
		{"rfc: §2.2.2 encoding, reserved in query", "user-agent: *\ndisallow: /foo/bar?baz=https://foo.bar\n", "bot", "https://example.com/foo/bar?baz=https%3A%2F%2Ffoo.bar", false, ""},
		{"rfc: §2.2.2 encoding, reserved in query", "user-agent: *\ndisallow: /foo/bar?baz=https%3A%2F%2Ffoo.bar\n", "bot", "https://example.com/foo/bar?baz=https://foo.bar", false, ""},
		{"rfc: §2.2.2 encoding, UTF-8", "user-agent: *\ndisallow: /foo/bar/ツ\n", "bot", "https://example.com/foo/bar/%E3%83%84", false, ""},
		{"rfc: §2.2.2 encoding, escaped", "user-agent: *\ndisallow: /foo/bar/%E3%83%84\n", "bot", "https://example.com/foo/bar/%E3%83%84", false, ""},
		{"rfc: §2.2.2 encoding, lower-case hex", "user-agent: *\ndisallow: /foo/bar/%e3%83%84\n", "bot", "https://example.com/foo/bar/%E3%83%84", false, ""},
		{"rfc: §2.2.2 encoding, unreserved", "user-agent: *\ndisallow: /foo/bar/%62%61%7A\n", "bot", "https://example.com/foo/bar/baz", false, ""},
		{"rfc: §2.2.2 encoding, an escaped '/' is not a '/'", "user-agent: *\ndisallow: /a%2Fb\n", "bot", "https://example.com/a/b", true, ""},
		// §2.2.3 special characters: '#', '$', '*', and a literal '*' or '$' written escaped.
		{"rfc: §2.2.3 comment", "user-agent: *\ndisallow: /x # comment\n", "bot", "https://example.com/x/y", false, ""},
		{"rfc: §2.2.3 end anchor", "user-agent: *\ndisallow: /\nallow: /this/path/exactly$\n", "bot", "https://example.com/this/path/exactly", true, ""},
		{"rfc: §2.2.3 end anchor", "user-agent: *\ndisallow: /\nallow: /this/path/exactly$\n", "bot", "https://example.com/this/path/exactly/more", false, ""},
		{"rfc: §2.2.3 wildcard", "user-agent: *\ndisallow: /\nallow: /this/*/exactly\n", "bot", "https://example.com/this/a/b/exactly", true, ""},
		{"rfc: §2.2.3 literal '*'", "user-agent: *\ndisallow: /path/file-with-a-%2A.html\n", "bot", "https://www.example.com/path/file-with-a-*.html", false, ""},
		{"rfc: §2.2.3 literal '*'", "user-agent: *\ndisallow: /path/file-with-a-%2A.html\n", "bot", "https://www.example.com/path/file-with-a-x.html", true, ""},
		{"rfc: §2.2.3 literal '$'", "user-agent: *\ndisallow: /path/foo-%24\n", "bot", "https://www.example.com/path/foo-$", false, ""},
		// §2.2.4: other records (an unknown one, Sitemap, Crawl-delay) do not end a run of user-agent lines.
		{"rfc: §2.2.4 other records", "User-agent: FooBot\nUnknown-thing: yes\nUser-agent: *\nDisallow: /\n", "FooBot", "https://example.com/x", false, ""},
		{"rfc: §2.2.4 other records", "User-agent: FooBot\nCrawl-delay: 3\nUser-agent: BarBot\nDisallow: /private\n", "FooBot", "https://example.com/private", false, ""},
		{"rfc: §2.2.4 other records", "User-agent: FooBot\nSitemap: https://example.com/s.xml\nUser-agent: *\nDisallow: /\n", "FooBot", "https://example.com/x", false, ""},
		// §5.1: the RFC's example file.
		{"rfc: §5.1 example", rfcExample, "foobot", "https://example.com/example/page.html", true, ""},
		{"rfc: §5.1 example", rfcExample, "foobot", "https://example.com/example/allowed.gif", true, ""},
		{"rfc: §5.1 example", rfcExample, "foobot", "https://example.com/publications/", false, ""},
		{"rfc: §5.1 example", rfcExample, "barbot", "https://example.com/example/page.html", false, ""},
		{"rfc: §5.1 example", rfcExample, "bazbot", "https://example.com/example/page.html", false, ""},
		{"rfc: §5.1 example", rfcExample, "barbot", "https://example.com/example/other.gif", true, ""},
		{"rfc: §5.1 example", rfcExample, "quxbot", "https://example.com/example/page.html", true, ""},
		{"rfc: §5.1 example", rfcExample, "otherbot", "https://example.com/a/b.gif", false, ""},
		{"rfc: §5.1 example", rfcExample, "otherbot", "https://example.com/a/b.gif?x", true, ""},
		{"rfc: §5.1 example", rfcExample, "otherbot", "https://example.com/example/x", false, ""},
		{"rfc: §5.1 example", rfcExample, "otherbot", "https://example.com/publications/x", true, ""},
		// §5.2: longest match.
		{"rfc: §5.2 longest match", "User-Agent: foobot\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n", "foobot", "https://example.com/example/page/", true, ""},
		{"rfc: §5.2 longest match", "User-Agent: foobot\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n", "foobot", "https://example.com/example/page/disallowed.gif", false, ""},
	}...)
	return cases
}

// TestRobotsBehaviourTable checks every row of robotsTable.
func TestRobotsBehaviourTable(t *testing.T) {
	google, rfc, differ := 0, 0, 0
	for _, tc := range robotsTable() {
		switch {
		case strings.HasPrefix(tc.source, "google"):
			google++
		case strings.HasPrefix(tc.source, "rfc"):
			rfc++
		}
		if tc.differs != "" {
			differ++
		}
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatalf("%s: %v", tc.source, err)
		}
		if got := ParseRobots([]byte(tc.robots)).Allowed(tc.agent, u); got != tc.want {
			t.Errorf("%s: agent %q, %s under %q: allowed = %v, want %v %s",
				tc.source, tc.agent, shorten(tc.url), shorten(tc.robots), got, tc.want, tc.differs)
		}
	}
	t.Logf("%d Google cases (%d kept different on purpose), %d RFC 9309 cases", google, differ, rfc)

	// The library colly ships with, on the same rows, for the record: it is
	// why robots.go is ours (see the Robots doc comment).
	libWrong := 0
	for _, tc := range robotsTable() {
		u, _ := url.Parse(tc.url)
		lib, err := robotstxt.FromBytes([]byte(tc.robots))
		if err != nil || lib.TestAgent(u.RequestURI(), tc.agent) != tc.want {
			libWrong++
		}
	}
	t.Logf("temoto/robotstxt disagrees with %d rows", libWrong)
}

func shorten(s string) string {
	if len(s) > 120 {
		return s[:60] + "…" + s[len(s)-40:]
	}
	return s
}
