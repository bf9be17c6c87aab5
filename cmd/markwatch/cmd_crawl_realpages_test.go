package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/crawler"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// realPageGBK reads a saved marketplace page (third-party data beside the
// repository, never in it; skip when absent) and re-encodes it as GBK,
// characters GBK lacks (¥ U+00A5) written as HTML references, as a GBK
// site would.
func realPageGBK(t *testing.T, name string) (utf8Page, gbkPage []byte) {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "fixtures", "real-pages")
	raw, err := os.ReadFile(filepath.Join(dir, name))
	if os.IsNotExist(err) {
		t.Skipf("saved marketplace pages not found at %s: %v", dir, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	raw = bytes.ReplaceAll(raw, []byte("charset=UTF-8"), []byte("charset=gbk"))
	raw = bytes.ReplaceAll(raw, []byte("charset=utf-8"), []byte("charset=gbk"))
	gbk, err := encoding.HTMLEscapeUnsupported(simplifiedchinese.GBK.NewEncoder()).Bytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	return raw, gbk
}

// fastAdapter copies an example adapter with a rate fit for a test.
func fastAdapter(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "configs", "sites", "examples", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte("rate: {requests_per_second: 0.2, burst: 1}"), []byte("rate: {requests_per_second: 1000, burst: 100}"), 1)
	path := filepath.Join(t.TempDir(), name+".yaml")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Each example adapter crawls a GBK copy of its saved pages served from
// loopback, once mapped onto the marketplace's hosts with --mirror and once
// through --base-url, and reads exactly what it reads from the UTF-8
// original at the same URL.
func TestCrawlRealPagesAsGBKCopies(t *testing.T) {
	for _, tc := range []struct {
		page, adapter, query string
		listings             int
	}{
		{"jd-search-123-2016.html", "jd-search", "123", 60},
		{"jd-search-shouji.html", "jd-search", "手机", 54},
		{"taobao-search-ipad.html", "taobao-search-dom", "ipad", 36},
		{"taobao-search-ipad.html", "taobao-search-script", "ipad", 36},
		{"taobao-search-nvbao.json", "taobao-search-script", "女包", 33},
	} {
		for _, mode := range []string{"mirror", "base-url"} {
			t.Run(tc.page+"/"+tc.adapter+"/"+mode, func(t *testing.T) {
				utf8Page, gbkPage := realPageGBK(t, tc.page)
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == "/robots.txt" {
						http.NotFound(w, r)
						return
					}
					w.Header().Set("Content-Type", "text/html; charset=gbk")
					w.Write(gbkPage)
				}))
				defer srv.Close()
				adapter := fastAdapter(t, tc.adapter)
				site, err := crawler.ParseSite("a.yaml", mustRead(t, adapter))
				if err != nil {
					t.Fatal(err)
				}
				cmd := &CrawlCmd{Site: adapter, Query: []string{tc.query}, MaxPages: 1, Mirror: []string{"*=" + srv.URL}}
				if mode == "base-url" {
					cmd = &CrawlCmd{Site: adapter, Query: []string{tc.query}, MaxPages: 1, BaseURL: srv.URL}
					if site, err = site.Rebase(srv.URL); err != nil {
						t.Fatal(err)
					}
				}
				g, out, _ := crawlGlobals()
				if err := cmd.Run(g); err != nil {
					t.Fatal(err)
				}
				got := readListings(t, out)
				searchURL, _ := site.SearchURL(tc.query, 1)
				u, _ := url.Parse(searchURL)
				want := site.ExtractSearch(utf8Page, u).Listings
				if len(got) != tc.listings || len(want) != tc.listings {
					t.Fatalf("crawled %d listings, the UTF-8 page has %d, want %d", len(got), len(want), tc.listings)
				}
				for i := range want {
					if !sameListing(got[i], want[i]) {
						t.Fatalf("listing %d: crawled %+v, want %+v", i, got[i], want[i])
					}
				}
			})
		}
	}
}

// The 1688 example adapter sends its query GBK-encoded and reads a GBK
// copy of a saved offer list through --base-url.
func TestCrawlReal1688PageAsGBKThroughBaseURL(t *testing.T) {
	utf8Page, gbkPage := realPageGBK(t, "1688-offers-shujuxian.html")
	const query = "手机数据线"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/selloffer/offer_search.htm" {
			http.NotFound(w, r)
			return
		}
		// Query().Get percent-decodes to the raw GBK bytes.
		q, err := simplifiedchinese.GBK.NewDecoder().String(r.URL.Query().Get("keywords"))
		if err != nil || q != query {
			http.Error(w, "query not GBK-encoded: "+r.URL.RawQuery, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=gbk")
		w.Write(gbkPage)
	}))
	defer srv.Close()
	g, out, _ := crawlGlobals()
	adapter := fastAdapter(t, "1688-offers")
	err := (&CrawlCmd{Site: adapter, Query: []string{query}, MaxPages: 1, BaseURL: srv.URL}).Run(g)
	if err != nil {
		t.Fatalf("crawl: %v", err)
	}
	got := readListings(t, out)
	if len(got) != 20 {
		t.Fatalf("%d offers, want 20", len(got))
	}
	// Every field as the adapter reads the UTF-8 original at the same URL.
	site, err := crawler.ParseSite("a.yaml", mustRead(t, adapter))
	if err != nil {
		t.Fatal(err)
	}
	if site, err = site.Rebase(srv.URL); err != nil {
		t.Fatal(err)
	}
	searchURL, _ := site.SearchURL(query, 1)
	u, _ := url.Parse(searchURL)
	want := site.ExtractSearch(utf8Page, u).Listings
	if len(want) != len(got) {
		t.Fatalf("crawled %d offers, the UTF-8 page has %d", len(got), len(want))
	}
	for i := range want {
		if !sameListing(got[i], want[i]) {
			t.Fatalf("offer %d: crawled %+v, want %+v", i, got[i], want[i])
		}
	}
	ads := 0
	for _, l := range got {
		if strings.ContainsAny(l.Seller, "%") || l.Seller == "" || l.Price == nil || l.Currency != "CNY" || !strings.HasPrefix(l.URL, "https://detail.1688.com/offer/"+l.ID) {
			t.Fatalf("offer %+v", l)
		}
		if l.Ad {
			ads++
		}
	}
	if got[0].Seller != "荣亮达电子" || *got[0].Price != 1.74 || ads != 18 {
		t.Fatalf("first offer %+v, %d ads (want 18)", got[0], ads)
	}
}

// sameListing compares every field a card or item page gives.
func sameListing(g, w markwatch.Listing) bool {
	samePrice := (g.Price == nil) == (w.Price == nil) && (g.Price == nil || *g.Price == *w.Price)
	return samePrice && g.ID == w.ID && g.Title == w.Title && g.URL == w.URL && g.Image == w.Image && g.Seller == w.Seller &&
		g.ShipFrom == w.ShipFrom && g.Currency == w.Currency && g.Ad == w.Ad && g.Description == w.Description &&
		g.Category == w.Category && slices.Equal(g.Images, w.Images)
}

// The AliExpress example adapter crawls a GBK copy of the saved item page
// through --base-url: a loopback search page (written here: none was
// saved) links to the item, whose page is the GBK copy; every field is
// what the adapter reads from the UTF-8 original, and the price stays in
// US dollars.
func TestCrawlRealAliExpressItemAsGBKThroughBaseURL(t *testing.T) {
	utf8Page, gbkPage := realPageGBK(t, "aliexpress-item-shein.html")
	const query = "dress"
	const itemPath = "/store/product/x/1159363_32850275270.html"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/wholesale":
			if r.URL.Query().Get("SearchText") != query {
				http.Error(w, "wrong query: "+r.URL.RawQuery, http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(`<html><body><ul><li class="list-item" data-product-id="32850275270"><a class="product" href="` + itemPath + `">dress</a><span class="price">US $1.00</span></li></ul></body></html>`))
		case itemPath:
			w.Header().Set("Content-Type", "text/html; charset=gbk")
			w.Write(gbkPage)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	adapter := fastAdapter(t, "aliexpress-item")
	g, out, _ := crawlGlobals()
	if err := (&CrawlCmd{Site: adapter, Query: []string{query}, MaxPages: 1, BaseURL: srv.URL}).Run(g); err != nil {
		t.Fatalf("crawl: %v", err)
	}
	got := readListings(t, out)
	site, err := crawler.ParseSite("a.yaml", mustRead(t, adapter))
	if err != nil {
		t.Fatal(err)
	}
	if site, err = site.Rebase(srv.URL); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(srv.URL + itemPath)
	want := site.ExtractItem(utf8Page, u).Listings
	if len(got) != 1 || len(want) != 1 {
		t.Fatalf("crawled %d listings, the UTF-8 page gives %d, want 1", len(got), len(want))
	}
	g0, w := got[0], want[0]
	// The item page's fields win over the card's (price US $1.00 on the
	// card), except the URL: the card's link, which the crawl followed.
	w.URL = srv.URL + itemPath
	if !sameListing(g0, w) || g0.ItemPage != "" || g0.Currency != "USD" || g0.Price == nil || *g0.Price == 1 || g0.Seller == "" ||
		g0.Title == "" || g0.Image == "" || g0.ID != "32850275270" {
		t.Fatalf("crawled %+v, want %+v", g0, w)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
