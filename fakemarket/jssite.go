package fakemarket

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Site "js" renders its listings in the browser, the way real marketplaces
// do: every HTML page is an empty shell whose script asks a JSON endpoint
// for the data and builds the page. A crawler reading the HTML sees no
// listing; a browser does, and the script marks the page rendered with
// div#rendered once the cards (or div.no-result) are in. Its listings are
// the catalogue's SiteJS slice (WithJSListings), with their own ground truth.
//
//	search   /js/search?q={query}&p={page}     shell; data from /js/api/search?q=&p=
//	item     /js/item/{id}                      shell; data from /js/api/item?id=
//	image    /js/img/{id}.jpg   home /js/   private /js/private/…, /js/api/internal
//
// The search page's script also asks, before its data, for a tracking
// pixel on another host (http://localhost:{port}/js/stat.gif, the same
// listener under another loopback name) and for /js/api/internal/log
// (disallowed by robots.txt): a browser that obeys the crawl rules fails
// both, and the page renders all the same.
//
// Rendered search page (layout 1):
//
//	card        div.result-grid > div.product, attribute data-sku (the id)
//	title, url  a.product-name (text; href: /js/item/{id})
//	price       span.product-price: the card price text of the mart site
//	            ("¥1,299.00", "￥59.9", "¥99-199", "6.5万")
//	seller      span.product-shop     ship_from  span.product-from (absent when unknown)
//	image       img.product-pic, attribute src
//	next page   a.next-page (absent on the last page)
//	no results  div.no-result
//
// Rendered item page: div.detail[data-sku], h1.detail-title,
// span.detail-price ("¥1,299.00"), a.detail-shop, span.detail-from,
// nav.detail-path[data-path] (category), div.detail-desc, img.detail-pic.
// Layout 2 (the layout fault) renames the classes: div.goods-wall >
// section.goods[data-goods-id], h3.goods-title a, em.goods-money,
// span.goods-store, span.goods-city, img.goods-img, a.wall-next,
// p.wall-empty.

// jsClasses are the class names a layout's script gives the rendered page.
type jsClasses struct {
	Grid   string `json:"grid"`
	Card   string `json:"card"`
	IDAttr string `json:"id_attr"`
	Name   string `json:"name"`
	Price  string `json:"price"`
	Shop   string `json:"shop"`
	From   string `json:"from"`
	Pic    string `json:"pic"`
	Next   string `json:"next"`
	Empty  string `json:"empty"`
}

var jsLayouts = map[int]jsClasses{
	1: {Grid: "result-grid", Card: "product", IDAttr: "data-sku", Name: "product-name", Price: "product-price",
		Shop: "product-shop", From: "product-from", Pic: "product-pic", Next: "next-page", Empty: "no-result"},
	2: {Grid: "goods-wall", Card: "goods", IDAttr: "data-goods-id", Name: "goods-title", Price: "goods-money",
		Shop: "goods-store", From: "goods-city", Pic: "goods-img", Next: "wall-next", Empty: "wall-empty"},
}

// jsItem is one listing as the JSON endpoints send it.
type jsItem struct {
	SKU       string `json:"sku"`
	Name      string `json:"name"`
	Href      string `json:"href"`
	PriceText string `json:"price_text"`
	Shop      string `json:"shop"`
	From      string `json:"from,omitempty"`
	Pic       string `json:"pic"`
	Desc      string `json:"desc,omitempty"`
	Path      string `json:"path,omitempty"`
}

func jsItemOf(l *Listing, detail bool) jsItem {
	it := jsItem{SKU: l.ID, Name: l.Title, Href: l.URL, Shop: l.Seller, From: l.ShipFrom, Pic: l.Image}
	if l.Price != nil {
		it.PriceText = cardPrice(l, "¥")
		if detail {
			it.PriceText = "¥" + comma(*l.Price)
		}
	}
	if detail {
		it.Desc, it.Path = l.Description, l.Category
	}
	return it
}

func (s *Server) jsSite(r *http.Request, layout int) *response {
	q := r.URL.Query()
	p := r.URL.Path
	c := jsLayouts[layout]
	classes, _ := json.Marshal(c)
	switch {
	case p == "/js" || p == "/js/":
		return htmlPage([]byte(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>云集市</title></head><body><main id="app"><form action="/js/search"><input name="q"></form></main></body></html>`))
	case p == "/js/search":
		query, page := q.Get("q"), pageNumber(q.Get("p"))
		return htmlPage([]byte(fmt.Sprintf(jsSearchShell, esc(query), scriptString(query), page, classes)))
	case p == "/js/api/search":
		query, page := q.Get("q"), pageNumber(q.Get("p"))
		listings, pages := s.pageOf(SiteJS, query, page)
		out := struct {
			Results []jsItem `json:"results"`
			Page    int      `json:"page"`
			Pages   int      `json:"pages"`
			Total   int      `json:"total"`
		}{Results: []jsItem{}, Page: page, Pages: pages, Total: len(s.searchIndexes(SiteJS, query))}
		for _, l := range listings {
			out.Results = append(out.Results, jsItemOf(l, false))
		}
		return jsonResponse(http.StatusOK, out)
	case strings.HasPrefix(p, "/js/item/"):
		id := strings.TrimPrefix(p, "/js/item/")
		if s.siteListing(SiteJS, id) == nil {
			return notFound(SiteJS)
		}
		return htmlPage([]byte(fmt.Sprintf(jsItemShell, scriptString(id))))
	case p == "/js/api/item":
		l := s.siteListing(SiteJS, q.Get("id"))
		if l == nil {
			return jsonResponse(http.StatusNotFound, map[string]string{"error": "no such item"})
		}
		return jsonResponse(http.StatusOK, jsItemOf(l, true))
	case strings.HasPrefix(p, "/js/img/"):
		return s.image(p)
	case strings.HasPrefix(p, "/js/private/") || strings.HasPrefix(p, "/js/api/internal"):
		return htmlPage([]byte(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>会员中心</title></head><body><div class="member">我的订单</div></body></html>`))
	}
	return notFound(SiteJS)
}

// jsSearchShell is the search page before its script ran: no listing in it.
// Arguments: the escaped query (title), the query as a script string, the
// page number, the layout's class names (JSON).
const jsSearchShell = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>%s - 云集市</title></head>
<body><main id="app"><p class="loading">加载中…</p></main>
<script>
(function () {
  var q = %s, p = %d, c = %s;
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text) e.textContent = text; return e; }
  // As on real marketplaces: a tracking pixel on another host and a call
  // to an internal API that robots.txt disallows; the page waits for neither.
  new Image().src = location.protocol + '//localhost:' + location.port + '/js/stat.gif?q=' + encodeURIComponent(q);
  fetch('/js/api/internal/log?q=' + encodeURIComponent(q)).catch(function () {});
  fetch('/js/api/search?q=' + encodeURIComponent(q) + '&p=' + p).then(function (r) { return r.json(); }).then(function (data) {
    var app = document.getElementById('app');
    app.innerHTML = '';
    if (!data.results.length) {
      app.appendChild(el(c.grid === 'goods-wall' ? 'p' : 'div', c.empty, '没有找到相关商品'));
    } else {
      var grid = el('div', c.grid);
      data.results.forEach(function (it) {
        var card = el(c.grid === 'goods-wall' ? 'section' : 'div', c.card); card.setAttribute(c.id_attr, it.sku);
        var img = el('img', c.pic); img.src = it.pic; card.appendChild(img);
        var a = el('a', c.grid === 'goods-wall' ? '' : c.name, it.name); a.href = it.href;
        if (c.grid === 'goods-wall') { var h = el('h3', c.name); h.appendChild(a); card.appendChild(h); } else { card.appendChild(a); }
        card.appendChild(el(c.grid === 'goods-wall' ? 'em' : 'span', c.price, it.price_text));
        card.appendChild(el('span', c.shop, it.shop));
        if (it.from) card.appendChild(el('span', c.from, it.from));
        grid.appendChild(card);
      });
      app.appendChild(grid);
      if (data.page < data.pages) {
        var next = el('a', c.next, '下一页');
        next.href = '/js/search?q=' + encodeURIComponent(q) + '&p=' + (data.page + 1); app.appendChild(next);
      }
    }
    var done = el('div'); done.id = 'rendered'; document.body.appendChild(done);
  });
})();
</script></body></html>`

// jsItemShell is an item page before its script ran. Argument: the id as a
// script string.
const jsItemShell = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>商品详情 - 云集市</title></head>
<body><main id="app"><p class="loading">加载中…</p></main>
<script>
(function () {
  var id = %s;
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text) e.textContent = text; return e; }
  fetch('/js/api/item?id=' + encodeURIComponent(id)).then(function (r) { return r.json(); }).then(function (it) {
    var app = document.getElementById('app');
    app.innerHTML = '';
    var d = el('div', 'detail'); d.setAttribute('data-sku', it.sku);
    var nav = el('nav', 'detail-path', it.path); nav.setAttribute('data-path', it.path); d.appendChild(nav);
    var img = el('img', 'detail-pic'); img.src = it.pic; d.appendChild(img);
    d.appendChild(el('h1', 'detail-title', it.name));
    d.appendChild(el('span', 'detail-price', it.price_text));
    var shop = el('a', 'detail-shop', it.shop); shop.href = '/js/'; d.appendChild(shop);
    if (it.from) d.appendChild(el('span', 'detail-from', it.from));
    d.appendChild(el('div', 'detail-desc', it.desc));
    app.appendChild(d);
    var done = el('div'); done.id = 'rendered'; document.body.appendChild(done);
  });
})();
</script></body></html>`
