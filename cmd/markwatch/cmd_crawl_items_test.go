package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/markwatch/markwatch"
)

// searchPage is a search page of n cards whose item links point at itemBase.
func searchPage(n int, itemBase string) string {
	var b strings.Builder
	b.WriteString("<html><body><ul>")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `<li class="card" data-id="sku%d"><a href="%s/item/%d.html">耐克 鞋 %d</a><span class="price">¥%d</span></li>`, i, itemBase, i, i, 100+i)
	}
	b.WriteString("</ul></body></html>")
	return b.String()
}

// itemAdapter writes an adapter whose search pages live on searchHost and
// item pages on itemHost (host names without ports).
func itemAdapter(t *testing.T, base string, domains ...string) string {
	t.Helper()
	yaml := fmt.Sprintf(`name: twohosts
base_url: %s
allowed_domains: [%s]
rate: {requests_per_second: 1000, burst: 100}
search: {url: "/search?q={query}", max_pages: 1}
listing:
  item: li.card
  fields:
    id: {attr: data-id}
    title: {selector: a}
    url: {selector: a, attr: href}
    price: {selector: .price}
item:
  follow: true
  fields:
    seller: {selector: .seller}
`, base, strings.Join(domains, ", "))
	path := filepath.Join(t.TempDir(), "twohosts.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func readListings(t *testing.T, out *bytes.Buffer) []markwatch.Listing {
	t.Helper()
	var ls []markwatch.Listing
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var l markwatch.Listing
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		ls = append(ls, l)
	}
	return ls
}

// The item host refuses connections: every card is still printed, marked
// with why its item page was not read, the host is named once, and the
// exit status is 6 (items not read), not 5 (cards lost with a search page).
func TestCrawlKeepsCardsWhenTheItemHostRefusesConnections(t *testing.T) {
	const cards = 12
	itemBase := "http://" + closedPort(t)
	search := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/search" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, searchPage(cards, itemBase))
	}))
	defer search.Close()
	adapter := itemAdapter(t, search.URL, "127.0.0.1")

	var out, logs bytes.Buffer
	g := &Globals{LogLevel: "warn", stdout: &out, stderr: &logs}
	err := (&CrawlCmd{Site: adapter, Query: []string{"耐克"}}).Run(g)
	var coded interface{ ExitCode() int }
	if !errors.As(err, &coded) || coded.ExitCode() != crawlExitItemsNotRead {
		t.Fatalf("err %v, want exit status %d", err, crawlExitItemsNotRead)
	}
	if !strings.Contains(err.Error(), strings.TrimPrefix(itemBase, "http://")) {
		t.Errorf("error %q does not name the unreachable host", err)
	}
	ls := readListings(t, &out)
	if len(ls) != cards {
		t.Fatalf("printed %d listings, want all %d cards", len(ls), cards)
	}
	seen := map[string]bool{}
	for _, l := range ls {
		seen[l.ID] = true
		if !strings.HasPrefix(l.ItemPage, "failed: ") || l.Title == "" || l.Price == nil {
			t.Errorf("card %s: item_page %q title %q price %v: want the card, marked failed", l.ID, l.ItemPage, l.Title, l.Price)
		}
	}
	if len(seen) != cards {
		t.Fatalf("%d distinct cards, want %d", len(seen), cards)
	}
	if n := strings.Count(logs.String(), "cannot reach host"); n != 1 {
		t.Errorf("the unreachable host was reported %d times, want once:\n%s", n, logs.String())
	}
}

// With --mirror, search pages and item pages come from two loopback
// servers standing in for two hosts of the site; the output keeps the
// site's own URLs, and the item pages' fields are merged into the cards.
// --no-follow reads the search page alone.
func TestCrawlMirrorsSearchAndItemHosts(t *testing.T) {
	const cards = 5
	var itemHits atomic.Int32
	items := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int
		if _, err := fmt.Sscanf(r.URL.Path, "/item/%d.html", &n); err != nil {
			http.NotFound(w, r) // robots.txt too: allowed
			return
		}
		itemHits.Add(1)
		if n == 3 {
			http.Error(w, "gone", http.StatusGone)
			return
		}
		fmt.Fprintf(w, `<html><body><div class="seller">店铺%d</div></body></html>`, n)
	}))
	defer items.Close()
	search := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/search" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, searchPage(cards, "https://item.example.test"))
	}))
	defer search.Close()
	adapter := itemAdapter(t, "https://search.example.test", "search.example.test", "item.example.test")

	g, out, _ := crawlGlobals()
	c := &CrawlCmd{Site: adapter, Query: []string{"耐克"},
		Mirror: []string{"search.example.test=" + search.URL, "item.example.test=" + items.URL}}
	err := c.Run(g)
	var coded interface{ ExitCode() int }
	if !errors.As(err, &coded) || coded.ExitCode() != crawlExitItemsNotRead {
		t.Fatalf("err %v, want exit status %d (item 3 is gone)", err, crawlExitItemsNotRead)
	}
	ls := readListings(t, out)
	if len(ls) != cards {
		t.Fatalf("printed %d listings, want %d", len(ls), cards)
	}
	for _, l := range ls {
		if !strings.HasPrefix(l.URL, "https://item.example.test/item/") {
			t.Errorf("listing URL %q, want the site's own URL", l.URL)
		}
		if l.ID == "sku3" {
			if !strings.HasPrefix(l.ItemPage, "gone: ") || l.Seller != "" {
				t.Errorf("gone item: %+v", l)
			}
			continue
		}
		if want := "店铺" + strings.TrimPrefix(l.ID, "sku"); l.Seller != want || l.ItemPage != "" {
			t.Errorf("listing %s: seller %q item_page %q, want %q from its item page", l.ID, l.Seller, l.ItemPage, want)
		}
	}
	if itemHits.Load() != cards {
		t.Fatalf("item server saw %d item requests, want %d", itemHits.Load(), cards)
	}

	// "*" maps every host onto one mirror; --no-follow fetches no item page.
	itemHits.Store(0)
	g, out, _ = crawlGlobals()
	c = &CrawlCmd{Site: adapter, Query: []string{"耐克"}, Mirror: []string{"*=" + search.URL}, NoFollow: true}
	if err := c.Run(g); err != nil {
		t.Fatal(err)
	}
	if ls := readListings(t, out); len(ls) != cards || ls[0].ItemPage != "" || itemHits.Load() != 0 {
		t.Fatalf("--no-follow: %d listings (want %d), item requests %d", len(ls), cards, itemHits.Load())
	}
}
