package crawler

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/andybalholm/cascadia"
	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Site is one site adapter (configs/sites/*.yaml): where a marketplace
// lives, how politely to fetch it and how to read listings off its pages.
// Decode it with LoadSites or LoadSite; a Site built by hand must go through
// config.Decode too, because Provision compiles the selectors.
type Site struct {
	// Name identifies the site in tasks, metrics and evidence. Required;
	// lower-case letters, digits, '-' and '_'.
	Name string `yaml:"name"`
	// BaseURL is the scheme and host (and optional path prefix) that
	// relative search URLs resolve against. Required.
	BaseURL string `yaml:"base_url"`
	// AllowedDomains are the only hosts fetched, redirects included. An
	// entry "*.example.com" allows every subdomain of example.com (not
	// example.com itself). Default: the host of base_url.
	AllowedDomains []string `yaml:"allowed_domains"`
	// Format of search and item pages: html or json. Default html.
	Format string `yaml:"format"`
	// Encoding of pages: auto (BOM, then the Content-Type header, then
	// <meta>, else UTF-8), or a WHATWG label such as utf-8, gbk, gb18030,
	// big5. Default auto.
	Encoding string `yaml:"encoding"`
	// Robots: respect (fetch and obey robots.txt) or authorized (the
	// platform authorised this crawl; Authorization must say how). Default respect.
	Robots string `yaml:"robots"`
	// Authorization names the agreement that allows ignoring robots.txt
	// (required with robots: authorized, shown in logs).
	Authorization string `yaml:"authorization"`
	// Fetch is how pages are fetched: http, or browser (rendered in
	// headless Chromium, for pages that build their listings with
	// JavaScript; the crawler needs a browser: crawler.WithBrowser). The
	// rendered DOM goes through the same extraction; a full-page PNG
	// screenshot goes with the page. robots.txt, allowed_domains and the
	// rate apply to the page itself, not to the scripts and data the
	// browser loads for it. Default http. (Second edition.)
	Fetch string `yaml:"fetch"`
	// Browser tunes fetch: browser.
	Browser *BrowserRules `yaml:"browser"`
	// Rate is this site's request rate per host, in this process.
	Rate Rate `yaml:"rate"`
	// Search says how to build search-result URLs.
	Search Search `yaml:"search"`
	// Listing says how to read listing cards off a search page.
	Listing ListingRules `yaml:"listing"`
	// Item, when set with follow: true, fetches each listing's item page
	// and merges its fields into the card's.
	Item *ItemRules `yaml:"item"`
	// TrackingParams are query parameters that do not change a page
	// (spm, tracelog, utm_source…): CanonicalURL drops them, so that the
	// frontier does not fetch one page twice under two URLs.
	TrackingParams []string `yaml:"tracking_params"`
	// Headers are extra request headers (Accept-Language, Referer…).
	// User-Agent is global (crawl.user_agent) and may not be set here.
	Headers map[string]string `yaml:"headers"`
	// Cookies is a file of cookies sent with this site's requests: the
	// account the platform's IP-protection programme granted. A Netscape
	// cookies.txt or a JSON export ([{domain, name, value, path, secure,
	// hostOnly, expirationDate}]); relative to the adapter file. Every
	// cookie's domain must be in allowed_domains (else loading fails); a
	// cookie goes only to hosts its domain, path and secure flag match.
	// Read at start and on SIGHUP; never logged, counted or stored with
	// evidence. (Second edition.)
	Cookies string `yaml:"cookies"`
	// Proxies route the site's requests (robots.txt included) through
	// proxies, round-robin, resting one that keeps failing; see
	// ProxyRules. (Second edition.)
	Proxies *ProxyRules `yaml:"proxies"`
	// Currency of prices whose text names none (ISO 4217: CNY, USD, HKD,
	// EUR, GBP). A price text's own mark wins: ¥ ￥ 元 CNY RMB, US $ US$ USD
	// $, HK$ HKD, € EUR, £ GBP. Listing.currency says which applied; EUR
	// prices read a decimal comma ("1.299,50 €"). Default CNY. (Second
	// edition.)
	Currency string `yaml:"currency"`
	// Blocked says how to tell a page served to block the crawler (a slider
	// check, a login wall, 访问受限) from a layout change. The markers are
	// checked only on pages that are not what the adapter expects: a
	// non-2xx answer (other than 429 and 5xx, which are retried), a search
	// page with no cards and no no-results marker, a malformed page, an
	// item page with none of the item fields. A match is ErrBlocked: the
	// worker gives the task back without spending a retry and the site
	// pauses fleet-wide with exponential backoff (`markwatch queue sites`,
	// `markwatch queue resume SITE`). (Second edition.)
	Blocked *BlockedRules `yaml:"blocked"`
	// QueryEncoding is how {query} is percent-encoded in search.url:
	// utf-8, gbk or gb18030 (sites that take __input_charset=GBK).
	// Default utf-8. (Second edition.)
	QueryEncoding string `yaml:"query_encoding"`

	queryEncoding encoding.Encoding // nil: UTF-8
	file          string            // as the user knows it, for messages
	version       string
	base          *url.URL
	domains       []string // lower-case; "*.x" entries kept as ".x"
	tracked       map[string]bool
	listing       compiledRules
	item          compiledRules
}

// Rate is a token bucket: requests_per_second refill, burst capacity.
type Rate struct {
	// RequestsPerSecond per host. Default 1.
	RequestsPerSecond float64 `yaml:"requests_per_second"`
	// Burst is how many requests may go at once after a quiet spell. Default 1.
	Burst int `yaml:"burst"`
}

// Search describes the site's search-result pages.
type Search struct {
	// URL is a template, absolute or relative to base_url, with {query}
	// (escaped for where it stands: path segment or query string) and
	// {page} (page_start for the first page, page_step more for each next
	// one). Required.
	URL string `yaml:"url"`
	// PageStart is the number of the first page in {page}. Default 1.
	PageStart *int `yaml:"page_start"`
	// PageStep is what {page} grows by from one page to the next: 1 for
	// page numbers, the page size for offsets (page_start 0, page_step 40
	// gives 0, 40, 80 …). Default 1.
	PageStep int `yaml:"page_step"`
	// MaxPages bounds pagination per query unless a task says otherwise. Default 10.
	MaxPages int `yaml:"max_pages"`
}

// ListingRules find listing cards and their fields on a search page.
type ListingRules struct {
	// Item selects one element per listing card: a CSS selector (html) or a
	// dotted JSON path to an array (json). Required.
	Item string `yaml:"item"`
	// Fields maps listing fields (id, title, url, price, seller, ship_from,
	// image, description, category) to how each is read from a card. title
	// is required, and id or url (the id defaults to the canonical URL).
	Fields map[string]Field `yaml:"fields"`
	// NextPage selects the link to the next page (html: an element with
	// href; json: a path to a URL). Optional: without it the page counter
	// runs to max_pages or the first empty page.
	NextPage string `yaml:"next_page"`
	// NoResults matches a genuine "nothing found" page (html: a selector;
	// json: a path that is present and not false/0/empty). Without a match,
	// a page with no cards is a layout change.
	NoResults string `yaml:"no_results"`
	// Script reads the cards out of a JSON document embedded in an HTML
	// page (Taobao's g_page_config = {…};) instead of the HTML: item is
	// then not set, fields are read by path as in format json, and
	// next_page and no_results are paths into that document. (Second
	// edition.)
	Script *ScriptRules `yaml:"script"`
	// Ad marks advertisement cards (html: a selector matching the card or
	// an element inside it, such as span.p-promo-flag; json: a path that
	// is truthy). Cards
	// with the same listing id on one page always become one listing, at
	// the position of the first organic (non-ad) card, with "ad": true
	// when one of them was an ad. (Second edition.)
	Ad string `yaml:"ad"`
}

// BrowserRules tune pages rendered in a browser. Every request such a page
// makes (scripts, XHR/fetch, images, frames) obeys the site's crawl rules
// as the page does: a host outside allowed_domains, or a path its robots.txt
// disallows (robots: respect), is failed in the browser and counted in
// markwatch_browser_requests_blocked_total.
type BrowserRules struct {
	// WaitFor is a CSS selector that is on the page once its listings
	// are rendered (or its no-results marker is). Recommended.
	WaitFor string `yaml:"wait_for"`
	// Scroll is how many times to scroll to the bottom to trigger lazy
	// loading. Default 0.
	Scroll int `yaml:"scroll"`
	// Timeout bounds one page. Default 30s.
	Timeout config.Duration `yaml:"timeout"`
	// Screenshot keeps a full-page PNG with the page. Default true.
	Screenshot *bool `yaml:"screenshot"`
}

// BlockedRules are the markers of a block page; any one matching is enough.
type BlockedRules struct {
	// Selectors: CSS selectors of block pages (#nc_1_wrapper, .login-box).
	Selectors []string `yaml:"selectors"`
	// Text: strings of block pages' text or body (验证码, 请登录, 访问受限).
	Text []string `yaml:"text"`
	// Status: HTTP statuses that mean blocked whatever the body (403 on a
	// site that answers a ban with 403).
	Status []int `yaml:"status"`

	selectors []cascadia.Selector
}

// ScriptRules find a JSON document inside a page.
type ScriptRules struct {
	// Pattern is a regular expression whose one capture group starts the
	// JSON document: one JSON value is read from the group's start, so the
	// group may capture just its first character ('g_page_config\s*=\s*(\{)').
	// The first match that decodes is used. Required.
	Pattern string `yaml:"pattern"`
	// Items is the JSON path to the array of cards in that document
	// ("mods.itemlist.data.auctions"). Required.
	Items string `yaml:"items"`
}

// ItemRules read an item page.
type ItemRules struct {
	// Follow fetches item pages. Default false.
	Follow bool `yaml:"follow"`
	// Fields as in listing.fields, relative to the whole item page. A
	// non-empty value here replaces the card's.
	Fields map[string]Field `yaml:"fields"`
}

// Field says how to read one value. The value is read by selector/attr
// (or path), then each transform step runs in order, then pattern; if
// nothing is found, or the value is empty or ignored, each choice in or
// is tried the same way, in order. A field found on a card but with no
// usable value counts as not found in `sites check` coverage.
type Field struct {
	// Selector is a CSS selector relative to the card (html); empty means
	// the card itself. The first match is used.
	Selector string `yaml:"selector"`
	// Attr is the attribute to read; empty means the element's text.
	Attr string `yaml:"attr"`
	// Path is a dotted JSON path relative to the item (json), such as
	// "shop.name" or "images.0"; empty means the item itself.
	Path string `yaml:"path"`
	// Pattern is an optional regular expression applied to the value: its
	// first capture group (or whole match) becomes the value; no match, empty.
	Pattern string `yaml:"pattern"`
	// Join, when set, joins every match instead of taking the first
	// (breadcrumbs, for example) with this separator.
	Join string `yaml:"join"`
	// Transform steps run in order on the value read, before pattern:
	// urldecode (percent-decoding, + as space), html_text (markup dropped,
	// entities decoded), trim, collapse_space, json_unescape (\uXXXX and
	// friends), url (resolved against the page), and
	// {regex: RE, replace: REPL} (every match replaced; $1 for a group).
	// (Second edition.)
	Transform []Step `yaml:"transform"`
	// Or lists fallbacks tried in order when this way finds nothing usable:
	// each is a selector/attr (or path) with its own transform, pattern
	// and join; ignore is the field's. JD images:
	//   image: {selector: img, attr: src, or: [{selector: img, attr: data-lazy-img}], ignore: [done]}
	// (Second edition.)
	Or []Field `yaml:"or"`
	// Ignore lists values that are not values (placeholders): an exact
	// value, "prefix*", "*suffix" or "*part*", without case. For url and
	// image, data:, javascript: and about: URIs are always ignored, and for
	// image the usual placeholder files (1x1.gif, blank.png, spacer.gif,
	// loading.gif, /s.gif …). (Second edition.)
	Ignore []string `yaml:"ignore"`
}

// listingFields are the fields an adapter may extract, in output order.
// images is every further photo: read with join (any separator of spaces
// or commas), each URL resolved and placeholders dropped, e.g.
//
//	images: {selector: ".gallery img", attr: src, join: " "}
var listingFields = []string{"id", "title", "url", "price", "seller", "ship_from", "image", "images", "description", "category"}

var siteNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// Provision fills defaults and compiles selectors, paths and patterns.
func (s *Site) Provision() error {
	if s.Format == "" {
		s.Format = "html"
	}
	if s.Encoding == "" {
		s.Encoding = "auto"
	}
	s.Encoding = strings.ToLower(s.Encoding)
	if s.Robots == "" {
		s.Robots = "respect"
	}
	if s.Rate.RequestsPerSecond == 0 {
		s.Rate.RequestsPerSecond = 1
	}
	if s.Rate.Burst == 0 {
		s.Rate.Burst = 1
	}
	if s.Search.PageStart == nil {
		one := 1
		s.Search.PageStart = &one
	}
	if s.Search.MaxPages == 0 {
		s.Search.MaxPages = 10
	}
	if s.Search.PageStep == 0 {
		s.Search.PageStep = 1
	}
	if s.Fetch == "" {
		s.Fetch = "http"
	}
	if s.Currency == "" {
		s.Currency = "CNY"
	}
	s.Currency = strings.ToUpper(s.Currency)
	if s.QueryEncoding == "" {
		s.QueryEncoding = "utf-8"
	}
	s.QueryEncoding = strings.ToLower(s.QueryEncoding)
	if u, err := url.Parse(s.BaseURL); err == nil {
		s.base = u
	}
	if len(s.AllowedDomains) == 0 && s.base != nil && s.base.Hostname() != "" {
		s.AllowedDomains = []string{s.base.Hostname()}
	}
	s.domains = s.domains[:0]
	for _, d := range s.AllowedDomains {
		d = strings.ToLower(strings.TrimSpace(d))
		if strings.HasPrefix(d, "*.") {
			d = d[1:]
		}
		s.domains = append(s.domains, d)
	}
	s.tracked = map[string]bool{}
	for _, p := range s.TrackingParams {
		s.tracked[p] = true
	}
	return nil
}

// Validate checks the adapter and compiles it; every problem is reported
// with its field path.
func (s *Site) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) { errs = append(errs, config.Errorf(field, format, args...)) }
	if !siteNameRE.MatchString(s.Name) {
		bad("name", "must be 1-64 lower-case letters, digits, '-' or '_', got %q", s.Name)
	}
	switch {
	case s.BaseURL == "":
		bad("base_url", "is required")
	case s.base == nil || (s.base.Scheme != "http" && s.base.Scheme != "https") || s.base.Host == "":
		bad("base_url", "must be an absolute http(s) URL, got %q", s.BaseURL)
	}
	for i, d := range s.AllowedDomains {
		if d == "" || strings.ContainsAny(d, "/:?# ") || strings.Contains(strings.TrimPrefix(d, "*."), "*") {
			bad(fmt.Sprintf("allowed_domains[%d]", i), "must be a host name or *.domain, got %q", d)
		}
	}
	if s.base != nil && s.base.Host != "" && !s.AllowsHost(s.base.Hostname()) {
		bad("allowed_domains", "does not include the base_url host %q", s.base.Hostname())
	}
	switch s.Format {
	case "html", "json":
	default:
		bad("format", "must be html or json, got %q", s.Format)
	}
	if s.Encoding != "auto" {
		if e, _ := charset.Lookup(s.Encoding); e == nil {
			bad("encoding", "unknown encoding %q (auto, utf-8, gbk, gb18030, big5, …)", s.Encoding)
		}
	}
	switch s.Robots {
	case "respect":
		if s.Authorization != "" {
			bad("authorization", "is only meaningful with robots: authorized")
		}
	case "authorized":
		if strings.TrimSpace(s.Authorization) == "" {
			bad("robots", "authorized needs authorization: naming the agreement that authorises the crawl")
		}
	default:
		bad("robots", "must be respect or authorized, got %q", s.Robots)
	}
	if !currencyCodeRE.MatchString(s.Currency) {
		bad("currency", "must be an ISO 4217 code such as CNY, USD, EUR, got %q", s.Currency)
	}
	switch s.QueryEncoding {
	case "utf-8", "utf8":
		s.queryEncoding = nil
	case "gbk":
		s.queryEncoding = simplifiedchinese.GBK
	case "gb18030":
		s.queryEncoding = simplifiedchinese.GB18030
	default:
		bad("query_encoding", "must be utf-8, gbk or gb18030, got %q", s.QueryEncoding)
	}
	if s.Rate.RequestsPerSecond < 0 || s.Rate.RequestsPerSecond > 10000 {
		bad("rate.requests_per_second", "must be in (0, 10000], got %v", s.Rate.RequestsPerSecond)
	}
	if s.Rate.Burst < 1 || s.Rate.Burst > 10000 {
		bad("rate.burst", "must be 1..10000, got %d", s.Rate.Burst)
	}
	if err := s.validateSearch(); err != nil {
		errs = append(errs, err)
	}
	if *s.Search.PageStart < 0 {
		bad("search.page_start", "must not be negative")
	}
	if s.Search.PageStep < 1 {
		bad("search.page_step", "must be at least 1, got %d", s.Search.PageStep)
	}
	if s.Search.MaxPages < 1 || s.Search.MaxPages > 1000 {
		bad("search.max_pages", "must be 1..1000, got %d", s.Search.MaxPages)
	}
	for k := range s.Headers {
		if strings.EqualFold(k, "User-Agent") {
			bad("headers", "User-Agent is set globally (crawl.user_agent), not per site")
		}
	}
	switch s.Fetch {
	case "http":
		if s.Browser != nil {
			bad("browser", "is for fetch: browser")
		}
	case "browser":
		if s.Format != "html" {
			bad("fetch", "browser renders html pages; format is %s", s.Format)
		}
		if b := s.Browser; b != nil && (b.Scroll < 0 || b.Scroll > 50 || b.Timeout < 0) {
			bad("browser", "scroll must be 0..50 and timeout not negative")
		}
		if b := s.Browser; b != nil && b.WaitFor != "" {
			if _, err := cascadia.Compile(b.WaitFor); err != nil {
				bad("browser.wait_for", "bad CSS selector %q: %v", b.WaitFor, err)
			}
		}
	default:
		bad("fetch", "must be http or browser, got %q", s.Fetch)
	}
	if err := s.validateProxies(); err != nil {
		errs = append(errs, err)
	}
	if b := s.Blocked; b != nil {
		b.selectors = nil
		for i, sel := range b.Selectors {
			c, err := cascadia.Compile(sel)
			if err != nil {
				bad(fmt.Sprintf("blocked.selectors[%d]", i), "bad CSS selector %q: %v", sel, err)
				continue
			}
			b.selectors = append(b.selectors, c)
		}
		for i, t := range b.Text {
			if strings.TrimSpace(t) == "" {
				bad(fmt.Sprintf("blocked.text[%d]", i), "must not be empty")
			}
		}
		for i, st := range b.Status {
			if st < 400 || st > 599 || st == 429 {
				bad(fmt.Sprintf("blocked.status[%d]", i), "must be a 4xx or 5xx status other than 429, got %d", st)
			}
		}
		if len(b.Selectors)+len(b.Text)+len(b.Status) == 0 {
			bad("blocked", "needs selectors, text or status")
		}
	}
	var err error
	s.listing, err = s.compile("listing", s.Listing.Item, s.Listing.Fields, s.Listing.NextPage, s.Listing.NoResults)
	if err != nil {
		errs = append(errs, err)
	}
	if f := s.Listing.Fields; f != nil {
		if _, ok := f["title"]; !ok {
			bad("listing.fields", "title is required")
		}
		_, hasID := f["id"]
		_, hasURL := f["url"]
		if !hasID && !hasURL {
			bad("listing.fields", "id or url is required (a listing needs an identity)")
		}
	}
	if s.Item != nil {
		if s.Item.Follow {
			if _, ok := s.Listing.Fields["url"]; !ok {
				bad("item.follow", "needs listing.fields.url to know where item pages are")
			}
		}
		s.item, err = s.compile("item", "", s.Item.Fields, "", "")
		if err != nil {
			errs = append(errs, err)
		}
		if len(s.Item.Fields) == 0 {
			bad("item.fields", "is required with item")
		}
	}
	return errors.Join(errs...)
}

func (s *Site) validateSearch() error {
	t := s.Search.URL
	if t == "" {
		return config.Errorf("search.url", "is required")
	}
	if !strings.Contains(t, "{query}") {
		return config.Errorf("search.url", "must contain {query}")
	}
	rest := strings.NewReplacer("{query}", "", "{page}", "").Replace(t)
	if i := strings.IndexAny(rest, "{}"); i >= 0 {
		return config.Errorf("search.url", "unknown placeholder in %q (only {query} and {page})", t)
	}
	if s.base == nil {
		return nil
	}
	u, err := s.searchURL("q", 1)
	if err != nil {
		return config.Errorf("search.url", "%v", err)
	}
	if !s.AllowsHost(u.Hostname()) {
		return config.Errorf("search.url", "host %q is not in allowed_domains", u.Hostname())
	}
	return nil
}

// compiledRules are selectors, paths and patterns ready to use.
type compiledRules struct {
	item      cascadia.Selector // html
	itemPath  []string          // json, or script
	script    *regexp.Regexp    // listing.script.pattern
	ad        cascadia.Selector // html
	adPath    []string          // json, script
	fields    []compiledField
	next      cascadia.Selector
	nextPath  []string
	none      cascadia.Selector
	nonePath  []string
	hasFields bool
	json      bool // fields are read by path (format json, or listing.script)
}

type compiledField struct {
	name    string
	choices []compiledChoice // the field's own way first, then its or: list
	ignore  []ignoreRule
	spec    Field
}

// compiledChoice is one way to read a field.
type compiledChoice struct {
	sel     cascadia.Selector // nil: the card itself
	attr    string
	path    []string
	pattern *regexp.Regexp
	join    string // non-empty: join every match
	steps   []Step
	spec    Field
}

var currencyCodeRE = regexp.MustCompile(`^[A-Z]{3}$`)

func (s *Site) compile(prefix, item string, fields map[string]Field, next, none string) (compiledRules, error) {
	var errs []error
	bad := func(field, format string, args ...any) { errs = append(errs, config.Errorf(field, format, args...)) }
	var r compiledRules
	css := func(field, sel string) cascadia.Selector {
		if sel == "" {
			return nil
		}
		c, err := cascadia.Compile(sel)
		if err != nil {
			bad(field, "bad CSS selector %q: %v", sel, err)
		}
		return c
	}
	jsonPath := func(field, p string) []string {
		parts, err := parsePath(p)
		if err != nil {
			bad(field, "%v", err)
		}
		return parts
	}
	r.json = s.Format == "json"
	if prefix == "listing" {
		script := s.Listing.Script
		switch {
		case script != nil:
			r.json = true
			if item != "" {
				bad("listing.item", "is not used with listing.script (script.items says where the cards are)")
			}
			if s.Format == "json" {
				bad("listing.script", "is for html pages; a format json page is the JSON document itself")
			}
			if script.Pattern == "" {
				bad("listing.script.pattern", "is required")
			} else if re, err := regexp.Compile(script.Pattern); err != nil {
				bad("listing.script.pattern", "bad regular expression: %v", err)
			} else if re.NumSubexp() != 1 {
				bad("listing.script.pattern", "needs exactly one capture group, where the JSON starts")
			} else {
				r.script = re
			}
			if script.Items == "" {
				bad("listing.script.items", "is required")
			}
			r.itemPath = jsonPath("listing.script.items", script.Items)
		case item == "":
			bad("listing.item", "is required")
		case s.Format == "json":
			r.itemPath = jsonPath("listing.item", item)
		default:
			r.item = css("listing.item", item)
		}
		if r.json {
			r.nextPath = jsonPath("listing.next_page", next)
			r.nonePath = jsonPath("listing.no_results", none)
			r.adPath = jsonPath("listing.ad", s.Listing.Ad)
		} else {
			r.next = css("listing.next_page", next)
			r.none = css("listing.no_results", none)
			r.ad = css("listing.ad", s.Listing.Ad)
		}
		if len(fields) == 0 {
			bad("listing.fields", "is required")
		}
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		return slices.Index(listingFields, names[i]) < slices.Index(listingFields, names[j])
	})
	choice := func(at string, f Field) compiledChoice {
		c := compiledChoice{attr: f.Attr, join: f.Join, spec: f}
		if r.json {
			if f.Selector != "" || f.Attr != "" {
				bad(at, "fields read from JSON (format json, listing.script) are read by path, not selector/attr")
			}
			c.path = jsonPath(at+".path", f.Path)
		} else {
			if f.Path != "" {
				bad(at+".path", "path is for format json and listing.script; use selector (and attr) for html")
			}
			c.sel = css(at+".selector", f.Selector)
		}
		if f.Pattern != "" {
			re, err := regexp.Compile(f.Pattern)
			if err != nil {
				bad(at+".pattern", "bad regular expression: %v", err)
			} else if re.NumSubexp() > 1 {
				bad(at+".pattern", "at most one capture group")
			}
			c.pattern = re
		}
		for i := range f.Transform {
			st := f.Transform[i]
			if err := st.compile(); err != nil {
				bad(fmt.Sprintf("%s.transform[%d]", at, i), "%v", err)
			}
			c.steps = append(c.steps, st)
		}
		return c
	}
	for _, name := range names {
		f := fields[name]
		at := prefix + ".fields." + name
		if !slices.Contains(listingFields, name) {
			bad(at, "unknown listing field %q (want one of %s)", name, strings.Join(listingFields, ", "))
			continue
		}
		cf := compiledField{name: name, ignore: compileIgnore(f.Ignore), spec: f}
		cf.choices = append(cf.choices, choice(at, f))
		for i, alt := range f.Or {
			altAt := fmt.Sprintf("%s.or[%d]", at, i)
			if len(alt.Or) > 0 || len(alt.Ignore) > 0 {
				bad(altAt, "or and ignore belong to the field, not to one of its choices")
			}
			cf.choices = append(cf.choices, choice(altAt, alt))
		}
		r.fields = append(r.fields, cf)
	}
	r.hasFields = len(r.fields) > 0
	return r, errors.Join(errs...)
}

// File is the file the adapter was read from.
func (s *Site) File() string { return s.file }

// Version is a short hash of the adapter file's bytes, recorded with
// evidence so that a finding says which adapter read the page.
func (s *Site) Version() string { return s.version }

// Label is "name@version", the Page.Adapter of pages fetched with this adapter.
func (s *Site) Label() string { return s.Name + "@" + s.version }

// Authorized reports whether the operator recorded that the platform
// authorised the crawl (robots.txt is not consulted).
func (s *Site) Authorized() bool { return s.Robots == "authorized" }

// FollowItems reports whether item pages are fetched.
func (s *Site) FollowItems() bool { return s.Item != nil && s.Item.Follow }

// AllowsHost reports whether host (no port) is in allowed_domains.
func (s *Site) AllowsHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, d := range s.domains {
		if d == host || (strings.HasPrefix(d, ".") && strings.HasSuffix(host, d)) {
			return true
		}
	}
	return false
}

// AllowsURL reports whether u is an http(s) URL on an allowed host.
func (s *Site) AllowsURL(u *url.URL) bool {
	return (u.Scheme == "http" || u.Scheme == "https") && s.AllowsHost(u.Hostname())
}

// MaxPages is the adapter's pagination bound.
func (s *Site) MaxPages() int { return s.Search.MaxPages }

// SearchURL is the URL of the page-th search page (1-based) for query.
func (s *Site) SearchURL(query string, page int) (string, error) {
	u, err := s.searchURL(query, page)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

func (s *Site) searchURL(query string, page int) (*url.URL, error) {
	if page < 1 {
		page = 1
	}
	number := strconv.Itoa(*s.Search.PageStart + (page-1)*s.Search.PageStep)
	t := s.Search.URL
	// Escape {query} for where it stands: in the path it is one segment
	// (a '/' in a query must not add a segment), in the query string a
	// value ('&' and '=' escaped, space as '+'), in a fragment a fragment.
	var b strings.Builder
	inQuery, inFragment := false, false
	for i := 0; i < len(t); {
		switch {
		case strings.HasPrefix(t[i:], "{query}"):
			query := query
			if s.queryEncoding != nil {
				// Percent-escaping works on bytes: GBK bytes give %C4%CD…
				if b, err := s.queryEncoding.NewEncoder().String(query); err == nil {
					query = b
				}
			}
			switch {
			case inFragment:
				b.WriteString(url.PathEscape(query))
			case inQuery:
				b.WriteString(url.QueryEscape(query))
			default:
				b.WriteString(url.PathEscape(query))
			}
			i += len("{query}")
		case strings.HasPrefix(t[i:], "{page}"):
			b.WriteString(number)
			i += len("{page}")
		default:
			switch t[i] {
			case '?':
				inQuery = true
			case '#':
				inFragment = true
			}
			b.WriteByte(t[i])
			i++
		}
	}
	ref, err := url.Parse(b.String())
	if err != nil {
		return nil, fmt.Errorf("search url %q: %w", b.String(), err)
	}
	base := s.base
	if base == nil {
		return nil, errors.New("no base_url")
	}
	if !ref.IsAbs() && !strings.HasPrefix(ref.Path, "/") && base.Path != "" && !strings.HasSuffix(base.Path, "/") {
		// "search?q=" relative to "https://x/shop" means /shop/search, as
		// an operator writing base_url with a path prefix expects.
		b2 := *base
		b2.Path = base.Path + "/"
		base = &b2
	}
	return base.ResolveReference(ref), nil
}

// SearchTask is the seed task of a run for query: search page page (1-based).
func (s *Site) SearchTask(run, query string, page int) markwatch.Task {
	if page < 1 {
		page = 1
	}
	u, _ := s.SearchURL(query, page) // the template was checked by Validate
	return markwatch.Task{Run: run, Site: s.Name, Kind: markwatch.KindSearch, URL: u, Query: query, Page: page}
}

// CanonicalURL is raw with the fragment and the adapter's tracking
// parameters removed, the host lower-cased, a default port dropped and the
// query sorted: two URLs of one page give one string, for deduplication.
func (s *Site) CanonicalURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return s.canonical(u)
}

func (s *Site) canonical(u *url.URL) string {
	c := *u
	c.Fragment, c.RawFragment = "", ""
	c.Scheme = strings.ToLower(c.Scheme)
	c.Host = strings.ToLower(c.Host)
	if (c.Scheme == "http" && strings.HasSuffix(c.Host, ":80")) || (c.Scheme == "https" && strings.HasSuffix(c.Host, ":443")) {
		c.Host = c.Host[:strings.LastIndexByte(c.Host, ':')]
	}
	if c.Path == "" {
		c.Path = "/"
	}
	if c.RawQuery != "" {
		q := c.Query()
		for p := range q {
			if s.tracked[p] {
				delete(q, p)
			}
		}
		c.RawQuery = q.Encode() // sorted by key
	}
	return c.String()
}

// resolve makes ref absolute against base; "" for an empty or unusable ref.
func resolve(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" || strings.HasPrefix(ref, "javascript:") || strings.HasPrefix(ref, "data:") {
		return ""
	}
	r, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if base == nil {
		return r.String()
	}
	return base.ResolveReference(r).String()
}

// LoadSites reads every adapter of a location (a directory of YAML files, or
// one file), keyed by name. Two files naming the same site are an error.
func LoadSites(loc config.Location) (map[string]*Site, error) {
	files, err := loc.Files()
	if err != nil {
		return nil, err
	}
	sites := make(map[string]*Site, len(files))
	var errs []error
	for _, f := range files {
		s, err := loadFile(loc, f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev, ok := sites[s.Name]; ok {
			errs = append(errs, fmt.Errorf("crawler: %s: site %q is also defined in %s", s.file, s.Name, prev.file))
			continue
		}
		sites[s.Name] = s
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return sites, nil
}

// LoadSite reads one adapter by site name from a location (or the location
// itself when it is a file and name is empty or matches).
func LoadSite(loc config.Location, name string) (*Site, error) {
	files, err := loc.Files()
	if err != nil {
		return nil, err
	}
	if len(files) == 1 && files[0] == loc.Path {
		s, err := loadFile(loc, files[0])
		if err != nil {
			return nil, err
		}
		if name != "" && s.Name != name {
			return nil, fmt.Errorf("crawler: %s defines site %q, not %q: %w", s.file, s.Name, name, ErrUnknownSite)
		}
		return s, nil
	}
	sites, err := LoadSites(loc)
	if err != nil {
		return nil, err
	}
	s, ok := sites[name]
	if !ok {
		return nil, fmt.Errorf("crawler: site %q in %s: %w", name, loc, ErrUnknownSite)
	}
	return s, nil
}

func loadFile(loc config.Location, name string) (*Site, error) {
	data, err := loc.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("crawler: %s: %w", loc.String(), err)
	}
	label := strings.TrimSuffix(loc.String(), loc.Path) + name
	s, err := ParseSite(label, data)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// ParseSite decodes an adapter from YAML bytes; file names it in messages.
func ParseSite(file string, data []byte) (*Site, error) {
	s := &Site{}
	if err := config.Decode(file, data, s); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	s.version = hex.EncodeToString(sum[:])[:12]
	s.file = file
	return s, nil
}

// Rebase returns a copy of the adapter pointed at another origin (scheme,
// host and port of base): a local mirror, a staging copy, or the fake
// marketplace on whatever port it got. allowed_domains entries naming the
// old host are replaced by the new host; base's path, if any, replaces
// base_url's.
func (s *Site) Rebase(base string) (*Site, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("crawler: rebase %s: %q is not an absolute http(s) URL", s.Name, base)
	}
	c := *s
	nb := *s.base
	nb.Scheme, nb.Host = u.Scheme, u.Host
	if u.Path != "" && u.Path != "/" {
		nb.Path = u.Path
	}
	c.base = &nb
	c.BaseURL = nb.String()
	old := strings.ToLower(s.base.Hostname())
	c.AllowedDomains = nil
	for _, d := range s.AllowedDomains {
		if strings.ToLower(d) == old {
			d = u.Hostname()
		}
		c.AllowedDomains = append(c.AllowedDomains, d)
	}
	c.domains = nil
	for _, d := range c.AllowedDomains {
		d = strings.ToLower(d)
		if strings.HasPrefix(d, "*.") {
			d = d[1:]
		}
		c.domains = append(c.domains, d)
	}
	return &c, nil
}

// WithoutItems returns a copy of the adapter that reads only search pages
// (`markwatch crawl --no-follow`).
func (s *Site) WithoutItems() *Site {
	c := *s
	if s.Item != nil {
		item := *s.Item
		item.Follow = false
		c.Item = &item
	}
	return &c
}

// UnmappedHosts are the adapter's allowed_domains that mirrors does not
// map (a "*.x" entry counts as mapped only by a "*" mirror), other than
// the hosts in also (the host of a --base-url, say).
func (s *Site) UnmappedHosts(mirrors Mirrors, also ...string) []string {
	if _, all := mirrors["*"]; all {
		return nil
	}
	var out []string
	for _, d := range s.AllowedDomains {
		ld := strings.ToLower(d)
		if slices.ContainsFunc(also, func(h string) bool { return strings.EqualFold(h, ld) }) {
			continue
		}
		if _, ok := mirrors[ld]; ok {
			continue
		}
		out = append(out, d)
	}
	return out
}

// BlockedBy says which of the adapter's blocked markers a page matches
// ("" for none): status is the HTTP status, text the decoded body.
func (s *Site) BlockedBy(status int, text []byte) string {
	b := s.Blocked
	if b == nil {
		return ""
	}
	if slices.Contains(b.Status, status) {
		return fmt.Sprintf("status %d", status)
	}
	for _, t := range b.Text {
		if bytes.Contains(text, []byte(t)) {
			return fmt.Sprintf("text %q", t)
		}
	}
	if len(b.selectors) > 0 && s.Format == "html" {
		if root, err := html.Parse(bytes.NewReader(text)); err == nil {
			for i, sel := range b.selectors {
				if cascadia.Query(root, sel) != nil {
					return fmt.Sprintf("selector %q", b.Selectors[i])
				}
			}
		}
	}
	return ""
}
