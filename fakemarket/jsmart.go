package fakemarket

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// The mart site also serves its search as a JavaScript application, the
// way real marketplaces render listings: /mart/js/search?q=&p= is an empty
// shell whose script asks /mart/js/api?q=&p= for the page's listings (the
// same listings as /mart/search) and builds the cards in the browser. A
// crawler reading the HTML sees no listing; a browser does, and marks the
// page rendered with div#rendered (or div.js-empty when nothing matched).

func (s *Server) jsMart(r *http.Request) *response {
	q := r.URL.Query()
	query, page := q.Get("q"), pageNumber(q.Get("p"))
	switch r.URL.Path {
	case "/mart/js/search":
		return htmlPage([]byte(fmt.Sprintf(jsShell, esc(query), scriptString(query), page)))
	case "/mart/js/api":
		listings, pages := s.pageOf(SiteMart, query, page)
		type item struct {
			ID       string  `json:"id"`
			Title    string  `json:"title"`
			URL      string  `json:"url"`
			Price    float64 `json:"price"`
			Seller   string  `json:"seller"`
			ShipFrom string  `json:"ship_from,omitempty"`
			Image    string  `json:"image"`
		}
		out := struct {
			Items []item `json:"items"`
			Page  int    `json:"page"`
			Pages int    `json:"pages"`
		}{Items: []item{}, Page: page, Pages: pages}
		for _, l := range listings {
			price := 0.0
			if l.Price != nil {
				price = *l.Price
			}
			out.Items = append(out.Items, item{ID: l.ID, Title: l.Title, URL: l.URL, Price: price, Seller: l.Seller, ShipFrom: l.ShipFrom, Image: l.Image})
		}
		body, _ := json.Marshal(out)
		return &response{status: http.StatusOK, contentType: "application/json; charset=utf-8", body: body}
	}
	return notFound(SiteMart)
}

// jsShell is the search page before its script ran: no listing in it.
const jsShell = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>%s - 集市网</title></head>
<body><main id="app"><p class="loading">加载中…</p></main>
<script>
(function () {
  var q = %s, p = %d;
  fetch('/mart/js/api?q=' + encodeURIComponent(q) + '&p=' + p).then(function (r) { return r.json(); }).then(function (data) {
    var app = document.getElementById('app');
    app.innerHTML = '';
    if (!data.items.length) {
      var e = document.createElement('div'); e.className = 'js-empty'; e.textContent = '没有找到相关商品'; app.appendChild(e);
    } else {
      var ul = document.createElement('ul'); ul.className = 'js-list';
      data.items.forEach(function (it) {
        var li = document.createElement('li'); li.className = 'js-card'; li.setAttribute('data-id', it.id);
        var a = document.createElement('a'); a.className = 'js-title'; a.href = it.url; a.textContent = it.title; li.appendChild(a);
        var pr = document.createElement('span'); pr.className = 'js-price'; pr.textContent = '¥' + it.price.toFixed(2); li.appendChild(pr);
        var sh = document.createElement('span'); sh.className = 'js-shop'; sh.textContent = it.seller; li.appendChild(sh);
        if (it.ship_from) { var lo = document.createElement('span'); lo.className = 'js-loc'; lo.textContent = it.ship_from; li.appendChild(lo); }
        var img = document.createElement('img'); img.src = it.image; li.appendChild(img);
        ul.appendChild(li);
      });
      app.appendChild(ul);
      if (data.page < data.pages) {
        var next = document.createElement('a'); next.className = 'js-next';
        next.href = '/mart/js/search?q=' + encodeURIComponent(q) + '&p=' + (data.page + 1); next.textContent = '下一页'; app.appendChild(next);
      }
    }
    var done = document.createElement('div'); done.id = 'rendered'; document.body.appendChild(done);
  });
})();
</script></body></html>`
