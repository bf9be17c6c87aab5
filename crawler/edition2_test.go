package crawler

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

func mustParse(t *testing.T, yaml string) *Site {
	t.Helper()
	s, err := ParseSite("e2.yaml", []byte(yaml))
	if err != nil {
		t.Fatalf("adapter: %v", err)
	}
	return s
}

var pageURL, _ = url.Parse("https://search.example.com/s?q=x")

// Ordered fallbacks with ignored values: src when the card scrolled into
// view, data-lazy-img otherwise; "done", data: URIs and 1×1 placeholders
// are not images.
func TestFieldFallbacksAndIgnore(t *testing.T) {
	s := mustParse(t, `
name: e2
base_url: https://search.example.com
search: {url: "/s?q={query}"}
listing:
  item: li
  fields:
    id: {attr: data-id}
    title: {selector: b}
    image:
      selector: img
      attr: src
      or:
        - {selector: img, attr: data-lazy-img}
        - {selector: img, attr: data-src}
      ignore: [done, "*/grey.gif"]
`)
	page := `<ul>
<li data-id="1"><b>a</b><img src="//img.example.com/1.jpg" data-lazy-img="done"></li>
<li data-id="2"><b>b</b><img data-lazy-img="//img.example.com/2.jpg"></li>
<li data-id="3"><b>c</b><img src="data:image/gif;base64,R0lGOD" data-lazy-img="done" data-src="/3.jpg"></li>
<li data-id="4"><b>d</b><img src="https://x.example.com/img/1x1.gif" data-lazy-img="//img.example.com/4.jpg"></li>
<li data-id="5"><b>e</b><img src="/static/grey.gif" data-lazy-img="DONE"></li>
<li data-id="6"><b>f</b></li>
</ul>`
	ex := s.ExtractSearch([]byte(page), pageURL)
	want := []string{"https://img.example.com/1.jpg", "https://img.example.com/2.jpg", "https://search.example.com/3.jpg", "https://img.example.com/4.jpg", "", ""}
	if len(ex.Listings) != len(want) {
		t.Fatalf("%d listings, want %d", len(ex.Listings), len(want))
	}
	for i, l := range ex.Listings {
		if l.Image != want[i] {
			t.Errorf("card %s: image %q, want %q", l.ID, l.Image, want[i])
		}
	}
	if ex.Found("image") != 4 || ex.Missing["image"] != 1 || ex.Blank["image"] != 1 {
		t.Errorf("image found %d, missing %d, blank %d; want 4, 1, 1", ex.Found("image"), ex.Missing["image"], ex.Blank["image"])
	}
}

func TestTransformSteps(t *testing.T) {
	base, _ := url.Parse("https://s.example.com/a/b")
	re := Step{Name: "regex", Regex: `^(\d+)-(\d+)$`, Replace: "$2/$1"}
	if err := re.compile(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		step Step
		in   string
		want string
	}{
		{Step{Name: "urldecode"}, "%E8%8D%A3%E5%8D%8E+shop", "荣华 shop"},
		{Step{Name: "urldecode"}, "100%", "100%"}, // not an escape: kept
		{Step{Name: "html_text"}, `<span class=H>ipad</span> 苹果 &amp; 平板`, "ipad 苹果 & 平板"},
		{Step{Name: "trim"}, "  x y  ", "x y"},
		{Step{Name: "collapse_space"}, " x \u3000 y\n", "x y"},
		{Step{Name: "json_unescape"}, `\u8010\u514b \/ "ok"`, `耐克 / "ok"`},
		{Step{Name: "url"}, "../c?d=1", "https://s.example.com/c?d=1"},
		{re, "12-34", "34/12"},
	} {
		if got := tc.step.apply(tc.in, base); got != tc.want {
			t.Errorf("%s(%q) = %q, want %q", tc.step.Name, tc.in, got, tc.want)
		}
	}
	// In an adapter: steps in order, then pattern.
	s := mustParse(t, `
name: e2
base_url: https://search.example.com
search: {url: "/s?q={query}"}
listing:
  item: li
  fields:
    id: {attr: data-id}
    title: {attr: data-title, transform: [html_text, collapse_space]}
    seller: {attr: data-nick, transform: [urldecode, {regex: '旗舰店$', replace: ''}]}
    category: {attr: data-cat, transform: [trim], pattern: '^(\w+)/'}
`)
	ex := s.ExtractSearch([]byte(`<li data-id="1" data-title="&lt;span class=H&gt;iPad&lt;/span&gt;   Air" data-nick="%E8%8D%A3%E5%8D%8E%E6%97%97%E8%88%B0%E5%BA%97" data-cat=" tablets/apple"></li>`), pageURL)
	l := ex.Listings[0]
	if l.Title != "iPad Air" || l.Seller != "荣华" || l.Category != "tablets" {
		t.Fatalf("got title %q seller %q category %q", l.Title, l.Seller, l.Category)
	}
}

func TestAdapterValidationOfSecondEdition(t *testing.T) {
	head := "name: e2\nbase_url: https://search.example.com\nsearch: {url: \"/s?q={query}\"}\n"
	for yaml, want := range map[string]string{
		head + "listing: {item: li, fields: {id: {attr: x}, title: {selector: b, transform: [reverse]}}}":                `listing.fields.title.transform[0]: unknown transform step "reverse"`,
		head + "listing: {item: li, fields: {id: {attr: x}, title: {selector: b, transform: [{regex: '('}]}}}":           "bad regular expression",
		head + "listing: {item: li, fields: {id: {attr: x}, title: {selector: b, or: [{selector: i, ignore: [x]}]}}}":    "listing.fields.title.or[0]: or and ignore belong to the field",
		head + "listing: {item: li, script: {pattern: 'x=(\\{)', items: a}, fields: {id: {path: id}, title: {path: t}}}": "listing.item: is not used with listing.script",
		head + "listing: {script: {pattern: 'x=\\{', items: a}, fields: {id: {path: id}, title: {path: t}}}":             "needs exactly one capture group",
		head + "listing: {script: {pattern: 'x=(\\{)', items: a}, fields: {id: {path: id}, title: {selector: b}}}":       "are read by path, not selector",
		head + "currency: dollars\nlisting: {item: li, fields: {id: {attr: x}, title: {selector: b}}}":                   "currency: must be an ISO 4217 code",
		head + "query_encoding: big5\nlisting: {item: li, fields: {id: {attr: x}, title: {selector: b}}}":                "query_encoding: must be utf-8, gbk or gb18030",
	} {
		_, err := ParseSite("e2.yaml", []byte(yaml))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "e2.yaml:") {
			t.Errorf("adapter\n%s\ngot error %v, want one naming the file and %q", yaml, err, want)
		}
	}
}

// Cards from a JSON document in a <script>: Taobao's g_page_config.
func TestListingScript(t *testing.T) {
	s := mustParse(t, `
name: e2
base_url: https://s.taobao.example
search: {url: "/search?q={query}"}
listing:
  script: {pattern: 'g_page_config\s*=\s*(\{)', items: mods.itemlist.data.auctions}
  fields:
    id: {path: nid}
    title: {path: raw_title, or: [{path: title, transform: [html_text]}]}
    url: {path: detail_url}
    price: {path: view_price}
    seller: {path: nick}
  no_results: mods.noresult.status
`)
	page := `<html><script>var x = 1;</script><script>
    g_page_config = {"mods":{"itemlist":{"data":{"auctions":[
      {"nid":"1","title":"<span class=H>ipad</span> 保护壳","view_price":"19.90","nick":"a","detail_url":"//item.taobao.example/item.htm?id=1"},
      {"nid":"2","raw_title":"iPad Air","view_price":"3999.00","nick":"b","detail_url":"//item.taobao.example/item.htm?id=2"}
    ]}}}};
    g_srp_loadCss();</script></html>`
	ex := s.ExtractSearch([]byte(page), pageURL)
	if ex.Malformed != nil || ex.Cards != 2 || len(ex.Listings) != 2 {
		t.Fatalf("cards %d listings %d malformed %v", ex.Cards, len(ex.Listings), ex.Malformed)
	}
	a, b := ex.Listings[0], ex.Listings[1]
	if a.Title != "ipad 保护壳" || *a.Price != 19.9 || a.Currency != "CNY" || a.URL != "https://item.taobao.example/item.htm?id=1" || b.Title != "iPad Air" {
		t.Fatalf("got %+v / %+v", a, b)
	}
	empty := s.ExtractSearch([]byte(`<script>g_page_config = {"mods":{"noresult":{"status":"show"}}};</script>`), pageURL)
	if !empty.NoResults || empty.Cards != 0 {
		t.Fatalf("no-results document: %+v", empty)
	}
	if none := s.ExtractSearch([]byte(`<p>请登录</p>`), pageURL); none.Cards != 0 || none.NoResults {
		t.Fatalf("a page without the document: %+v", none)
	}
}

// One listing per id and page: the ad slot's duplicate is merged into the
// organic card, which keeps its position, and the listing notes the ad.
func TestDuplicateCardsMerge(t *testing.T) {
	s := mustParse(t, `
name: e2
base_url: https://search.example.com
search: {url: "/s?q={query}"}
listing:
  item: li
  ad: .ad
  fields:
    id: {attr: data-sku}
    title: {selector: b}
    url: {selector: a, attr: href}
`)
	page := `<ul>
<li data-sku="9"><b>ad nine</b><a href="https://ad.example.com/click?sku=9"></a><span class="ad">广告</span></li>
<li data-sku="1"><b>one</b><a href="/item/1"></a></li>
<li data-sku="9"><b>nine</b><a href="/item/9"></a></li>
<li data-sku="2"><b>two</b><a href="/item/2"></a><span class="ad">广告</span></li>
<li data-sku="1"><b>one again</b><a href="/item/1?x"></a></li>
</ul>`
	ex := s.ExtractSearch([]byte(page), pageURL)
	var got []string
	for _, l := range ex.Listings {
		got = append(got, l.ID+":"+l.Title+":"+map[bool]string{true: "ad", false: "organic"}[l.Ad])
	}
	want := "1:one:organic 9:nine:ad 2:two:ad"
	if strings.Join(got, " ") != want || ex.Duplicates != 2 || ex.Cards != 5 {
		t.Fatalf("got %q (%d duplicates of %d cards), want %q (2 of 5)", strings.Join(got, " "), ex.Duplicates, ex.Cards, want)
	}
	if ex.Listings[1].URL != "https://search.example.com/item/9" {
		t.Fatalf("merged listing keeps the organic card's fields: %q", ex.Listings[1].URL)
	}
}

func TestCurrencyAndQueryEncoding(t *testing.T) {
	s := mustParse(t, `
name: e2
base_url: https://s.1688.example
currency: usd
query_encoding: gbk
search: {url: "/offer?keywords={query}&p={page}"}
listing:
  item: li
  fields: {id: {attr: data-id}, title: {selector: b}, price: {selector: i}}
`)
	u, err := s.SearchURL("耐克 包", 2)
	if err != nil || u != "https://s.1688.example/offer?keywords=%C4%CD%BF%CB+%B0%FC&p=2" {
		t.Fatalf("GBK query: %q %v", u, err)
	}
	ex := s.ExtractSearch([]byte(`<li data-id="1"><b>a</b><i>20.97</i></li><li data-id="2"><b>b</b><i>¥59</i></li><li data-id="3"><b>c</b><i>€ 1.299,50</i></li>`), pageURL)
	for i, want := range []struct {
		price float64
		cur   string
	}{{20.97, "USD"}, {59, "CNY"}, {1299.5, "EUR"}} {
		l := ex.Listings[i]
		if l.Price == nil || *l.Price != want.price || l.Currency != want.cur {
			t.Errorf("card %d: %v %q, want %v %s", i, l.Price, l.Currency, want.price, want.cur)
		}
	}
}

func TestParsePriceIn(t *testing.T) {
	for _, tc := range []struct {
		in, currency string
		want         float64
		cur          string
		ok           bool
	}{
		{"原价¥99 现价¥59", "CNY", 59, "CNY", true},
		{"¥59 原价¥99", "CNY", 59, "CNY", true},
		{"月销1000+ ¥59", "CNY", 59, "CNY", true},
		{"1000+人付款 ￥59.00", "CNY", 59, "CNY", true},
		{"1-2万", "CNY", 10000, "CNY", true},
		{"1.5-2w", "CNY", 15000, "CNY", true},
		{"3k-5k", "CNY", 3000, "CNY", true},
		{"¥1 299", "CNY", 1299, "CNY", true},
		{"¥1\u00a0299.50", "CNY", 1299.5, "CNY", true},
		{"1.299,50 €", "CNY", 1299.5, "EUR", true},
		{"12,50", "EUR", 12.5, "EUR", true},
		{"US $20.97 - 25.00", "CNY", 20.97, "USD", true},
		{"US $20.97", "CNY", 20.97, "USD", true},
		{"HK$ 88", "CNY", 88, "HKD", true},
		{"20.97", "USD", 20.97, "USD", true},
		{"3.5折", "CNY", 0, "", false},
		{"满300减50", "CNY", 0, "", false},
		{"满300减50 ¥199", "CNY", 199, "CNY", true},
		{"3.5折 ¥35", "CNY", 35, "CNY", true},
		{"5kg 装 ¥30", "CNY", 30, "CNY", true},
		{"RMB 88元起", "CNY", 88, "CNY", true},
	} {
		got, cur, ok := ParsePriceIn(tc.in, tc.currency)
		if ok != tc.ok || (ok && (got != tc.want || cur != tc.cur)) {
			t.Errorf("ParsePriceIn(%q, %s) = %v %s %v; want %v %s %v", tc.in, tc.currency, got, cur, ok, tc.want, tc.cur, tc.ok)
		}
	}
}

// sites check reports coverage per field; under 90 % is a warning that
// names the selector, and --json carries the same.
func TestCheckCoverage(t *testing.T) {
	s := mustParse(t, `
name: e2
base_url: https://search.example.com
search: {url: "/s?q={query}"}
listing:
  item: li
  fields:
    id: {attr: data-id}
    title: {selector: b}
    seller: {selector: .shop}
`)
	var page strings.Builder
	for i := range 20 {
		shop := ""
		if i < 17 { // 17 of 20: 85 %
			shop = `<i class="shop">店</i>`
		}
		page.WriteString(`<li data-id="` + string(rune('a'+i)) + `"><b>t</b>` + shop + `</li>`)
	}
	r := s.Check([]byte(page.String()), false, "")
	if !r.OK() || len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], `listing.fields.seller: selector ".shop" found on only 17 of 20 cards`) {
		t.Fatalf("warnings %q problems %q", r.Warnings, r.Problems)
	}
	var text strings.Builder
	r.Write(&text)
	if !strings.Contains(text.String(), "found on 17/20 (85%)") || strings.Contains(text.String(), "no problems found") {
		t.Fatalf("report:\n%s", text.String())
	}
	var js strings.Builder
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Fields []FieldCoverage `json:"fields"`
		OK     bool            `json:"ok"`
	}
	if err := json.Unmarshal([]byte(js.String()), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Fields) != 3 || doc.Fields[2].Field != "seller" || doc.Fields[2].Found != 17 || doc.Fields[2].Cards != 20 || len(doc.Fields[2].Samples) != 3 || doc.Fields[2].Warning == "" || !doc.OK {
		t.Fatalf("JSON report: %s", js.String())
	}
}

// Blocked markers are checked only on pages that are not what the adapter
// expects, so a normal page that says 请登录 in its header is not a block.
func TestBlockedMarkers(t *testing.T) {
	s := mustParse(t, `
name: e2
base_url: https://search.example.com
search: {url: "/s?q={query}"}
listing:
  item: li
  fields: {id: {attr: data-id}, title: {selector: b}}
  no_results: .empty
blocked:
  selectors: ["#nc_1_wrapper"]
  text: [请登录后访问]
  status: [403]
`)
	for _, tc := range []struct {
		status int
		page   string
		want   string
	}{
		{200, `<div id="nc_1_wrapper">滑块</div>`, `selector "#nc_1_wrapper"`},
		{200, `<p>请登录后访问</p>`, `text "请登录后访问"`},
		{403, `forbidden`, "status 403"},
		{404, `<p>not here</p>`, ""},
	} {
		if got := s.BlockedBy(tc.status, []byte(tc.page)); got != tc.want {
			t.Errorf("BlockedBy(%d, %q) = %q, want %q", tc.status, tc.page, got, tc.want)
		}
	}
	_, err := ParseSite("b.yaml", []byte(`
name: e2
base_url: https://search.example.com
search: {url: "/s?q={query}"}
listing: {item: li, fields: {id: {attr: data-id}, title: {selector: b}}}
blocked: {selectors: ["[[["], status: [429]}
`))
	if err == nil || !strings.Contains(err.Error(), "blocked.selectors[0]") || !strings.Contains(err.Error(), "blocked.status[0]") {
		t.Fatalf("bad blocked markers: %v", err)
	}
}
