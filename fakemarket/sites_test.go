package fakemarket

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/text/encoding/simplifiedchinese"
)

func decodeGBK(t *testing.T, body []byte) []byte {
	t.Helper()
	out, err := simplifiedchinese.GBK.NewDecoder().Bytes(body)
	if err != nil {
		t.Fatalf("not GBK: %v", err)
	}
	return out
}

// The GBK site is really GBK: the raw bytes are not UTF-8, decode as GBK to
// the right text, and declare the charset where doc.go says.
func TestGBKEncoding(t *testing.T) {
	_, sites := testSites(t, testCat, Options{})
	resp, raw := get(t, sites.GBK+"/gbk/search.php?kw="+gbkEscape("苹果"))
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=GBK" {
		t.Errorf("search Content-Type %q", ct)
	}
	if utf8.Valid(raw) {
		t.Error("GBK search page is valid UTF-8")
	}
	if bytes.Contains(raw, []byte("苹果")) {
		t.Error("GBK page contains UTF-8 苹果")
	}
	page := decodeGBK(t, raw)
	if !bytes.Contains(page, []byte(`<meta http-equiv="Content-Type" content="text/html; charset=gbk">`)) || !bytes.Contains(page, []byte("苹果")) {
		t.Error("decoded GBK page lacks the meta charset or the query")
	}
	// The same query sent as UTF-8 gives the same page.
	_, raw2 := get(t, sites.GBK+"/gbk/search.php?kw="+url.QueryEscape("苹果"))
	if !bytes.Equal(raw, raw2) {
		t.Error("kw in UTF-8 and in GBK give different pages")
	}
	// Item pages: charset only in <meta>; a zero-width character becomes a
	// character reference.
	var zw *Listing
	for _, l := range testCat.SiteListings(SiteGBK) {
		if strings.ContainsAny(l.Title, zwsp+zwj+wj) {
			zw = &l
			break
		}
	}
	if zw == nil {
		t.Fatal("no zero-width listing on the gbk site")
	}
	resp, raw = get(t, sites.GBK+zw.URL)
	if ct := resp.Header.Get("Content-Type"); ct != "text/html" {
		t.Errorf("item Content-Type %q", ct)
	}
	doc := parse(t, decodeGBK(t, raw))
	if got := doc.Find("td.g-title").Text(); got != zw.Title {
		t.Errorf("zero-width title %q, want %q", got, zw.Title)
	}
}

// Walking every default query on the GBK site through its (relative,
// GBK-encoded) next links gives the catalogue's results with every field.
func TestGBKSearchAndItems(t *testing.T) {
	_, sites := testSites(t, testCat, Options{})
	items := 0
	for _, q := range testCat.Queries() {
		var got []string
		next := sites.GBK + "/gbk/search.php?kw=" + url.QueryEscape(q) + "&page=1"
		for next != "" {
			_, raw := get(t, next)
			doc := parse(t, decodeGBK(t, raw))
			pageURL, _ := url.Parse(next)
			doc.Find("table#goodslist tr.item").Each(func(_ int, row *goquery.Selection) {
				id, _ := row.Find("td.chk input[name=gid]").Attr("value")
				got = append(got, id)
				l, ok := testCat.Listing(id)
				if !ok {
					t.Fatalf("row id %q", id)
				}
				title, _ := row.Find("td.name a.title").Attr("title")
				href, _ := row.Find("td.name a.title").Attr("href")
				img, _ := row.Find("td.pic img").Attr("src")
				ref, _ := url.Parse(href)
				if title != l.Title || pageURL.ResolveReference(ref).RequestURI() != l.URL || img != l.Image {
					t.Errorf("%s: row %q %q %q", id, title, href, img)
				}
				if p := parseCardPrice(t, row.Find("td.price").Text()); p != *l.Price {
					t.Errorf("%s: price %q", id, row.Find("td.price").Text())
				}
				if row.Find("td.shop a").Text() != l.Seller || row.Find("td.area").Text() != l.ShipFrom {
					t.Errorf("%s: shop %q area %q", id, row.Find("td.shop a").Text(), row.Find("td.area").Text())
				}
				if items < 40 {
					items++
					_, raw := get(t, pageURL.ResolveReference(ref).String())
					item := parse(t, decodeGBK(t, raw))
					idv, _ := item.Find("input#goods_id").Attr("value")
					imgv, _ := item.Find("img.g-img").Attr("src")
					for name, f := range map[string][2]string{
						"id": {idv, l.ID}, "title": {item.Find("td.g-title").Text(), l.Title},
						"seller": {item.Find("td.g-shop a").Text(), l.Seller}, "ship_from": {item.Find("td.g-area").Text(), l.ShipFrom},
						"category": {item.Find("td.g-cat").Text(), l.Category}, "description": {item.Find("div.g-desc").Text(), l.Description},
						"image": {imgv, l.Image},
					} {
						if f[0] != f[1] {
							t.Errorf("%s item %s: %q, want %q", id, name, f[0], f[1])
						}
					}
					if p := parseCardPrice(t, item.Find("td.g-price").Text()); p != *l.Price {
						t.Errorf("%s item price %q", id, item.Find("td.g-price").Text())
					}
				}
			})
			next = ""
			if a := doc.Find("div.pagebar a.next"); a.Length() == 1 {
				href, _ := a.Attr("href")
				ref, err := url.Parse(href)
				if err != nil {
					t.Fatal(err)
				}
				next = pageURL.ResolveReference(ref).String()
			} else if doc.Find("tr.item").Length() == 0 && doc.Find("td.noresult").Length() != 1 {
				t.Errorf("%s: neither rows nor the no-results cell", pageURL)
			}
		}
		if strings.Join(got, ",") != strings.Join(ids(testCat.Search(SiteGBK, q)), ",") {
			t.Errorf("gbk query %q: %d listings, want %d", q, len(got), len(testCat.Search(SiteGBK, q)))
		}
	}
	_, raw := get(t, sites.GBK+"/gbk/search.php?kw=zzzz")
	if doc := parse(t, decodeGBK(t, raw)); doc.Find("table#goodslist td.noresult").Length() != 1 || doc.Find("tr.item").Length() != 0 {
		t.Error("gbk no-results page lacks td.noresult")
	}
}

type apiSearchReply struct {
	Code int `json:"code"`
	Data struct {
		Page, TotalPages, Total int
		HasMore, NoResult       bool
		Items                   []apiItem `json:"items"`
	} `json:"data"`
}

type apiItemReply struct {
	Code int       `json:"code"`
	Data apiDetail `json:"data"`
}

func getJSON(t *testing.T, u string, v any) int {
	t.Helper()
	resp, body := get(t, u)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("%s: Content-Type %q", u, ct)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("%s: %v", u, err)
	}
	return resp.StatusCode
}

// The JSON API pages through every default query (page counter until an
// empty page) and its items carry the ground truth.
func TestAPISearchAndItems(t *testing.T) {
	_, sites := testSites(t, testCat, Options{})
	items := 0
	for _, q := range testCat.Queries() {
		var got []string
		for page := 1; ; page++ {
			var r apiSearchReply
			getJSON(t, sites.API+"/api/v1/search?keyword="+url.QueryEscape(q)+"&page="+strconv.Itoa(page), &r)
			if r.Data.NoResult != (len(r.Data.Items) == 0) || r.Data.HasMore != (page < r.Data.TotalPages) {
				t.Fatalf("%q page %d: noResult %v with %d items, hasMore %v of %d pages", q, page, r.Data.NoResult, len(r.Data.Items), r.Data.HasMore, r.Data.TotalPages)
			}
			if len(r.Data.Items) == 0 {
				break
			}
			for _, it := range r.Data.Items {
				got = append(got, it.ItemID)
				l, _ := testCat.Listing(it.ItemID)
				if it.Title != l.Title || it.Shop.ShopName != l.Seller || it.Location != l.ShipFrom || it.DetailURL != l.URL ||
					it.PicURL != l.Image || it.PriceFen != fen(*l.Price) || parseCardPrice(t, it.PriceText) != *l.Price {
					t.Errorf("%s: item %+v", it.ItemID, it)
				}
				if items < 40 {
					items++
					var d apiItemReply
					if code := getJSON(t, sites.API+it.DetailURL, &d); code != 200 {
						t.Fatalf("%s: %d", it.DetailURL, code)
					}
					if d.Data.Title != l.Title || d.Data.Desc != l.Description || d.Data.DeliveryFrom != l.ShipFrom ||
						d.Data.Category.Path != l.Category || d.Data.Shop.ShopName != l.Seller || parseCardPrice(t, d.Data.PriceText) != *l.Price {
						t.Errorf("%s: detail %+v", it.ItemID, d.Data)
					}
				}
			}
		}
		if strings.Join(got, ",") != strings.Join(ids(testCat.Search(SiteAPI, q)), ",") {
			t.Errorf("api query %q: %d listings, want %d", q, len(got), len(testCat.Search(SiteAPI, q)))
		}
	}
	var nf apiItemReply
	if code := getJSON(t, sites.API+"/api/v1/item?id=NOPE", &nf); code != 404 || nf.Code != 404 {
		t.Errorf("unknown item: %d %d", code, nf.Code)
	}
}
