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

// The fake marketplace's JavaScript search has no listing in its HTML: the
// plain HTTP fetcher sees a layout change; fetch: browser renders it in
// headless Chromium and extracts every listing of the page, with a
// full-page screenshot kept with the page.
func TestBrowserFetchRendersJavaScriptListings(t *testing.T) {
	chromium := needChromium(t)
	srv := fakemarket.New(fakemarket.Generate(1, fakemarket.WithListings(90)), fakemarket.Options{})
	urls, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	site, err := crawler.LoadSite(config.Dir(filepath.Join("..", "configs", "sites", "examples", "fakejs.yaml")), "")
	if err != nil {
		t.Fatal(err)
	}
	if site, err = site.Rebase(urls.Mart); err != nil {
		t.Fatal(err)
	}
	const query = "耐克"
	want := srv.Catalogue().Search(fakemarket.SiteMart, query)
	if len(want) == 0 {
		t.Fatal("the catalogue has no listing for the query")
	}
	b := browser.New(browser.Options{ExecPath: chromium, Tabs: 2})
	defer b.Close()
	c := crawler.New(config.Crawl{}, map[string]*crawler.Site{site.Name: site}, crawler.WithBrowser(b))
	task := site.SearchTask("r", query, 1)
	ex, err := c.Crawl(context.Background(), task)
	if err != nil {
		t.Fatal(err)
	}
	n := min(len(want), fakemarket.PageSize)
	if len(ex.Listings) != n {
		t.Fatalf("%d listings rendered, want %d", len(ex.Listings), n)
	}
	for i, l := range ex.Listings {
		w := want[i]
		if l.ID != w.ID || l.Title != w.Title || l.Seller != w.Seller || l.ShipFrom != w.ShipFrom ||
			l.Price == nil || w.Price == nil || *l.Price != *w.Price || l.URL != urls.Mart+w.URL {
			t.Fatalf("listing %d: got %+v, want %+v", i, l, w.Listing)
		}
	}
	if !bytes.HasPrefix(ex.Page.Screenshot, []byte("\x89PNG\r\n\x1a\n")) || !bytes.Contains(ex.Page.Body, []byte(`class="js-card"`)) {
		t.Fatalf("page: screenshot %d bytes, rendered body has cards: %v", len(ex.Page.Screenshot), bytes.Contains(ex.Page.Body, []byte(`class="js-card"`)))
	}
	if len(want) > fakemarket.PageSize && (len(ex.Follow) != 1 || !strings.Contains(ex.Follow[0].URL, "p=2")) {
		t.Fatalf("next page not followed: %+v", ex.Follow)
	}

	// The same adapter over plain HTTP sees the empty shell.
	raw, _ := os.ReadFile(filepath.Join("..", "configs", "sites", "examples", "fakejs.yaml"))
	plainYAML := regexp.MustCompile(`(?s)fetch: browser\nbrowser:\n.*?timeout: 20s\n`).ReplaceAllString(string(raw), "fetch: http\n")
	plain, err := crawler.ParseSite("plain.yaml", []byte(plainYAML))
	if err != nil {
		t.Fatal(err)
	}
	if plain, err = plain.Rebase(urls.Mart); err != nil {
		t.Fatal(err)
	}
	hc := crawler.New(config.Crawl{}, map[string]*crawler.Site{plain.Name: plain})
	if _, err := hc.Crawl(context.Background(), plain.SearchTask("r", query, 1)); !errors.Is(err, crawler.ErrLayoutChanged) {
		t.Fatalf("plain HTTP on the JavaScript page: %v, want a layout change (no cards in the HTML)", err)
	}
}
