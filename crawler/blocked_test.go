package crawler_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/crawler"
)

// A slider page in place of a search or item page is ErrBlocked, not a
// layout change; a normal page that mentions 访问受限 is not blocked; the
// in-process Runner prints the card of a blocked item page, marked, and
// fetches nothing more from the site.
func TestCrawlerBlockedPages(t *testing.T) {
	var itemHits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/s":
			fmt.Fprint(w, `<p>访问受限 help</p><ul><li data-id="1"><a href="/i/1">a</a></li><li data-id="2"><a href="/i/2">b</a></li><li data-id="3"><a href="/i/3">c</a></li></ul>`)
		case strings.HasPrefix(r.URL.Path, "/i/"):
			itemHits.Add(1)
			fmt.Fprint(w, `<html><div id="nc_1_wrapper">请按住滑块</div></html>`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	site, err := crawler.ParseSite("b.yaml", []byte(`
name: b
base_url: `+srv.URL+`
rate: {requests_per_second: 1000, burst: 100}
search: {url: "/s?q={query}", max_pages: 1}
listing:
  item: li
  fields: {id: {attr: data-id}, title: {selector: a}, url: {selector: a, attr: href}}
item: {follow: true, fields: {seller: {selector: .shop}}}
blocked: {selectors: ["#nc_1_wrapper"], text: [访问受限]}
`))
	if err != nil {
		t.Fatal(err)
	}
	m := crawler.NewMetrics(nil)
	c := crawler.New(config.Crawl{}, map[string]*crawler.Site{"b": site}, crawler.WithMetrics(m))
	_, err = c.Crawl(context.Background(), markwatch.Task{Site: "b", Kind: markwatch.KindItem, URL: srv.URL + "/i/1"})
	var be *crawler.BlockedError
	if !errors.As(err, &be) || !errors.Is(err, crawler.ErrBlocked) || errors.Is(err, crawler.ErrLayoutChanged) || be.Reason != `selector "#nc_1_wrapper"` {
		t.Fatalf("slider item page: %v", err)
	}
	itemHits.Store(0)
	var printed []markwatch.Listing
	stats, err := (&crawler.Runner{Crawler: c, Concurrency: 1}).Run(context.Background(), []markwatch.Task{site.SearchTask("r", "x", 1)}, func(ex *markwatch.Extracted) {
		printed = append(printed, ex.Listings...)
	})
	if err != nil || stats.Blocked != 3 || stats.ItemsNotRead != 3 || stats.CardsLost != 0 || itemHits.Load() != 1 {
		t.Fatalf("runner: %v %+v, item pages fetched %d (want 1: the rest not fetched once blocked)", err, stats, itemHits.Load())
	}
	if len(printed) != 3 {
		t.Fatalf("printed %d cards, want 3", len(printed))
	}
	for _, l := range printed {
		if !strings.HasPrefix(l.ItemPage, "blocked: ") {
			t.Errorf("card %s item_page %q, want it marked blocked", l.ID, l.ItemPage)
		}
	}
}
