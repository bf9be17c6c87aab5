package crawler_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/crawler"
	"github.com/markwatch/markwatch/crawler/browser"
	"github.com/markwatch/markwatch/fakemarket"
)

func needChromium(t testing.TB) string {
	t.Helper()
	p, err := browser.FindChromium()
	if err != nil {
		t.Skipf("%v: scripts/setup.sh installs it", err)
	}
	return p
}

// The fake marketplace's JavaScript site has no listing in its HTML: the
// plain HTTP fetcher sees a layout change; fetch: browser renders it in
// headless Chromium and extracts every card of the page, checked against
// the site's own slice of the catalogue, with a full-page screenshot kept
// with the page; item pages (rendered too) add description and category.
func TestBrowserFetchRendersJavaScriptListings(t *testing.T) {
	chromium := needChromium(t)
	srv := fakemarket.New(fakemarket.Generate(1, fakemarket.WithListings(90), fakemarket.WithJSListings(200)), fakemarket.Options{})
	urls, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	site, err := crawler.LoadSite(config.Dir(filepath.Join("..", "configs", "sites", "examples", "fakejs.yaml")), "")
	if err != nil {
		t.Fatal(err)
	}
	if site, err = site.Rebase(urls.JS); err != nil {
		t.Fatal(err)
	}
	// The query with the most results on the JavaScript site, so that a
	// second page exists when the slice allows it.
	query, want := "", []fakemarket.Listing(nil)
	for _, q := range srv.Catalogue().Queries() {
		if r := srv.Catalogue().Search(fakemarket.SiteJS, q); len(r) > len(want) {
			query, want = q, r
		}
	}
	if len(want) <= fakemarket.PageSize {
		t.Fatalf("the JavaScript site's biggest query %q has %d results: not two pages", query, len(want))
	}
	b := browser.New(browser.Options{ExecPath: chromium, Tabs: 2})
	defer b.Close()
	c := crawler.New(config.Crawl{}, map[string]*crawler.Site{site.Name: site}, crawler.WithBrowser(b))
	task := site.SearchTask("r", query, 1)
	ex, err := c.Crawl(context.Background(), task)
	if err != nil {
		t.Fatal(err)
	}
	// Every card becomes an item task carrying the card's fields, then the
	// next page.
	if len(ex.Listings) != 0 || len(ex.Follow) != fakemarket.PageSize+1 {
		t.Fatalf("%d listings and %d tasks to follow, want %d item tasks and the next page", len(ex.Listings), len(ex.Follow), fakemarket.PageSize)
	}
	for i, f := range ex.Follow[:fakemarket.PageSize] {
		w := want[i]
		l := f.Listing
		if f.Kind != markwatch.KindItem || l == nil || f.URL != urls.JS+w.URL || l.ID != w.ID || l.Title != w.Title || l.Seller != w.Seller || l.ShipFrom != w.ShipFrom ||
			l.Price == nil || w.Price == nil || *l.Price != *w.Price || l.Image != urls.JS+w.Image {
			t.Fatalf("card %d: got %+v %+v, want %+v", i, f, l, w.Listing)
		}
	}
	if next := ex.Follow[fakemarket.PageSize]; next.Kind != markwatch.KindSearch || !strings.Contains(next.URL, "p=2") {
		t.Fatalf("next page not followed: %+v", next)
	}
	if !bytes.HasPrefix(ex.Page.Screenshot, []byte("\x89PNG\r\n\x1a\n")) || !bytes.Contains(ex.Page.Body, []byte(`class="product"`)) {
		t.Fatalf("page: screenshot %d bytes, rendered body has cards: %v", len(ex.Page.Screenshot), bytes.Contains(ex.Page.Body, []byte(`class="product"`)))
	}
	// Item pages are rendered too: description and category join the card.
	for i, f := range ex.Follow[:2] {
		it, err := c.Crawl(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		w := want[i]
		if len(it.Listings) != 1 {
			t.Fatalf("item %s: %d listings", w.ID, len(it.Listings))
		}
		l := it.Listings[0]
		if l.ID != w.ID || l.Title != w.Title || l.Description != w.Description || l.Category != w.Category || l.Seller != w.Seller ||
			l.Price == nil || *l.Price != *w.Price || len(it.Page.Screenshot) == 0 {
			t.Fatalf("item %d: got %+v, want %+v", i, l, w.Listing)
		}
	}

	// The same adapter over plain HTTP sees the empty shell.
	raw, _ := os.ReadFile(filepath.Join("..", "configs", "sites", "examples", "fakejs.yaml"))
	plainYAML := regexp.MustCompile(`(?s)fetch: browser\nbrowser:\n.*?timeout: 20s\n`).ReplaceAllString(string(raw), "fetch: http\n")
	if plainYAML == string(raw) {
		t.Fatal("the example adapter no longer has the browser block this test replaces")
	}
	plain, err := crawler.ParseSite("plain.yaml", []byte(plainYAML))
	if err != nil {
		t.Fatal(err)
	}
	if plain, err = plain.Rebase(urls.JS); err != nil {
		t.Fatal(err)
	}
	hc := crawler.New(config.Crawl{}, map[string]*crawler.Site{plain.Name: plain})
	if _, err := hc.Crawl(context.Background(), plain.SearchTask("r", query, 1)); !errors.Is(err, crawler.ErrLayoutChanged) {
		t.Fatalf("plain HTTP on the JavaScript page: %v, want a layout change (no cards in the HTML)", err)
	}
}
