package crawler

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// CoverageWarn is the share of cards below which a field's coverage is a
// warning in `sites check`.
const CoverageWarn = 0.9

// FieldCoverage is how well one field was read off a saved page.
type FieldCoverage struct {
	Field string `json:"field"`
	// Found is on how many of Cards the field had a usable value.
	Found int `json:"found"`
	Cards int `json:"cards"`
	// Missing: cards where no selector or path matched; Blank: matched,
	// but empty, ignored or a placeholder.
	Missing int `json:"missing"`
	Blank   int `json:"blank"`
	// Rule is how the field is read, as the adapter says it.
	Rule    string   `json:"rule"`
	Samples []string `json:"samples"`
	Warning string   `json:"warning,omitempty"`
}

// CheckReport is what `markwatch sites check` prints about an adapter and,
// optionally, a saved page: for every field, on how many cards it was
// found and what it read.
type CheckReport struct {
	Site *Site
	// Page results (zero without a page).
	HasPage  bool
	Item     bool // the page was read as an item page
	Encoding string
	Ex       *Extraction
	Problems []string // fields that found nothing, a missing card selector…
	// Warnings: fields found on fewer than CoverageWarn of the cards.
	Warnings []string
	Coverage []FieldCoverage
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
			r.Ex = newExtraction()
			return r
		}
		rules = &s.item
		r.Ex = s.ExtractItem(text, base)
	} else {
		r.Ex = s.ExtractSearch(text, base)
	}
	ex := r.Ex
	if ex.Malformed != nil {
		r.Problems = append(r.Problems, ex.Malformed.Error())
	}
	if !item && ex.Cards == 0 {
		if ex.NoResults {
			return r // a genuine "nothing found" page
		}
		what := fmt.Sprintf("listing.item %q found no cards", s.Listing.Item)
		if s.Listing.Script != nil {
			what = fmt.Sprintf("listing.script (pattern %q, items %q) found no cards", s.Listing.Script.Pattern, s.Listing.Script.Items)
		}
		r.Problems = append(r.Problems, fmt.Sprintf("%s and listing.no_results %s: on a live crawl this page counts as a layout change",
			what, describeNoResults(s.Listing.NoResults)))
		return r
	}
	section := "listing"
	if item {
		section = "item"
	}
	for _, f := range rules.fields {
		c := FieldCoverage{Field: f.name, Found: ex.Found(f.name), Cards: ex.Cards, Missing: ex.Missing[f.name],
			Blank: ex.Blank[f.name], Rule: describeField(f.spec), Samples: ex.Samples[f.name]}
		if c.Samples == nil {
			c.Samples = []string{}
		}
		switch {
		case c.Found == 0:
			r.Problems = append(r.Problems, fmt.Sprintf("%s.fields.%s: %s found nothing on any of the %d card(s)",
				section, f.name, c.Rule, ex.Cards))
		case float64(c.Found) < CoverageWarn*float64(ex.Cards):
			c.Warning = fmt.Sprintf("%s.fields.%s: %s found on only %d of %d cards (%d matched nothing, %d empty or ignored)",
				section, f.name, c.Rule, c.Found, ex.Cards, c.Missing, c.Blank)
			r.Warnings = append(r.Warnings, c.Warning)
		}
		r.Coverage = append(r.Coverage, c)
	}
	if ex.Duplicates > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%d card(s) repeat another card's listing id and were merged into it (an ad slot and its organic result?)", ex.Duplicates))
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

func describeField(f Field) string {
	parts := []string{describeWay(f)}
	for _, alt := range f.Or {
		parts = append(parts, "or "+describeWay(alt))
	}
	if len(f.Ignore) > 0 {
		parts = append(parts, fmt.Sprintf("ignoring %q", f.Ignore))
	}
	return strings.Join(parts, " ")
}

// describeWay is one way of reading a field: selector/attr or path, join,
// transform and pattern.
func describeWay(f Field) string {
	var parts []string
	switch {
	case f.Path != "":
		parts = append(parts, "path "+f.Path)
	case f.Selector == "" && f.Attr == "":
		parts = append(parts, "(the card)")
	default:
		sel := f.Selector
		if sel == "" {
			sel = "(the card)"
		}
		parts = append(parts, fmt.Sprintf("selector %q", sel))
		if f.Attr != "" {
			parts = append(parts, fmt.Sprintf("attr %q", f.Attr))
		}
	}
	if f.Join != "" {
		parts = append(parts, fmt.Sprintf("join %q", f.Join))
	}
	if len(f.Transform) > 0 {
		var steps []string
		for _, st := range f.Transform {
			if st.Name == "regex" {
				steps = append(steps, fmt.Sprintf("regex %q→%q", st.Regex, st.Replace))
			} else {
				steps = append(steps, st.Name)
			}
		}
		parts = append(parts, "transform "+strings.Join(steps, ", "))
	}
	if f.Pattern != "" {
		parts = append(parts, fmt.Sprintf("pattern %q", f.Pattern))
	}
	return strings.Join(parts, " ")
}

// WriteJSON prints the report as one JSON document, for scripts.
func (r *CheckReport) WriteJSON(w io.Writer) error {
	s := r.Site
	out := struct {
		Site          string          `json:"site"`
		File          string          `json:"file"`
		Version       string          `json:"version"`
		Currency      string          `json:"currency"`
		QueryEncoding string          `json:"query_encoding"`
		Page          bool            `json:"page"`
		Item          bool            `json:"item,omitempty"`
		Encoding      string          `json:"encoding,omitempty"`
		Cards         int             `json:"cards"`
		Listings      int             `json:"listings"`
		Duplicates    int             `json:"duplicates"`
		NoResults     bool            `json:"no_results,omitempty"`
		Next          string          `json:"next_page,omitempty"`
		Fields        []FieldCoverage `json:"fields"`
		Warnings      []string        `json:"warnings"`
		Problems      []string        `json:"problems"`
		OK            bool            `json:"ok"`
	}{Site: s.Name, File: s.file, Version: s.version, Currency: s.Currency, QueryEncoding: s.QueryEncoding,
		Page: r.HasPage, Item: r.Item, Encoding: r.Encoding, Fields: r.Coverage, Warnings: r.Warnings, Problems: r.Problems, OK: r.OK()}
	if r.Ex != nil {
		out.Cards, out.Listings, out.Duplicates, out.NoResults, out.Next = r.Ex.Cards, len(r.Ex.Listings), r.Ex.Duplicates, r.Ex.NoResults, r.Ex.Next
	}
	if out.Fields == nil {
		out.Fields = []FieldCoverage{}
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	if out.Problems == nil {
		out.Problems = []string{}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
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
	fmt.Fprintf(w, "  prices in %s unless the text names a currency; {query} encoded as %s\n", s.Currency, s.QueryEncoding)
	if sc := s.Listing.Script; sc != nil {
		fmt.Fprintf(w, "  cards from the JSON in the page at pattern %q, items %q (fields by path)\n", sc.Pattern, sc.Items)
	}
	if s.Fetch == "browser" {
		wait, scroll := "", 0
		if b := s.Browser; b != nil {
			wait, scroll = b.WaitFor, b.Scroll
		}
		fmt.Fprintf(w, "  pages rendered in headless Chromium (fetch: browser), waiting for %q, %d scroll(s); sites check reads the saved page as it is\n", wait, scroll)
	}
	if s.Cookies != "" {
		fmt.Fprintf(w, "  cookies from %s, sent only to matching allowed hosts (values never shown)\n", s.cookiesPath())
	}
	if p := s.Proxies; p != nil {
		fmt.Fprintf(w, "  %d proxies, round-robin (addresses and credentials never shown)\n", len(p.URLs))
	}
	if b := s.Blocked; b != nil {
		fmt.Fprintf(w, "  block pages (task released, site paused): selectors %q, text %q, status %v\n", b.Selectors, b.Text, b.Status)
	}
	if s.Listing.Ad != "" {
		fmt.Fprintf(w, "  ad cards marked by %q; cards with one listing id merge into the first organic one\n", s.Listing.Ad)
	} else {
		fmt.Fprintf(w, "  cards with one listing id merge into the first\n")
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
	if ex.Duplicates > 0 {
		fmt.Fprintf(w, "  %d duplicate card(s) merged\n", ex.Duplicates)
	}
	for _, c := range r.Coverage {
		mark := "ok"
		switch {
		case c.Found == 0:
			mark = "NOTHING FOUND"
		case c.Warning != "":
			mark = "WARNING"
		}
		pct := 0.0
		if c.Cards > 0 {
			pct = 100 * float64(c.Found) / float64(c.Cards)
		}
		fmt.Fprintf(w, "  %-11s %-14s found on %d/%d (%.0f%%)  %s\n", c.Field, mark, c.Found, c.Cards, pct, c.Rule)
		for i, v := range c.Samples {
			fmt.Fprintf(w, "      [%d] %q\n", i, v)
		}
	}
	if len(r.Problems) == 0 && len(r.Warnings) == 0 {
		fmt.Fprintln(w, "no problems found")
		return
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintf(w, "%d warning(s):\n", len(r.Warnings))
		for _, p := range r.Warnings {
			fmt.Fprintf(w, "  - %s\n", p)
		}
	}
	if len(r.Problems) > 0 {
		fmt.Fprintf(w, "%d problem(s):\n", len(r.Problems))
		for _, p := range r.Problems {
			fmt.Fprintf(w, "  - %s\n", p)
		}
	}
}

// OK reports whether the check found no problem.
func (r *CheckReport) OK() bool { return len(r.Problems) == 0 }
