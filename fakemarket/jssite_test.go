package fakemarket

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The JavaScript site's listings are a slice of their own: the other
// sites' listings are the same with or without it, and from one recipe
// cycle up every class is on it.
func TestJSListingsAreTheirOwnSlice(t *testing.T) {
	plain := Generate(7, WithListings(400))
	withJS := Generate(7, WithListings(400), WithJSListings(RecipesPerCycle()))
	if !reflect.DeepEqual(plain.Listings(), withJS.Listings()[:400]) {
		t.Fatal("adding JavaScript listings changed the other sites' listings")
	}
	js := withJS.SiteListings(SiteJS)
	if len(js) != RecipesPerCycle() || len(plain.SiteListings(SiteJS)) != 0 {
		t.Fatalf("%d JavaScript listings, want %d (and none without the option)", len(js), RecipesPerCycle())
	}
	classes := map[string]bool{}
	for _, l := range js {
		classes[l.Truth.Class] = true
		if !strings.HasPrefix(l.ID, "J") || l.URL != "/js/item/"+l.ID || l.Image != "/js/img/"+l.ID+".jpg" {
			t.Fatalf("listing %+v: not a JavaScript site listing", l.Listing)
		}
	}
	for _, c := range Classes() {
		if !classes[c] {
			t.Errorf("class %s is not on the JavaScript site", c)
		}
	}
}

// The search page's HTML holds no listing; its JSON endpoint holds the
// page's results in catalogue order, and the item endpoint the full
// listing.
func TestJSSiteServesShellsAndJSON(t *testing.T) {
	cat := Generate(1, WithListings(60), WithJSListings(200))
	_, sites := testSites(t, cat, Options{})
	want := cat.Search(SiteJS, "百货")
	if len(want) <= PageSize {
		t.Fatalf("%d results: want two pages", len(want))
	}
	_, shell := get(t, sites.JS+"/js/search?q="+url.QueryEscape("百货"))
	for _, l := range want {
		if bytes.Contains(shell, []byte(l.ID)) || bytes.Contains(shell, []byte(l.Title)) {
			t.Fatalf("the HTML shell shows listing %s", l.ID)
		}
	}
	var got []string
	for p := 1; p <= 2; p++ {
		resp, body := get(t, sites.JS+"/js/api/search?q="+url.QueryEscape("百货")+"&p="+strconv.Itoa(p))
		var page struct {
			Results []jsItem
			Page    int
			Pages   int
			Total   int
		}
		if err := json.Unmarshal(body, &page); err != nil || resp.StatusCode != 200 || page.Pages != 2 || page.Total != len(want) {
			t.Fatalf("page %d: %d %+v %v", p, resp.StatusCode, page, err)
		}
		for _, it := range page.Results {
			got = append(got, it.SKU)
		}
	}
	var ids []string
	for _, l := range want {
		ids = append(ids, l.ID)
	}
	if !slices.Equal(got, ids) {
		t.Fatalf("results %v, want %v", got, ids)
	}
	l := want[0]
	_, body := get(t, sites.JS+"/js/api/item?id="+l.ID)
	var it jsItem
	if err := json.Unmarshal(body, &it); err != nil || it.Name != l.Title || it.Desc != l.Description || it.Path != l.Category || it.Shop != l.Seller {
		t.Fatalf("item %s: %+v %v", l.ID, it, err)
	}
	if resp, _ := get(t, sites.JS+"/js/item/"+l.ID); resp.StatusCode != 200 {
		t.Fatalf("item shell: %d", resp.StatusCode)
	}
	if resp, _ := get(t, sites.JS+"/js/item/M000001"); resp.StatusCode != 404 {
		t.Fatalf("another site's id on the JavaScript site: %d, want 404", resp.StatusCode)
	}
	if _, robots := get(t, sites.JS+"/robots.txt"); !bytes.Contains(robots, []byte("Disallow: /js/private/")) || bytes.Contains(robots, []byte("/mart/")) {
		t.Fatalf("robots.txt of the JavaScript site:\n%s", robots)
	}
}
