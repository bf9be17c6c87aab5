package fakemarket

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// testSites starts a server on three loopback listeners and closes it at
// the end of the test.
func testSites(t *testing.T, cat *Catalogue, opts Options) (*Server, Sites) {
	t.Helper()
	s := New(cat, opts)
	sites, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, sites
}

func get(t *testing.T, rawURL string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	return resp, body
}

func parse(t *testing.T, body []byte) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

var testCat = Generate(1)

// parseCardPrice reads a card price the way the doc says adapters must:
// currency signs and thousands separators dropped, a range gives its lowest,
// 万 multiplies by 10,000.
func parseCardPrice(t *testing.T, text string) float64 {
	t.Helper()
	s := strings.NewReplacer("¥", "", "￥", "", ",", "").Replace(strings.TrimSpace(text))
	mult := 1.0
	if strings.HasSuffix(s, "万") {
		s, mult = strings.TrimSuffix(s, "万"), 10000
	}
	s, _, _ = strings.Cut(s, "-")
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("price %q: %v", text, err)
	}
	return v * mult
}

// Crawling every default query through the mart pages, following the next
// links, gives exactly the catalogue's results, with every card field equal
// to the ground truth.
func TestMartSearchPagesMatchCatalogue(t *testing.T) {
	srv, sites := testSites(t, testCat, Options{})
	pages := 0
	for _, q := range testCat.Queries() {
		want := testCat.Search(SiteMart, q)
		var got []string
		next := sites.Mart + "/mart/search?q=" + url.QueryEscape(q) + "&p=1"
		for next != "" {
			resp, body := get(t, next)
			pages++
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html; charset=utf-8") {
				t.Fatalf("%s: %d %s", next, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			doc := parse(t, body)
			cards := doc.Find("ul.goods-list > li.goods-card")
			if cards.Length() == PageSize && (len(body) < 30_000 || len(body) > 70_000) {
				t.Errorf("%s: full page is %d bytes, want 30–70 KB", next, len(body))
			}
			if cards.Length() > PageSize {
				t.Fatalf("%s: %d cards", next, cards.Length())
			}
			cards.Each(func(i int, card *goquery.Selection) {
				id, _ := card.Attr("data-sku")
				got = append(got, id)
				l, ok := testCat.Listing(id)
				if !ok {
					t.Fatalf("card id %q not in catalogue", id)
				}
				title, _ := card.Find(".goods-title a").Attr("title")
				href, _ := card.Find(".goods-title a").Attr("href")
				img, _ := card.Find(".goods-pic img").Attr("src")
				if title != l.Title || href != l.URL || img != l.Image {
					t.Errorf("%s: card says %q %q %q", id, title, href, img)
				}
				if text := card.Find(".goods-title a").Text(); text != l.Title {
					t.Errorf("%s: visible title %q, want %q", id, text, l.Title)
				}
				if p := parseCardPrice(t, card.Find(".goods-price strong").Text()); p != *l.Price {
					t.Errorf("%s: card price %q = %v, want %v", id, card.Find(".goods-price strong").Text(), p, *l.Price)
				}
				if s := card.Find(".goods-shop a.shop-name").Text(); s != l.Seller {
					t.Errorf("%s: seller %q, want %q", id, s, l.Seller)
				}
				if s := card.Find("span.goods-loc").Text(); s != l.ShipFrom {
					t.Errorf("%s: ship-from %q, want %q", id, s, l.ShipFrom)
				}
			})
			next = ""
			if a := doc.Find(".pager a.pager-next"); a.Length() == 1 {
				href, _ := a.Attr("href")
				next = sites.Mart + href
			}
		}
		if strings.Join(got, ",") != strings.Join(ids(want), ",") {
			t.Errorf("query %q: pages list %d listings, catalogue %d", q, len(got), len(want))
		}
	}
	if srv.Hits("/mart/search") != pages {
		t.Errorf("Hits(/mart/search) = %d, fetched %d", srv.Hits("/mart/search"), pages)
	}
}

func ids(ls []Listing) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.ID)
	}
	return out
}

func TestMartNoResults(t *testing.T) {
	_, sites := testSites(t, testCat, Options{})
	for _, u := range []string{"/mart/search?q=zzzz-nothing", "/mart/search?q=", "/mart/search?q=%E8%80%90%E5%85%8B&p=99", "/mart/search?q=%E8%80%90%E5%85%8B&p=abc"} {
		resp, body := get(t, sites.Mart+u)
		doc := parse(t, body)
		if resp.StatusCode != 200 || doc.Find("div.search-empty").Length() != 1 || doc.Find("li.goods-card").Length() != 0 {
			t.Errorf("%s: status %d, empty marker %d, cards %d", u, resp.StatusCode, doc.Find("div.search-empty").Length(), doc.Find("li.goods-card").Length())
		}
	}
	// A page with results has no empty marker.
	_, body := get(t, sites.Mart+"/mart/search?q=%E8%80%90%E5%85%8B")
	if doc := parse(t, body); doc.Find("div.search-empty").Length() != 0 || doc.Find("li.goods-card").Length() == 0 {
		t.Error("results page carries the no-results marker or no cards")
	}
}

func TestMartItemPages(t *testing.T) {
	_, sites := testSites(t, testCat, Options{})
	n := 0
	for _, l := range testCat.SiteListings(SiteMart) {
		if n++; n > 60 {
			break
		}
		resp, body := get(t, sites.Mart+l.URL)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", l.URL, resp.StatusCode)
		}
		doc := parse(t, body)
		id, _ := doc.Find("div.item-detail").Attr("data-sku")
		cat, _ := doc.Find("nav.crumbs").Attr("data-path")
		img, _ := doc.Find("img.item-main-img").Attr("src")
		fields := map[string][2]string{
			"id":          {id, l.ID},
			"title":       {doc.Find("h1.item-title").Text(), l.Title},
			"seller":      {doc.Find(".item-shop a.shop-name").Text(), l.Seller},
			"ship_from":   {doc.Find("dd.item-origin").Text(), l.ShipFrom},
			"description": {doc.Find("div.item-desc").Text(), l.Description},
			"category":    {cat, l.Category},
			"image":       {img, l.Image},
		}
		for name, f := range fields {
			if f[0] != f[1] {
				t.Errorf("%s %s: page %q, truth %q", l.ID, name, f[0], f[1])
			}
		}
		if p := parseCardPrice(t, doc.Find("span.price-now").Text()); p != *l.Price {
			t.Errorf("%s: price %v, want %v", l.ID, p, *l.Price)
		}
	}
	for _, u := range []string{"/mart/item/NOPE.html", "/mart/item/" + testCat.SiteListings(SiteGBK)[0].ID + ".html"} {
		if resp, _ := get(t, sites.Mart+u); resp.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", u, resp.StatusCode)
		}
	}
}

// Each listener serves its own robots.txt; the combined handler serves all
// rules; other sites' paths are 404 on a site's own listener.
func TestRobotsPerSite(t *testing.T) {
	srv, sites := testSites(t, testCat, Options{})
	for _, site := range SiteNames() {
		resp, body := get(t, sites.URL(site)+"/robots.txt")
		if resp.StatusCode != 200 || !strings.Contains(string(body), "Disallow: /"+site+"/private/") {
			t.Errorf("%s robots.txt: %d %q", site, resp.StatusCode, body)
		}
		for _, other := range SiteNames() {
			if other != site && strings.Contains(string(body), "/"+other+"/") {
				t.Errorf("%s robots.txt mentions %s", site, other)
			}
		}
		if resp, _ := get(t, sites.URL(site)+"/"+site+"/private/x.html"); resp.StatusCode != 200 {
			t.Errorf("%s private page: %d", site, resp.StatusCode)
		}
	}
	if resp, _ := get(t, sites.GBK+"/mart/search?q=x"); resp.StatusCode != 404 {
		t.Errorf("mart path on gbk listener: %d", resp.StatusCode)
	}
	if srv.Hits("/mart/private/x.html") != 1 {
		t.Errorf("private hits %d", srv.Hits("/mart/private/x.html"))
	}
	one := httptest.NewServer(srv)
	defer one.Close()
	_, body := get(t, one.URL+"/robots.txt")
	for _, site := range SiteNames() {
		if !strings.Contains(string(body), "Disallow: /"+site+"/private/") {
			t.Errorf("combined robots.txt lacks %s rules", site)
		}
	}
}

// Same seed, same bytes: two servers render identical pages.
func TestPagesDeterministic(t *testing.T) {
	a := httptest.NewServer(New(Generate(9), Options{}))
	defer a.Close()
	b := httptest.NewServer(New(Generate(9), Options{}))
	defer b.Close()
	cat := Generate(9)
	paths := []string{"/mart/search?q=%E8%8B%B9%E6%9E%9C&p=1", "/mart/search?q=%E8%8B%B9%E6%9E%9C&p=2", cat.SiteListings(SiteMart)[3].URL,
		"/gbk/search.php?kw=%C6%BB%B9%FB", cat.SiteListings(SiteGBK)[3].URL, "/api/v1/search?keyword=%E8%8B%B9%E6%9E%9C", cat.SiteListings(SiteAPI)[3].URL}
	for _, p := range paths {
		_, x := get(t, a.URL+p)
		_, y := get(t, b.URL+p)
		if !bytes.Equal(x, y) {
			t.Errorf("%s: pages differ", p)
		}
	}
}
