package crawler

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"github.com/markwatch/markwatch"
	"golang.org/x/net/html"
)

// Extraction is what an adapter read from one page (already decoded to UTF-8).
type Extraction struct {
	// Listings in page order. On an item page, at most one: the item's fields.
	Listings []markwatch.Listing
	// Cards is how many card elements the item selector found, including
	// cards dropped for having no identity or for repeating another card.
	Cards int
	// Duplicates counts cards merged into another card with the same
	// listing id (an ad slot and the organic result).
	Duplicates int
	// Next is the absolute URL of the next search page, if the page links one.
	Next string
	// NoResults: the no_results marker matched.
	NoResults bool
	// Missing counts, per field, the cards where the field's selectors or
	// paths found nothing (for `markwatch sites check` and logs).
	Missing map[string]int
	// Blank counts, per field, the cards where something was found but no
	// usable value: empty, ignored or a placeholder.
	Blank map[string]int
	// Samples keeps, per field, the first values read, for reports.
	Samples map[string][]string
	// Malformed is set when a JSON page could not be decoded.
	Malformed error
}

// Found is on how many cards field has a usable value.
func (ex *Extraction) Found(field string) int { return ex.Cards - ex.Missing[field] - ex.Blank[field] }

func newExtraction() *Extraction {
	return &Extraction{Missing: map[string]int{}, Blank: map[string]int{}, Samples: map[string][]string{}}
}

var baseSelector = goquery.SingleMatcher(cascadia.MustCompile("base[href]"))

// ExtractSearch reads listing cards from a search page. pageURL is the
// page's final URL, against which relative links resolve. It never panics
// on any input; a JSON body that cannot be decoded yields an Extraction with
// Malformed set.
func (s *Site) ExtractSearch(body []byte, pageURL *url.URL) *Extraction {
	if s.Format == "json" {
		return s.extractJSON(body, pageURL, &s.listing, true)
	}
	if s.listing.script != nil {
		return s.extractScript(body, pageURL, &s.listing)
	}
	return s.extractHTML(body, pageURL, &s.listing, true)
}

// ExtractItem reads an item page's fields into one listing (fields not on
// the page stay empty).
func (s *Site) ExtractItem(body []byte, pageURL *url.URL) *Extraction {
	if s.Format == "json" {
		return s.extractJSON(body, pageURL, &s.item, false)
	}
	return s.extractHTML(body, pageURL, &s.item, false)
}

// card is one listing read off a page, before duplicates are merged.
type card struct {
	listing markwatch.Listing
	ad      bool
}

func (s *Site) extractHTML(body []byte, pageURL *url.URL, rules *compiledRules, search bool) *Extraction {
	ex := newExtraction()
	root, err := html.Parse(bytes.NewReader(body))
	if err != nil { // only on reader errors; the HTML5 parser accepts any bytes
		ex.Malformed = fmt.Errorf("%w: %v", ErrMalformed, err)
		return ex
	}
	doc := goquery.NewDocumentFromNode(root)
	base := pageURL
	if href, ok := doc.FindMatcher(baseSelector).Attr("href"); ok {
		if b, err := url.Parse(strings.TrimSpace(href)); err == nil && pageURL != nil {
			base = pageURL.ResolveReference(b)
		}
	}
	if !search {
		ex.Cards = 1
		l := s.listingFrom(rules, base, ex, func(c *compiledChoice) (string, bool) { return htmlValue(doc.Selection, c) })
		ex.Listings = append(ex.Listings, l)
		return ex
	}
	cards := doc.FindMatcher(rules.item)
	ex.Cards = cards.Length()
	var read []card
	cards.Each(func(_ int, sel *goquery.Selection) {
		l := s.listingFrom(rules, base, ex, func(c *compiledChoice) (string, bool) { return htmlValue(sel, c) })
		ad := rules.ad != nil && (sel.IsMatcher(rules.ad) || sel.FindMatcher(goquery.SingleMatcher(rules.ad)).Length() > 0)
		read = append(read, card{l, ad})
	})
	ex.Listings = dedupe(read, ex)
	if rules.next != nil {
		if href, ok := doc.FindMatcher(goquery.SingleMatcher(rules.next)).Attr("href"); ok {
			ex.Next = resolve(base, href)
		}
	}
	if rules.none != nil {
		ex.NoResults = doc.FindMatcher(goquery.SingleMatcher(rules.none)).Length() > 0
	}
	return ex
}

// dedupe drops cards without an identity and merges cards with the same
// listing id into one, at the position of the first organic card (the
// first card when all are ads), marked Ad when any of them was an ad.
func dedupe(cards []card, ex *Extraction) []markwatch.Listing {
	type group struct {
		keep int // index into cards
		ad   bool
	}
	groups := map[string]*group{}
	var order []string
	for i, c := range cards {
		id := c.listing.ID
		if id == "" {
			continue
		}
		g, seen := groups[id]
		if !seen {
			groups[id] = &group{keep: i, ad: c.ad}
			order = append(order, id)
			continue
		}
		ex.Duplicates++
		g.ad = g.ad || c.ad
		if cards[g.keep].ad && !c.ad {
			g.keep = i
		}
	}
	// Page order of the kept cards.
	keep := make([]int, 0, len(order))
	for _, id := range order {
		keep = append(keep, groups[id].keep)
	}
	slices.Sort(keep)
	out := make([]markwatch.Listing, 0, len(keep))
	for _, i := range keep {
		l := cards[i].listing
		l.Ad = groups[l.ID].ad
		out = append(out, l)
	}
	return out
}

// htmlValue reads one choice of a field from a card; found is false when
// the selector (or attribute) matched nothing.
func htmlValue(card *goquery.Selection, c *compiledChoice) (string, bool) {
	one := func(sel *goquery.Selection) (string, bool) {
		if c.attr == "" {
			return collapse(sel.Text()), true
		}
		v, ok := sel.Attr(c.attr)
		return collapse(v), ok
	}
	if c.sel == nil {
		return one(card)
	}
	if c.join == "" {
		m := card.FindMatcher(goquery.SingleMatcher(c.sel))
		if m.Length() == 0 {
			return "", false
		}
		return one(m)
	}
	var parts []string
	found := false
	card.FindMatcher(c.sel).Each(func(_ int, sel *goquery.Selection) {
		if v, ok := one(sel); ok {
			found = true
			if v != "" {
				parts = append(parts, v)
			}
		}
	})
	return strings.Join(parts, c.join), found
}

func (s *Site) extractJSON(body []byte, pageURL *url.URL, rules *compiledRules, search bool) *Extraction {
	ex := newExtraction()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		ex.Malformed = fmt.Errorf("%w: JSON: %v", ErrMalformed, err)
		return ex
	}
	if !search {
		ex.Cards = 1
		ex.Listings = append(ex.Listings, s.listingFrom(rules, pageURL, ex, func(c *compiledChoice) (string, bool) { return jsonValue(doc, c) }))
		return ex
	}
	s.cardsFromJSON(doc, pageURL, rules, ex)
	return ex
}

// extractScript reads the cards of a search page from the JSON document
// that listing.script finds in it.
func (s *Site) extractScript(body []byte, pageURL *url.URL, rules *compiledRules) *Extraction {
	ex := newExtraction()
	var firstErr error
	for _, m := range rules.script.FindAllSubmatchIndex(body, -1) {
		if m[2] < 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(body[m[2]:]))
		dec.UseNumber()
		var doc any
		if err := dec.Decode(&doc); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		s.cardsFromJSON(doc, pageURL, rules, ex)
		return ex
	}
	if firstErr != nil {
		ex.Malformed = fmt.Errorf("%w: listing.script JSON: %v", ErrMalformed, firstErr)
	}
	return ex // no document: no cards, and no no-results marker
}

// cardsFromJSON reads the cards, next page and no-results marker of a
// search document (a format json page, or listing.script's document).
func (s *Site) cardsFromJSON(doc any, pageURL *url.URL, rules *compiledRules, ex *Extraction) {
	if v, ok := walk(doc, rules.itemPath); ok {
		items, isArray := v.([]any)
		if isArray {
			ex.Cards = len(items)
			// An empty array where the items should be is a genuine empty
			// page: the document answered in the shape the adapter knows.
			ex.NoResults = len(items) == 0
			var read []card
			for _, item := range items {
				l := s.listingFrom(rules, pageURL, ex, func(c *compiledChoice) (string, bool) { return jsonValue(item, c) })
				ad := false
				if rules.adPath != nil {
					v, ok := walk(item, rules.adPath)
					ad = ok && truthy(v)
				}
				read = append(read, card{l, ad})
			}
			ex.Listings = dedupe(read, ex)
		}
	}
	if rules.nextPath != nil {
		if v, ok := walk(doc, rules.nextPath); ok {
			if t := jsonText(v, ""); t != "" && t != "false" && t != "true" {
				ex.Next = resolve(pageURL, t)
			}
		}
	}
	if rules.nonePath != nil {
		if v, ok := walk(doc, rules.nonePath); ok && truthy(v) {
			ex.NoResults = true
		}
	}
}

func jsonValue(item any, c *compiledChoice) (string, bool) {
	v, ok := walk(item, c.path)
	if !ok || v == nil {
		return "", false
	}
	return collapse(jsonText(v, c.join)), true
}

// sampleCount is how many values per field an Extraction keeps for reports.
const sampleCount = 3

// listingFrom builds a listing from the fields read by value: for each
// field, the first choice that yields a usable value.
func (s *Site) listingFrom(rules *compiledRules, base *url.URL, ex *Extraction, value func(*compiledChoice) (string, bool)) markwatch.Listing {
	l := markwatch.Listing{Site: s.Name}
	for i := range rules.fields {
		f := &rules.fields[i]
		var v string
		found, usable := false, false
		for j := range f.choices {
			c := &f.choices[j]
			raw, ok := value(c)
			if !ok {
				continue
			}
			found = true
			for k := range c.steps {
				raw = c.steps[k].apply(raw, base)
			}
			if c.pattern != nil {
				raw = applyPattern(c.pattern, raw)
			}
			if !unusable(f.name, raw, f.ignore) {
				v, usable = raw, true
				break
			}
		}
		switch {
		case !found:
			ex.Missing[f.name]++
		case !usable:
			ex.Blank[f.name]++
		}
		s.setField(&l, f.name, v, base)
		if usable && len(ex.Samples[f.name]) < sampleCount {
			ex.Samples[f.name] = append(ex.Samples[f.name], fieldText(l, f.name))
		}
	}
	if l.ID == "" && l.URL != "" {
		l.ID = s.CanonicalURL(l.URL)
	}
	return l
}

func applyPattern(re *regexp.Regexp, v string) string {
	m := re.FindStringSubmatch(v)
	switch {
	case m == nil:
		return ""
	case len(m) > 1:
		return m[1]
	default:
		return m[0]
	}
}

func (s *Site) setField(l *markwatch.Listing, name, v string, base *url.URL) {
	switch name {
	case "id":
		l.ID = v
	case "title":
		l.Title = v
	case "url":
		l.URL = resolve(base, v)
	case "price":
		if p, cur, ok := ParsePriceIn(v, s.Currency); ok {
			l.Price, l.Currency = &p, cur
		}
	case "seller":
		l.Seller = v
	case "ship_from":
		l.ShipFrom = v
	case "image":
		l.Image = resolve(base, v)
	case "images":
		l.Images = nil
		for _, u := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
			if !unusable("image", u, nil) {
				l.Images = append(l.Images, resolve(base, u))
			}
		}
	case "description":
		l.Description = v
	case "category":
		l.Category = v
	}
}

// merge lays an item page's non-empty fields over the card's listing.
func merge(card markwatch.Listing, item markwatch.Listing) markwatch.Listing {
	out := card
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&out.Title, item.Title)
	set(&out.Description, item.Description)
	set(&out.Seller, item.Seller)
	set(&out.ShipFrom, item.ShipFrom)
	set(&out.Category, item.Category)
	set(&out.Image, item.Image)
	if len(item.Images) > 0 {
		out.Images = item.Images
	}
	// A price of zero or below is no price (a placeholder, 面议): it does
	// not replace the card's.
	if _, ok := item.PriceValue(); ok || out.Price == nil {
		out.Price, out.Currency = item.Price, item.Currency
	}
	if out.ID == "" {
		out.ID = item.ID
	}
	if out.URL == "" {
		out.URL = item.URL
	}
	return out
}

// fieldText is a listing field as text, for reports.
func fieldText(l markwatch.Listing, name string) string {
	switch name {
	case "id":
		return l.ID
	case "title":
		return l.Title
	case "url":
		return l.URL
	case "price":
		if l.Price == nil {
			return ""
		}
		return strings.TrimSpace(strconv.FormatFloat(*l.Price, 'f', -1, 64) + " " + l.Currency)
	case "seller":
		return l.Seller
	case "ship_from":
		return l.ShipFrom
	case "image":
		return l.Image
	case "images":
		return strings.Join(l.Images, " ")
	case "description":
		return l.Description
	case "category":
		return l.Category
	}
	return ""
}
