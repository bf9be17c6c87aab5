package crawler_test

import (
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/crawler"
)

// imageHosts lists the hosts of the listings' photos that site refuses
// (not in its allowed_domains), with a count each.
func refusedImageHosts(site *crawler.Site, listings []markwatch.Listing) map[string]int {
	out := map[string]int{}
	for _, l := range listings {
		for _, u := range append([]string{l.Image}, l.Images...) {
			if u == "" {
				continue
			}
			p, err := url.Parse(u)
			if err != nil || !site.AllowsHost(p.Hostname()) {
				out[p.Hostname()]++
			}
		}
	}
	return out
}

// Every photo the example adapters read from the saved real pages is on a
// domain the adapter allows (else the images step refuses them all as
// "domain"): the image CDNs are listed.
func TestRealPagesImageCDNsAllowed(t *testing.T) {
	cases := []struct{ adapter, page, base string }{
		{"jd-search", "jd-search-123-2016.html", "https://search.jd.com/Search?keyword=123&enc=utf-8"},
		{"taobao-search-dom", "taobao-search-ipad.html", "https://s.taobao.com/search?q=ipad"},
		{"taobao-search-script", "taobao-search-ipad.html", "https://s.taobao.com/search?q=ipad"},
		{"taobao-search-script", "taobao-search-nvbao.json", "https://s.taobao.com/search?q=%E5%A5%B3%E5%8C%85"},
		{"1688-offers", "1688-offers-shujuxian.html", "https://s.1688.com/selloffer/offer_search.htm"},
		{"aliexpress-item", "aliexpress-item-shein.html", "https://www.aliexpress.com/store/product/x/1159363_32850275270.html"},
	}
	for _, c := range cases {
		t.Run(c.adapter+"/"+c.page, func(t *testing.T) {
			raw := realPage(t, c.page)
			base, _ := url.Parse(c.base)
			site := exampleSite(t, c.adapter)
			ex := site.ExtractSearch(raw, base)
			if c.adapter == "aliexpress-item" {
				ex = site.ExtractItem(raw, base)
			}
			n := 0
			for _, l := range ex.Listings {
				n += len(l.Images)
				if l.Image != "" {
					n++
				}
			}
			if n == 0 {
				t.Fatal("no photo read")
			}
			if bad := refusedImageHosts(site, ex.Listings); len(bad) > 0 {
				t.Errorf("%d photos read; refused hosts: %v", n, bad)
			}
		})
	}
}

var aeBigViewRE = regexp.MustCompile(`(?s)imageBigViewURL=\[(.*?)\]`)
var aeQuotedRE = regexp.MustCompile(`"([^"]+)"`)

// The AliExpress item adapter reads every gallery photo at full size, as
// the page's own script lists them (imageBigViewURL), from the thumbnail
// strip.
func TestRealPageAliExpressItemGallery(t *testing.T) {
	raw := realPage(t, "aliexpress-item-shein.html")
	m := aeBigViewRE.FindSubmatch(raw)
	if m == nil {
		t.Fatal("the test found no imageBigViewURL")
	}
	var want []string
	for _, q := range aeQuotedRE.FindAllStringSubmatch(string(m[1]), -1) {
		want = append(want, q[1])
	}
	if len(want) < 2 {
		t.Fatalf("the test read %d gallery photos", len(want))
	}
	base, _ := url.Parse("https://www.aliexpress.com/store/product/x/1159363_32850275270.html")
	ex := exampleSite(t, "aliexpress-item").ExtractItem(raw, base)
	if len(ex.Listings) != 1 {
		t.Fatalf("%d listings", len(ex.Listings))
	}
	got := ex.Listings[0].Images
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		sort.Strings(got)
		t.Errorf("images:\n got %q\nwant %q", got, want)
	}
}
