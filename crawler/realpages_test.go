package crawler_test

import (
	"encoding/json"
	"html"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/crawler"
)

// The shipped example adapters (configs/sites/examples) read pages that
// real marketplaces served, saved by other people in their own
// repositories. Those pages are third-party data: they live beside the
// repository (../shared/fixtures/real-pages from its root) and are never
// copied into it. Each test reads the page a second way, with plain
// regular expressions or encoding/json, and compares every listing and
// every field the page has.

// realPage reads a saved page, or skips the test when the folder is absent.
func realPage(t *testing.T, name string) []byte {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "fixtures", "real-pages")
	b, err := os.ReadFile(filepath.Join(dir, name))
	if os.IsNotExist(err) {
		t.Skipf("saved marketplace pages not found at %s (third-party data kept outside the repository): %v", dir, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func exampleSite(t *testing.T, name string) *crawler.Site {
	t.Helper()
	s, err := crawler.LoadSite(config.Dir(filepath.Join("..", "configs", "sites", "examples", name+".yaml")), "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// want is a listing as the test read it from the page.
type want struct {
	id, title, url, seller, shipFrom, image, currency string
	price                                             float64
	ad                                                bool
}

var (
	tagRE   = regexp.MustCompile(`<[^>]*>`)
	spaceRE = regexp.MustCompile(`[\s\x{3000}]+`)
)

// text is the visible text of an HTML fragment, white space collapsed.
func text(fragment string) string {
	return strings.TrimSpace(spaceRE.ReplaceAllString(html.UnescapeString(tagRE.ReplaceAllString(fragment, "")), " "))
}

func abs(base *url.URL, ref string) string {
	r, err := url.Parse(html.UnescapeString(ref))
	if err != nil {
		return ""
	}
	return base.ResolveReference(r).String()
}

// dedupeWants keeps one listing per id, at its first organic card (the
// first card when all are ads), noting whether any was an ad.
func dedupeWants(cards []want) []want {
	var out []want
	index := map[string]int{}
	organic := map[string]bool{}
	for _, c := range cards {
		i, seen := index[c.id]
		if !seen {
			index[c.id] = len(out)
			organic[c.id] = !c.ad
			out = append(out, c)
			continue
		}
		anyAd := out[i].ad || c.ad
		if !organic[c.id] && !c.ad {
			// The organic card takes the listing's place in page order.
			out = slices.Delete(out, i, i+1)
			for id, j := range index {
				if j > i {
					index[id] = j - 1
				}
			}
			index[c.id] = len(out)
			organic[c.id] = true
			out = append(out, c)
			i = len(out) - 1
		}
		out[i].ad = anyAd
	}
	return out
}

func compareListings(t *testing.T, got []markwatch.Listing, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		t.Errorf("%d listings, want %d", len(got), len(wants))
	}
	ids := map[string]bool{}
	for i := range min(len(got), len(wants)) {
		g, w := got[i], wants[i]
		if ids[g.ID] {
			t.Errorf("listing %s twice", g.ID)
		}
		ids[g.ID] = true
		price, cur := 0.0, ""
		if g.Price != nil {
			price, cur = *g.Price, g.Currency
		}
		check := func(field, got, want string) {
			if got != want {
				t.Errorf("listing %d (%s) %s = %q, want %q", i, w.id, field, got, want)
			}
		}
		check("id", g.ID, w.id)
		check("title", g.Title, w.title)
		check("url", g.URL, w.url)
		check("seller", g.Seller, w.seller)
		check("ship_from", g.ShipFrom, w.shipFrom)
		check("image", g.Image, w.image)
		check("currency", cur, w.currency)
		if price != w.price {
			t.Errorf("listing %d (%s) price = %v, want %v", i, w.id, price, w.price)
		}
		if g.Ad != w.ad {
			t.Errorf("listing %d (%s) ad = %v, want %v", i, w.id, g.Ad, w.ad)
		}
	}
}

var (
	jdCardRE   = regexp.MustCompile(`<li data-sku="(\d+)"`)
	jdNameRE   = regexp.MustCompile(`(?s)<div class="p-name[^"]*">\s*<a[^>]*?href="([^"]*)"[^>]*>\s*<em>(.*?)</em>`)
	jdPriceRE  = regexp.MustCompile(`<strong class="J_\d+"[^>]*><em>[¥￥]</em><i>([\d.]+)</i>`)
	jdShopRE   = regexp.MustCompile(`(?s)<div class="p-shop".*?<a[^>]*title="([^"]*)"`)
	jdImgRE    = regexp.MustCompile(`(?s)<div class="p-img">.*?<img([^>]*)>`)
	attrRE     = regexp.MustCompile(`([\w-]+)="([^"]*)"`)
	savedURLRE = regexp.MustCompile(`<!-- saved from url=\(\d+\)(\S+) -->`)
)

// jdWants reads a JD search page with regular expressions.
func jdWants(t *testing.T, page string, base *url.URL) []want {
	t.Helper()
	starts := jdCardRE.FindAllStringSubmatchIndex(page, -1)
	var cards []want
	for i, m := range starts {
		end := len(page)
		if i+1 < len(starts) {
			end = starts[i+1][0]
		}
		card := page[m[0]:end]
		w := want{id: page[m[2]:m[3]], currency: "CNY"}
		if n := jdNameRE.FindStringSubmatch(card); n != nil {
			w.url, w.title = abs(base, n[1]), text(n[2])
		}
		if p := jdPriceRE.FindStringSubmatch(card); p != nil {
			w.price, _ = strconv.ParseFloat(p[1], 64)
		}
		if s := jdShopRE.FindStringSubmatch(card); s != nil {
			w.seller = html.UnescapeString(s[1])
		}
		if img := jdImgRE.FindStringSubmatch(card); img != nil {
			attrs := map[string]string{}
			for _, a := range attrRE.FindAllStringSubmatch(img[1], -1) {
				attrs[a[1]] = a[2]
			}
			ref := attrs["src"]
			if ref == "" && attrs["data-lazy-img"] != "done" {
				ref = attrs["data-lazy-img"]
			}
			if ref != "" {
				w.image = abs(base, ref)
			}
		}
		w.ad = strings.Contains(card, `class="p-promo-flag"`)
		if w.title == "" || w.price == 0 || w.url == "" {
			t.Fatalf("card %d (%s): the test could not read it: %+v", i, w.id, w)
		}
		cards = append(cards, w)
	}
	return dedupeWants(cards)
}

func TestRealPageJDSearch2024(t *testing.T) {
	raw := realPage(t, "jd-search-shouji.html")
	m := savedURLRE.FindSubmatch(raw)
	if m == nil {
		t.Fatal("no saved-from URL in the page")
	}
	base, _ := url.Parse(string(m[1]))
	wants := jdWants(t, string(raw), base)
	if len(wants) != 54 { // 60 cards, 6 repeated by ad slots
		t.Fatalf("the test read %d distinct listings, want 54", len(wants))
	}
	ex := exampleSite(t, "jd-search").ExtractSearch(raw, base)
	if ex.Cards != 60 || ex.Duplicates != 6 {
		t.Errorf("cards %d duplicates %d, want 60 and 6", ex.Cards, ex.Duplicates)
	}
	compareListings(t, ex.Listings, wants)
	// Images: 36 cards show theirs in src, 24 only in data-lazy-img.
	if ex.Found("image") != 60 {
		t.Errorf("image found on %d of 60 cards", ex.Found("image"))
	}
}

func TestRealPageJDSearch2016(t *testing.T) {
	raw := realPage(t, "jd-search-123-2016.html")
	base, _ := url.Parse("https://search.jd.com/Search?keyword=123&enc=utf-8")
	wants := jdWants(t, string(raw), base)
	if len(wants) != 60 {
		t.Fatalf("the test read %d listings, want 60", len(wants))
	}
	ex := exampleSite(t, "jd-search").ExtractSearch(raw, base)
	compareListings(t, ex.Listings, wants)
	if ex.Missing["seller"] != 60 {
		t.Errorf("shop names are not in this server response, yet seller was found on %d cards", 60-ex.Missing["seller"])
	}
}

// taobaoJSON is the part of g_page_config the test reads.
type taobaoJSON struct {
	Mods struct {
		Itemlist struct {
			Data struct {
				Auctions []struct {
					Nid        string `json:"nid"`
					Title      string `json:"title"`
					DetailURL  string `json:"detail_url"`
					ViewPrice  string `json:"view_price"`
					Nick       string `json:"nick"`
					ItemLoc    string `json:"item_loc"`
					PicURL     string `json:"pic_url"`
					P4P        int    `json:"p4p"`
					Activity   any    `json:"activity"`
					RawTitle   string `json:"raw_title"`
					ViewSales  string `json:"view_sales"`
					CommentURL string `json:"comment_url"`
				} `json:"auctions"`
			} `json:"data"`
		} `json:"itemlist"`
	} `json:"mods"`
}

func taobaoWants(t *testing.T, doc []byte, base *url.URL) []want {
	t.Helper()
	var cfg taobaoJSON
	if err := json.Unmarshal(doc, &cfg); err != nil {
		t.Fatalf("the test could not decode g_page_config: %v", err)
	}
	var out []want
	for _, a := range cfg.Mods.Itemlist.Data.Auctions {
		if a.Nid == "" {
			continue // a theme placeholder, not an item
		}
		p, err := strconv.ParseFloat(a.ViewPrice, 64)
		if err != nil {
			t.Fatalf("item %s price %q", a.Nid, a.ViewPrice)
		}
		out = append(out, want{id: a.Nid, title: text(a.Title), url: abs(base, a.DetailURL), seller: a.Nick,
			shipFrom: a.ItemLoc, image: abs(base, a.PicURL), price: p, currency: "CNY", ad: a.P4P == 1})
	}
	return out
}

var gPageConfigRE = regexp.MustCompile(`g_page_config = (\{.*\});\s*\n`)

func TestRealPageTaobaoSearch(t *testing.T) {
	raw := realPage(t, "taobao-search-ipad.html")
	base, _ := url.Parse("https://s.taobao.com/search?q=ipad")
	m := gPageConfigRE.FindSubmatch(raw)
	if m == nil {
		t.Fatal("the test found no g_page_config line")
	}
	wants := taobaoWants(t, m[1], base)
	if len(wants) != 36 {
		t.Fatalf("the test read %d auctions, want 36", len(wants))
	}
	// The server's JSON and the rendered cards of the same page must give
	// the same listings through their two adapters.
	t.Run("g_page_config", func(t *testing.T) {
		compareListings(t, exampleSite(t, "taobao-search-script").ExtractSearch(raw, base).Listings, wants)
	})
	t.Run("rendered DOM", func(t *testing.T) {
		ex := exampleSite(t, "taobao-search-dom").ExtractSearch(raw, base)
		// The DOM has no ad flag; every other field must agree.
		for i := range wants {
			wants[i].ad = false
		}
		compareListings(t, ex.Listings, wants)
		if n := strings.Count(string(raw), `data-category="auctions"`); ex.Cards != n {
			t.Errorf("%d cards, the page has %d result cards", ex.Cards, n)
		}
	})
}

func TestRealPageTaobaoJSON(t *testing.T) {
	raw := realPage(t, "taobao-search-nvbao.json")
	base, _ := url.Parse("https://s.taobao.com/search?q=%E5%A5%B3%E5%8C%85")
	wants := taobaoWants(t, raw, base)
	if len(wants) != 33 {
		t.Fatalf("the test read %d items, want 33 (36 entries, 3 placeholders)", len(wants))
	}
	ex := exampleSite(t, "taobao-search-script").ExtractSearch(raw, base)
	compareListings(t, ex.Listings, wants)
	ads := 0
	for _, w := range wants {
		if w.ad {
			ads++
		}
	}
	if ads == 0 {
		t.Fatal("the page has paid placements; the test found none")
	}
}

var (
	offerRE      = regexp.MustCompile(`data-aplus-report="object_type@offer\^object_id@(\d+)\^_p_isad@(\d)`)
	offerTitleRE = regexp.MustCompile(`<span class="subject" title="([^"]*)"`)
	offerPriceRE = regexp.MustCompile(`(?s)<div class="price"><span class="price_tag">¥</span><span class="price_num">(.*?)</span>`)
	offerNickRE  = regexp.MustCompile(`data-nick="([^"]*)"`)
	offerImgRE   = regexp.MustCompile(`<div class="mainPic"><img src="([^"]*)"`)
	commentRE    = regexp.MustCompile(`<!--.*?-->`)
)

func TestRealPage1688Offers(t *testing.T) {
	raw := realPage(t, "1688-offers-shujuxian.html")
	page := string(raw)
	base, _ := url.Parse("https://s.1688.com/selloffer/offer_search.htm")
	starts := offerRE.FindAllStringSubmatchIndex(page, -1)
	var wants []want
	for i, m := range starts {
		end := len(page)
		if i+1 < len(starts) {
			end = starts[i+1][0]
		}
		card := page[m[0]:end]
		id := page[m[2]:m[3]]
		w := want{id: id, url: "https://detail.1688.com/offer/" + id + ".html", currency: "CNY", ad: page[m[4]:m[5]] == "1"}
		if s := offerTitleRE.FindStringSubmatch(card); s != nil {
			w.title = text(s[1])
		}
		if p := offerPriceRE.FindStringSubmatch(card); p != nil {
			w.price, _ = strconv.ParseFloat(commentRE.ReplaceAllString(p[1], ""), 64)
		}
		if n := offerNickRE.FindStringSubmatch(card); n != nil {
			w.seller, _ = url.QueryUnescape(n[1])
		}
		if img := offerImgRE.FindStringSubmatch(card); img != nil {
			w.image = abs(base, img[1])
		}
		if w.title == "" || w.price == 0 || w.seller == "" || strings.Contains(w.seller, "%") {
			t.Fatalf("offer %s: the test could not read it: %+v", id, w)
		}
		wants = append(wants, w)
	}
	if len(wants) != 20 {
		t.Fatalf("the test read %d offers, want 20", len(wants))
	}
	compareListings(t, exampleSite(t, "1688-offers").ExtractSearch(raw, base).Listings, wants)
}

var (
	aeTitleRE  = regexp.MustCompile(`<h1 class="product-name" itemprop="name">([^<]*)</h1>`)
	aePriceRE  = regexp.MustCompile(`itemprop="priceCurrency" content="(\w+)">[^<]*</span><span id="j-sku-discount-price"[^>]*>([\d.]+)<`)
	aeShopRE   = regexp.MustCompile(`<span class="shop-name"><i>Store:</i><a[^>]*>([^<]*)</a>`)
	aeOGRE     = regexp.MustCompile(`<meta property="og:(url|image)" content="([^"]*)"`)
	aeIDFromRE = regexp.MustCompile(`_(\d+)\.html`)
)

func TestRealPageAliExpressItem(t *testing.T) {
	raw := realPage(t, "aliexpress-item-shein.html")
	page := string(raw)
	base, _ := url.Parse("https://www.aliexpress.com/store/product/x/1159363_32850275270.html")
	w := want{}
	if m := aeTitleRE.FindStringSubmatch(page); m != nil {
		w.title = text(m[1])
	}
	if m := aePriceRE.FindStringSubmatch(page); m != nil {
		w.currency = m[1]
		w.price, _ = strconv.ParseFloat(m[2], 64)
	}
	if m := aeShopRE.FindStringSubmatch(page); m != nil {
		w.seller = text(m[1])
	}
	for _, m := range aeOGRE.FindAllStringSubmatch(page, -1) {
		if m[1] == "url" {
			w.url = abs(base, m[2])
			w.id = aeIDFromRE.FindStringSubmatch(m[2])[1]
		} else {
			w.image = abs(base, m[2])
		}
	}
	if w.title == "" || w.currency != "USD" || w.price == 0 || w.seller == "" || w.url == "" || w.image == "" {
		t.Fatalf("the test could not read the page: %+v", w)
	}
	ex := exampleSite(t, "aliexpress-item").ExtractItem(raw, base)
	compareListings(t, ex.Listings, []want{w})
}
