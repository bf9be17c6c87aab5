package crawler

import (
	"bytes"
	"net/url"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/markwatch/markwatch/config"
)

// FuzzAdapter feeds arbitrary bytes to the shipped adapters (HTML, GBK
// table and JSON) and a hand-written one, as search and as item pages,
// through decoding, extraction and the sites-check report. Nothing may
// panic, and what comes out must be well formed. The seed corpus in
// testdata/fuzz/FuzzAdapter holds real fake-marketplace pages, so plain
// `go test` runs them.
func FuzzAdapter(f *testing.F) {
	cfg, err := config.Load("")
	if err != nil {
		f.Fatal(err)
	}
	shipped, err := LoadSites(cfg.SitesLocation())
	if err != nil {
		f.Fatal(err)
	}
	sites := []*Site{shipped["fakemart"], shipped["fakegbk"], shipped["fakeapi"], mustSite(f, "https://s.example.com", shopYAML)}
	for _, s := range sites {
		if s == nil {
			f.Fatal("a shipped fake-site adapter is missing")
		}
	}
	f.Add([]byte(shopPage(1, 3)), uint8(3))
	f.Add([]byte(shopPage(0, 0)), uint8(3))
	f.Add([]byte(`{"data":{"items":[{"itemId":"A1","title":"x","priceText":"¥1","shop":{"shopName":"s"}}],"noResult":false}}`), uint8(2))
	f.Add([]byte(`{"data":{"items":[{"itemId":[1,{"a":null}],"title":{"x":1}}]}}`), uint8(2))
	f.Add([]byte("<table id=goodslist><tr class=item><td class=chk><input name=gid value=1><td class=price>￥1,2"), uint8(1))
	f.Add([]byte("<li class=goods-card data-sku=1><div class=goods-price><strong>¥99-1.2万"), uint8(0))
	f.Add([]byte("\xff\xfe<\x00h\x00"), uint8(4))

	page, _ := url.Parse("https://s.example.com/a/search?q=x")
	f.Fuzz(func(t *testing.T, body []byte, mode uint8) {
		site := sites[int(mode)%len(sites)]
		item := mode&0x80 != 0
		text, _, _ := decodeBody(body, "text/html", site.Encoding)
		var ex *Extraction
		if item {
			if site.Item == nil {
				return
			}
			ex = site.ExtractItem(text, page)
		} else {
			ex = site.ExtractSearch(text, page)
		}
		if len(ex.Listings) > ex.Cards && !item {
			t.Fatalf("%d listings from %d cards", len(ex.Listings), ex.Cards)
		}
		for _, l := range ex.Listings {
			if !item && l.ID == "" {
				t.Fatal("listing without an id")
			}
			for _, u := range []string{l.URL, l.Image} {
				if u == "" {
					continue
				}
				if pu, err := url.Parse(u); err != nil || !pu.IsAbs() {
					t.Fatalf("URL %q is not absolute", u)
				}
			}
			for _, s := range []string{l.Title, l.Seller, l.ShipFrom, l.Description, l.Category} {
				if !utf8.ValidString(s) || s != strings.TrimSpace(s) {
					t.Fatalf("field %q not clean UTF-8", s)
				}
			}
			if l.Price != nil && (*l.Price < 0 || *l.Price != *l.Price) {
				t.Fatalf("price %v", *l.Price)
			}
		}
		var b strings.Builder
		site.Check(body, item, "").Write(&b)
		if _, ok := ParsePrice(string(body)); ok {
			_ = ok // ParsePrice on arbitrary text must not panic either
		}
	})
}

// FuzzRobots: any robots.txt parses, and any path gets an answer; a rule
// file that disallows nothing allows everything.
func FuzzRobots(f *testing.F) {
	if body, err := os.ReadFile("testdata/robots/1688.com.txt"); err == nil {
		f.Add(body, "/chanpin/--0nike.html?x=1")
	}
	f.Add([]byte("User-agent: *\nDisallow: /*.json$\nAllow: /a*b*c$\n"), "/a/b/c.json")
	f.Add([]byte("user-agent:markwatch\r\ndisallow:/%E6%90%9C\rallow:/"), "/搜索")
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		r := ParseRobots(body)
		u, err := url.Parse(path)
		if err != nil {
			return
		}
		allowed := r.Allowed(ourUA, u)
		lower := bytes.ToLower(body)
		// Disallow and its misspellings all start "dis" or "dia".
		if !bytes.Contains(lower, []byte("dis")) && !bytes.Contains(lower, []byte("dia")) && !allowed {
			t.Fatalf("no Disallow line, yet %q is disallowed", path)
		}
		r.CrawlDelay(ourUA)
	})
}
