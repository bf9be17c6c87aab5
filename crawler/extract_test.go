package crawler

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/markwatch/markwatch"
)

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

// A price of zero or below is no price (markwatch.Listing.PriceValue): an
// item page's ¥0 placeholder must not replace the card's price, which would
// read as far below the genuine floor.
func TestMergeKeepsCardPriceOverItemPlaceholder(t *testing.T) {
	price := func(v float64) *float64 { return &v }
	text := func(p *float64) string {
		if p == nil {
			return "nil"
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	}
	for _, c := range []struct {
		card, item, want *float64
	}{
		{price(59), price(0), price(59)},
		{price(59), price(-1), price(59)},
		{price(59), nil, price(59)},
		{price(59), price(45), price(45)},
		{nil, price(45), price(45)},
		{price(0), price(45), price(45)},
		{nil, price(0), price(0)},
	} {
		got := merge(markwatch.Listing{ID: "a", Price: c.card}, markwatch.Listing{Price: c.item})
		if text(got.Price) != text(c.want) {
			t.Errorf("card %s, item %s: merged price %s, want %s", text(c.card), text(c.item), text(got.Price), text(c.want))
		}
	}
}
