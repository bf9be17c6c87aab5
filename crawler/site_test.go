package crawler

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/markwatch/markwatch/config"
)

func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadSitesErrorsNameFileLineField(t *testing.T) {
	good := strings.ReplaceAll(shopYAML, "{base}", "https://www.example.com")
	cases := []struct {
		name, yaml, want string
	}{
		{"unknown field", strings.Replace(good, "  max_pages: 3\n", "  max_pages: 3\n  max_pagez: 4\n", 1), "shop.yaml:10:3: search.max_pagez: unknown field; did you mean max_pages?"},
		{"bad selector", strings.Replace(good, "item: li.product", "item: li.product[", 1), `shop.yaml:11:9: listing.item: bad CSS selector "li.product["`},
		{"unknown listing field", strings.Replace(good, "    seller:", "    sellar:", 1), `listing.fields.sellar: unknown listing field "sellar"`},
		{"no title", strings.Replace(good, "    title: {selector: .name a, attr: title}\n", "", 1), "listing.fields: title is required"},
		{"authorized without agreement", strings.Replace(good, "robots: respect", "robots: authorized", 1), "shop.yaml:4:9: robots: authorized needs authorization:"},
		{"robots typo", strings.Replace(good, "robots: respect", "robots: ignore", 1), "robots: must be respect or authorized"},
		{"no query placeholder", strings.Replace(good, "q={query}", "q=nike", 1), "search.url: must contain {query}"},
		{"unknown placeholder", strings.Replace(good, "p={page}", "p={pg}", 1), "unknown placeholder"},
		{"offsite search", strings.Replace(good, "url: /search", "url: https://evil.example.net/search", 1), `search.url: host "evil.example.net" is not in allowed_domains`},
		{"bad encoding", good + "encoding: klingon\n", `encoding: unknown encoding "klingon"`},
		{"json path in html", strings.Replace(good, "price: {selector: .price}", "price: {path: a.b}", 1), "listing.fields.price.path: path is for format json"},
		{"bad pattern", strings.Replace(good, "price: {selector: .price}", "price: {selector: .price, pattern: '('}", 1), "listing.fields.price.pattern: bad regular expression"},
		{"follow without url", strings.Replace(good, "    url: {selector: .name a, attr: href}\n", "", 1) + "item: {follow: true, fields: {description: {selector: .d}}}\n", "item.follow: needs listing.fields.url"},
		{"zero rate", strings.Replace(good, "requests_per_second: 1000", "requests_per_second: -1", 1), "rate.requests_per_second: must be in"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "shop.yaml", tc.yaml)
			_, err := LoadSites(config.Dir(dir))
			if err == nil {
				t.Fatalf("LoadSites accepted:\n%s", tc.yaml)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), filepath.Join(dir, "shop.yaml")) {
				t.Fatalf("got error %q, want it to name the file and contain %q", err, tc.want)
			}
		})
	}
}

func TestLoadSitesDirectoryAndDuplicates(t *testing.T) {
	dir := t.TempDir()
	good := strings.ReplaceAll(shopYAML, "{base}", "https://www.example.com")
	writeFile(t, dir, "a.yaml", good)
	writeFile(t, dir, "b.yaml", strings.Replace(good, "name: shop", "name: other", 1))
	sites, err := LoadSites(config.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(sites) != 2 || sites["shop"] == nil || sites["other"] == nil {
		t.Fatalf("got %v", sites)
	}
	if v := sites["shop"].Version(); len(v) != 12 || v == sites["other"].Version() {
		t.Fatalf("versions %q %q: want distinct 12-hex hashes of the files", v, sites["other"].Version())
	}
	one, err := LoadSite(config.Dir(dir), "other")
	if err != nil || one.Name != "other" {
		t.Fatalf("LoadSite: %v %v", one, err)
	}
	if _, err := LoadSite(config.Dir(dir), "missing"); !errors.Is(err, ErrUnknownSite) {
		t.Fatalf("LoadSite(missing): %v", err)
	}
	writeFile(t, dir, "c.yaml", good)
	if _, err := LoadSites(config.Dir(dir)); err == nil || !strings.Contains(err.Error(), `site "shop" is also defined in`) {
		t.Fatalf("duplicate names: %v", err)
	}
}

func TestLoadEmbeddedSites(t *testing.T) {
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	sites, err := LoadSites(cfg.SitesLocation())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"fakemart", "fakegbk", "fakeapi"} {
		if sites[name] == nil {
			t.Errorf("embedded adapters lack %s (have %d)", name, len(sites))
		}
	}
	for name, s := range sites {
		if !strings.HasPrefix(s.File(), "(embedded)/sites/") {
			t.Errorf("%s: file %q", name, s.File())
		}
	}
}

func TestSearchURLEscapesForPosition(t *testing.T) {
	cases := []struct {
		base, tmpl, query string
		page              int
		want              string
	}{
		{"https://s.example.com", "/search?q={query}&p={page}", "耐克 鞋&x=1", 2, "https://s.example.com/search?q=%E8%80%90%E5%85%8B+%E9%9E%8B%26x%3D1&p=2"},
		{"https://s.example.com", "/s/{query}/{page}.html", "a/b c?d", 1, "https://s.example.com/s/a%2Fb%20c%3Fd/1.html"},
		{"https://s.example.com/shop", "search?kw={query}", "x", 1, "https://s.example.com/shop/search?kw=x"},
		{"https://s.example.com", "https://s.example.com/api?page={page}&kw={query}#{query}", "a b", 3, "https://s.example.com/api?page=3&kw=a+b#a%20b"},
	}
	for _, tc := range cases {
		s := mustSite(t, tc.base, `
name: t
base_url: {base}
search: {url: "`+tc.tmpl+`"}
listing: {item: li, fields: {title: {}, id: {attr: id}}}
`)
		got, err := s.SearchURL(tc.query, tc.page)
		if err != nil || got != tc.want {
			t.Errorf("SearchURL(%q, %q, %d) = %q, %v; want %q", tc.tmpl, tc.query, tc.page, got, err, tc.want)
		}
	}
	s := mustSite(t, "https://s.example.com", "name: t\nbase_url: {base}\nsearch: {url: '/s?q={query}&p={page}', page_start: 0}\nlisting: {item: li, fields: {title: {}, id: {}}}\n")
	task := s.SearchTask("run", "x", 1)
	if task.URL != "https://s.example.com/s?q=x&p=0" || task.Page != 1 || task.Site != "t" || task.Run != "run" || task.Kind != "search" {
		t.Errorf("SearchTask with page_start 0 = %+v", task)
	}
}

func TestCanonicalURLDropsTrackingParams(t *testing.T) {
	s := mustSite(t, "https://s.example.com", strings.Replace(shopYAML, "tracking_params: [spm]", "tracking_params: [spm, utm_source]", 1))
	cases := map[string]string{
		"HTTPS://S.Example.com:443/item/1?spm=a.b&id=7&utm_source=x#top": "https://s.example.com/item/1?id=7",
		"https://s.example.com/item/1?b=2&a=1":                           "https://s.example.com/item/1?a=1&b=2",
		"https://s.example.com":                                          "https://s.example.com/",
	}
	for in, want := range cases {
		if got := s.CanonicalURL(in); got != want {
			t.Errorf("CanonicalURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAllowedDomains(t *testing.T) {
	s := mustSite(t, "https://www.example.com", `
name: t
base_url: {base}
allowed_domains: [www.example.com, "*.img.example.com"]
search: {url: "/s?q={query}"}
listing: {item: li, fields: {title: {}, id: {}}}
`)
	for host, want := range map[string]bool{
		"www.example.com": true, "WWW.EXAMPLE.COM": true, "a.img.example.com": true, "img.example.com": false,
		"example.com": false, "www.example.com.evil.net": false, "evilwww.example.com": false,
	} {
		if got := s.AllowsHost(host); got != want {
			t.Errorf("AllowsHost(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestRebase(t *testing.T) {
	s := mustSite(t, "http://127.0.0.1:8090", shopYAML)
	r, err := s.Rebase("http://localhost:9999")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := r.SearchURL("a", 1); got != "http://localhost:9999/search?q=a&p=1" {
		t.Fatalf("rebased search URL %q", got)
	}
	if !r.AllowsHost("localhost") || r.AllowsHost("127.0.0.1") || !s.AllowsHost("127.0.0.1") {
		t.Fatalf("rebased domains %v, original %v", r.AllowedDomains, s.AllowedDomains)
	}
	if r.Version() != s.Version() {
		t.Fatal("rebase changed the version")
	}
}

// The operators' example adapter (configs/sites/examples, embedded but not
// loaded with the others) is valid and reads a page of its layout.
func TestExampleAdapterReadsItsLayout(t *testing.T) {
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	sites, err := LoadSites(cfg.SitesLocation())
	if err != nil {
		t.Fatal(err)
	}
	if _, loaded := sites["jdlike"]; loaded {
		t.Fatal("the example adapter is loaded with the real ones")
	}
	site, err := LoadSite(config.Dir("../configs/sites/examples/jdlike.yaml"), "jdlike")
	if err != nil {
		t.Fatal(err)
	}
	if site.Authorized() || site.Rate.RequestsPerSecond > 1 {
		t.Fatalf("the example must respect robots.txt and be slow: %+v %+v", site.Robots, site.Rate)
	}
	if u, _ := site.SearchURL("耐克", 3); u != "https://search.jd.com/Search?keyword=%E8%80%90%E5%85%8B&enc=utf-8&page=5" {
		t.Fatalf("page 3 URL %s", u)
	}
	page, err := os.ReadFile("testdata/pages/jdlike-search.html")
	if err != nil {
		t.Fatal(err)
	}
	r := site.Check(page, false, "https://search.jd.com/Search?keyword=%E8%80%90%E5%85%8B&page=1")
	if !r.OK() {
		var b strings.Builder
		r.Write(&b)
		t.Fatalf("problems:\n%s", b.String())
	}
	l := r.Ex.Listings[0]
	if l.ID != "100012345678" || l.Title != "耐克 NIKE AIR 男子运动鞋 耐克" || *l.Price != 699 || l.Seller != "耐克京东自营旗舰店" ||
		l.URL != "https://item.jd.com/100012345678.html" || l.Image != "https://img10.360buyimg.com/n7/jfs/t1/a.jpg" || r.Ex.Next != "" {
		t.Fatalf("listing %+v, next %q", l, r.Ex.Next)
	}
}
