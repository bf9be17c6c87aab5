package crawler

import (
	"fmt"
	"io"
	"net/url"
	"strings"
)

// CheckReport is what `markwatch sites check` prints about an adapter and,
// optionally, a saved page: for every field, on how many cards it was
// found and what it read.
type CheckReport struct {
	Site *Site
	// Page results (zero without a page).
	HasPage   bool
	Item      bool // the page was read as an item page
	Encoding  string
	Ex        *Extraction
	Problems  []string // fields that found nothing, a missing card selector…
	fieldRule []compiledField
}

// Describe is the report on the adapter alone, without a page.
func (s *Site) Describe() *CheckReport { return &CheckReport{Site: s} }

// Check reads a saved page with the adapter. item reads it as an item page
// (item.fields) instead of a search page. pageURL resolves relative links;
// empty means the adapter's base_url.
func (s *Site) Check(page []byte, item bool, pageURL string) *CheckReport {
	r := &CheckReport{Site: s, HasPage: true, Item: item}
	base := s.base
	if pageURL != "" {
		if u, err := url.Parse(pageURL); err == nil && u.IsAbs() {
			base = u
		}
	}
	text, enc, lossy := decodeBody(page, "", s.Encoding)
	r.Encoding = enc
	if lossy {
		r.Problems = append(r.Problems, fmt.Sprintf("the page does not decode cleanly as %s (set encoding: in the adapter?)", enc))
	}
	rules := &s.listing
	if item {
		if s.Item == nil {
			r.Problems = append(r.Problems, "the adapter has no item: section to read an item page with")
			r.Ex = &Extraction{Missing: map[string]int{}}
			return r
		}
		rules = &s.item
		r.Ex = s.ExtractItem(text, base)
	} else {
		r.Ex = s.ExtractSearch(text, base)
	}
	r.fieldRule = rules.fields
	ex := r.Ex
	if ex.Malformed != nil {
		r.Problems = append(r.Problems, ex.Malformed.Error())
	}
	if !item && ex.Cards == 0 {
		if ex.NoResults {
			return r // a genuine "nothing found" page
		}
		r.Problems = append(r.Problems, fmt.Sprintf("listing.item %q found no cards and listing.no_results %s: on a live crawl this page counts as a layout change",
			s.Listing.Item, describeNoResults(s.Listing.NoResults)))
		return r
	}
	for _, f := range rules.fields {
		if n := ex.Missing[f.name]; n == ex.Cards {
			r.Problems = append(r.Problems, fmt.Sprintf("%s.fields.%s: %s found nothing on any of the %d card(s)",
				map[bool]string{false: "listing", true: "item"}[item], f.name, describeField(s.Format, f.spec), ex.Cards))
		}
	}
	if !item && ex.Cards > 0 && len(ex.Listings) == 0 {
		r.Problems = append(r.Problems, "cards were found but none had an id or url: every card was dropped")
	}
	return r
}

func describeNoResults(sel string) string {
	if sel == "" {
		return "is not set"
	}
	return fmt.Sprintf("%q did not match", sel)
}

func describeField(format string, f Field) string {
	var parts []string
	if format == "json" {
		p := f.Path
		if p == "" {
			p = "(the item)"
		}
		parts = append(parts, "path "+p)
	} else {
		sel := f.Selector
		if sel == "" {
			sel = "(the card)"
		}
		parts = append(parts, fmt.Sprintf("selector %q", sel))
		if f.Attr != "" {
			parts = append(parts, fmt.Sprintf("attr %q", f.Attr))
		}
	}
	return strings.Join(parts, " ")
}

// Write prints the report for a person.
func (r *CheckReport) Write(w io.Writer) {
	s := r.Site
	fmt.Fprintf(w, "site %s (%s) version %s\n", s.Name, s.file, s.version)
	fmt.Fprintf(w, "  base_url %s, allowed_domains %s, format %s, encoding %s\n", s.BaseURL, strings.Join(s.AllowedDomains, " "), s.Format, s.Encoding)
	if s.Authorized() {
		fmt.Fprintf(w, "  robots.txt not consulted: authorized (%s)\n", s.Authorization)
	} else {
		fmt.Fprintf(w, "  robots.txt respected\n")
	}
	fmt.Fprintf(w, "  rate %g/s burst %d per host; up to %d search pages; item pages followed: %v\n",
		s.Rate.RequestsPerSecond, s.Rate.Burst, s.Search.MaxPages, s.FollowItems())
	if u, err := s.SearchURL("耐克 air", 1); err == nil {
		fmt.Fprintf(w, "  search \"耐克 air\" page 1: %s\n", u)
	}
	if !r.HasPage {
		fmt.Fprintln(w, "adapter OK")
		return
	}
	ex := r.Ex
	kind := "search"
	if r.Item {
		kind = "item"
	}
	fmt.Fprintf(w, "page read as %s page, encoding %s: %d card(s), %d listing(s)", kind, r.Encoding, ex.Cards, len(ex.Listings))
	if ex.NoResults {
		fmt.Fprint(w, ", no-results marker matched")
	}
	if ex.Next != "" {
		fmt.Fprintf(w, ", next page %s", ex.Next)
	}
	fmt.Fprintln(w)
	for _, f := range r.fieldRule {
		found := ex.Cards - ex.Missing[f.name]
		mark := "ok"
		if found == 0 {
			mark = "NOTHING FOUND"
		}
		fmt.Fprintf(w, "  %-11s %-14s found on %d/%d  %s\n", f.name, mark, found, ex.Cards, describeField(s.Format, f.spec))
		for i, l := range ex.Listings {
			if i == 3 {
				fmt.Fprintf(w, "      … %d more\n", len(ex.Listings)-3)
				break
			}
			fmt.Fprintf(w, "      [%d] %q\n", i, fieldText(l, f.name))
		}
	}
	if len(r.Problems) == 0 {
		fmt.Fprintln(w, "no problems found")
		return
	}
	fmt.Fprintf(w, "%d problem(s):\n", len(r.Problems))
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  - %s\n", p)
	}
}

// OK reports whether the check found no problem.
func (r *CheckReport) OK() bool { return len(r.Problems) == 0 }
