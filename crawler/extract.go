package crawler

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

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
	// cards dropped for having no identity.
	Cards int
	// Next is the absolute URL of the next search page, if the page links one.
	Next string
	// NoResults: the no_results marker matched.
	NoResults bool
	// Missing counts, per field, the cards where the field's selector or
	// path found nothing (for `markwatch sites check` and logs).
	Missing map[string]int
	// Malformed is set when a JSON page could not be decoded.
	Malformed error
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

func (s *Site) extractHTML(body []byte, pageURL *url.URL, rules *compiledRules, search bool) *Extraction {
	ex := &Extraction{Missing: map[string]int{}}
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
		l := s.listingFrom(rules, base, ex, func(f *compiledField) (string, bool) { return htmlValue(doc.Selection, f) })
		ex.Listings = append(ex.Listings, l)
		return ex
	}
	cards := doc.FindMatcher(rules.item)
	ex.Cards = cards.Length()
	cards.Each(func(_ int, card *goquery.Selection) {
		l := s.listingFrom(rules, base, ex, func(f *compiledField) (string, bool) { return htmlValue(card, f) })
		if l.ID != "" {
			ex.Listings = append(ex.Listings, l)
		}
	})
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

// htmlValue reads one field from a card; found is false when the selector
// (or attribute) matched nothing.
func htmlValue(card *goquery.Selection, f *compiledField) (string, bool) {
	one := func(sel *goquery.Selection) (string, bool) {
		if f.attr == "" {
			return collapse(sel.Text()), true
		}
		v, ok := sel.Attr(f.attr)
		return collapse(v), ok
	}
	if f.sel == nil {
		return one(card)
	}
	if f.join == "" {
		m := card.FindMatcher(goquery.SingleMatcher(f.sel))
		if m.Length() == 0 {
			return "", false
		}
		return one(m)
	}
	var parts []string
	found := false
	card.FindMatcher(f.sel).Each(func(_ int, sel *goquery.Selection) {
		if v, ok := one(sel); ok {
			found = true
			if v != "" {
				parts = append(parts, v)
			}
		}
	})
	return strings.Join(parts, f.join), found
}

func (s *Site) extractJSON(body []byte, pageURL *url.URL, rules *compiledRules, search bool) *Extraction {
	ex := &Extraction{Missing: map[string]int{}}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		ex.Malformed = fmt.Errorf("%w: JSON: %v", ErrMalformed, err)
		return ex
	}
	if !search {
		ex.Cards = 1
		ex.Listings = append(ex.Listings, s.listingFrom(rules, pageURL, ex, func(f *compiledField) (string, bool) { return jsonValue(doc, f) }))
		return ex
	}
	if v, ok := walk(doc, rules.itemPath); ok {
		items, isArray := v.([]any)
		if isArray {
			ex.Cards = len(items)
			// An empty array where the items should be is a genuine empty
			// page: the API answered in the shape the adapter knows.
			ex.NoResults = len(items) == 0
			for _, item := range items {
				l := s.listingFrom(rules, pageURL, ex, func(f *compiledField) (string, bool) { return jsonValue(item, f) })
				if l.ID != "" {
					ex.Listings = append(ex.Listings, l)
				}
			}
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
	return ex
}

func jsonValue(item any, f *compiledField) (string, bool) {
	v, ok := walk(item, f.path)
	if !ok || v == nil {
		return "", false
	}
	return collapse(jsonText(v, f.join)), true
}

// listingFrom builds a listing from the fields read by value; a field read
// as found but empty counts as found.
func (s *Site) listingFrom(rules *compiledRules, base *url.URL, ex *Extraction, value func(*compiledField) (string, bool)) markwatch.Listing {
	l := markwatch.Listing{Site: s.Name}
	for i := range rules.fields {
		f := &rules.fields[i]
		v, found := value(f)
		if found && f.pattern != nil {
			v = applyPattern(f, v)
		}
		if !found {
			ex.Missing[f.name]++
		}
		setField(&l, f.name, v, base)
	}
	if l.ID == "" && l.URL != "" {
		l.ID = s.CanonicalURL(l.URL)
	}
	return l
}

func applyPattern(f *compiledField, v string) string {
	m := f.pattern.FindStringSubmatch(v)
	switch {
	case m == nil:
		return ""
	case len(m) > 1:
		return m[1]
	default:
		return m[0]
	}
}

func setField(l *markwatch.Listing, name, v string, base *url.URL) {
	switch name {
	case "id":
		l.ID = v
	case "title":
		l.Title = v
	case "url":
		l.URL = resolve(base, v)
	case "price":
		if p, ok := ParsePrice(v); ok {
			l.Price = &p
		}
	case "seller":
		l.Seller = v
	case "ship_from":
		l.ShipFrom = v
	case "image":
		l.Image = resolve(base, v)
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
	// A price of zero or below is no price (a placeholder, 面议): it does
	// not replace the card's.
	if _, ok := item.PriceValue(); ok || out.Price == nil {
		out.Price = item.Price
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
		return strconv.FormatFloat(*l.Price, 'f', -1, 64)
	case "seller":
		return l.Seller
	case "ship_from":
		return l.ShipFrom
	case "image":
		return l.Image
	case "description":
		return l.Description
	case "category":
		return l.Category
	}
	return ""
}
