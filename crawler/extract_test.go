package crawler

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

func TestParsePrice(t *testing.T) {
	cases := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"¥1,299.00", 1299, true},
		{"￥59.9", 59.9, true},
		{"99-199", 99, true},
		{"¥99 - ¥199", 99, true},
		{"199~99", 99, true},
		{"￥１２９.５", 129.5, true}, // full-width digits
		{"1.2万", 12000, true},
		{"¥6.5 万", 65000, true},
		{"3千", 3000, true},
		{"RMB 88元起", 88, true},
		{"¥1299", 1299, true},
		{"¥12,345,678.9", 12345678.9, true},
		{"1,29", 1, true}, // not a thousands group
		{"¥.5", 0.5, true},
		{"¥59 原价¥99", 59, true}, // the first price only
		{"价格面议", 0, false},
		{"", 0, false},
		{"¥", 0, false},
	}
	for _, tc := range cases {
		got, ok := ParsePrice(tc.in)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("ParsePrice(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCollapse(t *testing.T) {
	for in, want := range map[string]string{
		"  耐克\u3000 运动鞋\n\t男 ": "耐克 运动鞋 男",
		"a\u00a0b":             "a b",
		"plain":                "plain",
		"耐\u200b克":             "耐\u200b克", // zero-width is not space: the matcher needs it
		"":                     "",
	} {
		if got := collapse(in); got != want {
			t.Errorf("collapse(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDecodeBody(t *testing.T) {
	gbk, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte("<html><head><meta charset=\"gbk\"></head><body>耐克运动鞋</body></html>"))
	gbkNoMeta, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte("<p>耐克运动鞋</p>"))
	cases := []struct {
		name        string
		body        []byte
		contentType string
		label       string
		wantText    string
		wantName    string
		wantLossy   bool
	}{
		{"meta gbk", gbk, "text/html", "auto", "耐克运动鞋", "gbk", false},
		{"header gbk", gbkNoMeta, "text/html; charset=GBK", "auto", "耐克运动鞋", "gbk", false},
		{"explicit gb18030 wins", gbkNoMeta, "text/html; charset=utf-8", "gb18030", "耐克运动鞋", "gb18030", false},
		{"utf-8 default", []byte("<p>耐克</p>"), "", "auto", "耐克", "utf-8", false},
		{"bom", []byte("\xef\xbb\xbf<p>耐克</p>"), "", "auto", "<p>耐克</p>", "utf-8", false},
		{"gbk sent as utf-8", gbkNoMeta, "text/html; charset=utf-8", "auto", "<p>", "utf-8", true},
	}
	for _, tc := range cases {
		text, name, lossy := decodeBody(tc.body, tc.contentType, tc.label)
		if !strings.Contains(string(text), tc.wantText) || name != tc.wantName || lossy != tc.wantLossy {
			t.Errorf("%s: got %q, %s, lossy %v; want %q, %s, lossy %v", tc.name, text, name, lossy, tc.wantText, tc.wantName, tc.wantLossy)
		}
	}
}

const apiYAML = `
name: api
base_url: {base}
format: json
rate: {requests_per_second: 1000, burst: 100}
search: {url: "/api/search?kw={query}&page={page}", max_pages: 5}
listing:
  item: data.items
  fields:
    id: {path: id}
    title: {path: title}
    url: {path: link}
    price: {path: price.text}
    seller: {path: "shop.name"}
    image: {path: "images[0]"}
    category: {path: cats, join: " > "}
  next_page: data.next
  no_results: data.empty
`

func TestExtractJSON(t *testing.T) {
	site := mustSite(t, "https://api.example.com", apiYAML)
	page, _ := url.Parse("https://api.example.com/api/search?kw=x&page=1")
	ex := site.ExtractSearch([]byte(`{"data":{"items":[
		{"id":123,"title":"  耐克  鞋 ","link":"/item/123","price":{"text":"¥1,299.00"},"shop":{"name":"店"},"images":["//img.example.com/1.jpg","x"],"cats":["运动","鞋"]},
		{"id":"a7","title":"无价","link":"https://api.example.com/item/a7","price":null},
		{"title":"no id, no url"}
	],"next":"/api/search?kw=x&page=2"}}`), page)
	if ex.Malformed != nil || ex.Cards != 3 || len(ex.Listings) != 2 {
		t.Fatalf("got %+v", ex)
	}
	l := ex.Listings[0]
	if l.ID != "123" || l.Title != "耐克 鞋" || l.URL != "https://api.example.com/item/123" || l.Price == nil || *l.Price != 1299 ||
		l.Seller != "店" || l.Image != "https://img.example.com/1.jpg" || l.Category != "运动 > 鞋" {
		t.Fatalf("listing %+v", l)
	}
	if ex.Listings[1].Price != nil || ex.Next != "https://api.example.com/api/search?kw=x&page=2" {
		t.Fatalf("second listing %+v, next %q", ex.Listings[1], ex.Next)
	}
	if ex.Missing["price"] != 2 || ex.Missing["seller"] != 2 {
		t.Fatalf("missing %v", ex.Missing)
	}
	empty := site.ExtractSearch([]byte(`{"data":{"items":[],"empty":true}}`), page)
	if !empty.NoResults || empty.Cards != 0 {
		t.Fatalf("empty page %+v", empty)
	}
	changed := site.ExtractSearch([]byte(`{"result":{"list":[{"id":1}]}}`), page)
	if changed.NoResults || changed.Cards != 0 {
		t.Fatalf("changed API %+v", changed)
	}
	bad := site.ExtractSearch([]byte(`<html>请登录</html>`), page)
	if !errors.Is(bad.Malformed, ErrMalformed) {
		t.Fatalf("HTML from a JSON API: %v", bad.Malformed)
	}
}

func TestParsePath(t *testing.T) {
	for in, want := range map[string]string{
		"a.b.c": "a|b|c", "$.a[0].b": "a|0|b", "images.0": "images|0", `meta."x.y"`: "meta|x.y", "": "", "$": "",
	} {
		got, err := parsePath(in)
		if err != nil || strings.Join(got, "|") != want {
			t.Errorf("parsePath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"a..b", "a[x]", "a[1", `a."b`, "a."} {
		if _, err := parsePath(bad); err == nil {
			t.Errorf("parsePath(%q) accepted", bad)
		}
	}
}

func TestExtractHTMLDetails(t *testing.T) {
	site := mustSite(t, "https://s.example.com", `
name: t
base_url: {base}
search: {url: "/s?q={query}"}
listing:
  item: .card
  fields:
    url: {selector: a, attr: href}
    title: {selector: a}
    price: {selector: .p, pattern: '([0-9.]+)元'}
    category: {selector: .crumb, join: " > "}
    image: {selector: img, attr: data-src}
`)
	page, _ := url.Parse("https://s.example.com/s/list?q=x")
	ex := site.ExtractSearch([]byte(`<html><head><base href="https://cdn.example.com/shop/"></head><body>
<div class="card"><a href="item/1.html"> 耐克 <b>鞋</b> </a><span class="p">仅 59.5元 包邮</span><i class="crumb">运动</i><i class="crumb">鞋</i><img data-src="../i/1.jpg"></div>
<div class="card"><a href="javascript:void(0)">广告</a></div>
</body></html>`), page)
	if ex.Cards != 2 || len(ex.Listings) != 1 {
		t.Fatalf("got %+v", ex)
	}
	l := ex.Listings[0]
	if l.URL != "https://cdn.example.com/shop/item/1.html" || l.ID != l.URL || l.Title != "耐克 鞋" || *l.Price != 59.5 ||
		l.Category != "运动 > 鞋" || l.Image != "https://cdn.example.com/i/1.jpg" {
		t.Fatalf("listing %+v", l)
	}
}

// A GBK table site with an item page declared only in <meta>, served
// locally: the crawl decodes both, follows the item page and merges it.
func TestCrawlGBKAndItemMerge(t *testing.T) {
	enc := func(s string) []byte { b, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s)); return b }
	mux := http.NewServeMux()
	mux.HandleFunc("/search.php", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=GBK")
		w.Write(enc(`<table id="goodslist"><tr class="thead"><td>名称</td></tr>
<tr class="item"><td class="name"><a class="title" href="goods.php?id=7" title="阳澄湖大闸蟹 礼盒">x</a></td><td class="price">￥1,288.00</td><td class="area"></td></tr></table>`))
	})
	mux.HandleFunc("/goods.php", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write(enc(`<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk"></head><body>
<table class="goodsinfo"><tr><td class="g-area">江苏 苏州</td><td class="g-price">￥988</td></tr></table><div class="g-desc">正宗 阳澄湖</div></body></html>`))
	})
	ts := newTestSite(t, mux)
	site := mustSite(t, ts.URL, `
name: gbk
base_url: {base}
robots: authorized
authorization: test fixture
rate: {requests_per_second: 1000, burst: 10}
search: {url: "/search.php?kw={query}&page={page}", max_pages: 1}
listing:
  item: table#goodslist tr.item
  fields:
    title: {selector: td.name a.title, attr: title}
    url: {selector: td.name a.title, attr: href}
    price: {selector: td.price}
    ship_from: {selector: td.area}
item:
  follow: true
  fields:
    ship_from: {selector: td.g-area}
    description: {selector: div.g-desc}
    price: {selector: td.g-price}
`)
	c, m, _ := newTestCrawler(t, testCfg(), site)
	ex := crawlOK(t, c, site.SearchTask("r", "大闸蟹", 1))
	if len(ex.Listings) != 0 || len(ex.Follow) != 1 {
		t.Fatalf("search page: %+v", ex)
	}
	item := ex.Follow[0]
	if item.Kind != "item" || item.URL != ts.URL+"/goods.php?id=7" || item.Listing == nil || item.Listing.Title != "阳澄湖大闸蟹 礼盒" || *item.Listing.Price != 1288 {
		t.Fatalf("item task %+v", item)
	}
	ex = crawlOK(t, c, item)
	if len(ex.Listings) != 1 {
		t.Fatalf("item page: %+v", ex)
	}
	l := ex.Listings[0]
	if l.Title != "阳澄湖大闸蟹 礼盒" || l.ShipFrom != "江苏 苏州" || l.Description != "正宗 阳澄湖" || *l.Price != 988 ||
		l.ID != ts.URL+"/goods.php?id=7" || l.URL != item.URL {
		t.Fatalf("merged listing %+v", l)
	}
	if !bytes.Contains(ex.Page.Body, enc("正宗")) {
		t.Fatal("page body is not the raw GBK bytes")
	}
	if got := counter(m.PageErrors, "gbk", "encoding"); got != 0 {
		t.Fatalf("page_errors{encoding} = %d", got)
	}
}

func TestRetryAfterAndBackoff(t *testing.T) {
	now := time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"120": 2 * time.Minute, "0": 0, "-3": 0, "soon": 0, "": 0, "99999": time.Hour,
		now.Add(30 * time.Second).Format(http.TimeFormat): 30 * time.Second,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
	b := Backoff{Base: 100 * time.Millisecond, Max: time.Second}
	for attempt := 1; attempt <= 8; attempt++ {
		ceiling := min(100*time.Millisecond<<(attempt-1), time.Second)
		for range 50 {
			if d := b.Delay(attempt, 0); d <= 0 || d > ceiling {
				t.Fatalf("attempt %d: delay %v outside (0, %v]", attempt, d, ceiling)
			}
		}
	}
	if d := b.Delay(1, 5*time.Second); d != 5*time.Second {
		t.Fatalf("Retry-After not honoured: %v", d)
	}
}

func TestGzipBombIsBounded(t *testing.T) {
	var bomb bytes.Buffer
	// 16 MiB of zeros compress to ~16 KiB; the limit is 64 KiB.
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestSpeed)
	zw.Write(make([]byte, 16<<20))
	zw.Close()
	ts := newTestSite(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", "gzip") // sent although not asked for
		w.Write(bomb.Bytes())
	}))
	// Go's transport asks for gzip and undoes it; an adapter that sets
	// Accept-Encoding itself gets the bytes as sent, undone by the crawler.
	for _, extra := range []string{"", "headers: {Accept-Encoding: gzip}\n"} {
		site := mustSite(t, ts.URL, shopYAML+extra)
		cfg := testCfg()
		cfg.BodyLimit = 64 << 10
		c, m, _ := newTestCrawler(t, cfg, site)
		_, err := c.Crawl(context.Background(), site.SearchTask("r", "q", 1))
		if !errors.Is(err, ErrBodyTooLarge) {
			t.Fatalf("gzip bomb %q: %v", extra, err)
		}
		if got := counter(m.ResponseBytes, "shop"); got != 64<<10 {
			t.Fatalf("gzip bomb %q: read %d decompressed bytes, want the 64 KiB limit", extra, got)
		}
	}
}

func TestRedirectToRobotsDisallowedIsNotFollowed(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n") })
	mux.HandleFunc("/search", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/private/login", http.StatusFound) })
	mux.HandleFunc("/private/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "secret") })
	ts := newTestSite(t, mux)
	site := mustSite(t, ts.URL, shopYAML)
	c, m, _ := newTestCrawler(t, testCfg(), site)
	_, err := c.Crawl(context.Background(), site.SearchTask("r", "q", 1))
	if !errors.Is(err, ErrRobotsDisallowed) {
		t.Fatalf("got %v", err)
	}
	if ts.count("/private/login") != 0 || counter(m.RobotsDisallowed, "shop") != 1 {
		t.Fatalf("followed a redirect robots.txt forbids (hits %d)", ts.count("/private/login"))
	}
}

func TestSlowBodyWithCustomTransportIsBounded(t *testing.T) {
	ts := newTestSite(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(200)
		for range 100 { // a body trickling for 10 s
			if _, err := w.Write([]byte("<p>")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-time.After(100 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
	}))
	site := mustSite(t, ts.URL, shopYAML)
	cfg := testCfg()
	cfg.Timeout.UnmarshalText([]byte("500ms"))
	c := New(cfg, map[string]*Site{"shop": site}, WithTransport(&http.Transport{}))
	start := time.Now()
	_, err := c.Crawl(context.Background(), site.SearchTask("r", "q", 1))
	var fe *FetchError
	if !errors.As(err, &fe) || !fe.Temporary || time.Since(start) > 2*time.Second {
		t.Fatalf("trickling body: %v after %v", err, time.Since(start))
	}
}
