package review

import (
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/store"
)

// Segment is a run of text, highlighted when it is a matched span.
type Segment struct {
	Text  string
	Hit   bool
	Desc  bool   // the span is a descriptive mention (适用于X), not counted
	Slang bool   // the span is counterfeit slang (高仿, 1:1), not a mark
	Label string // what matched, for the tooltip
}

// Highlight splits text into segments, marking the spans of the hits on
// field. Offsets are runes into text, the very text the matcher judged; a hit
// whose offsets do not select its Text is not highlighted (the text changed
// or the offsets are wrong), and overlapping spans are merged.
func Highlight(text string, hits []markwatch.Hit, field string) []Segment {
	return HighlightAll(text, hits, field, nil)
}

// HighlightAll is Highlight that also marks every occurrence of the slang
// words (case-insensitive for Latin letters).
func HighlightAll(text string, hits []markwatch.Hit, field string, slang []string) []Segment {
	runes := []rune(text)
	type span struct {
		start, end  int
		desc, slang bool
		label       string
	}
	var spans []span
	lower := []rune(strings.ToLower(text))
	if len(lower) == len(runes) {
		for _, word := range slang {
			w := []rune(strings.ToLower(word))
			if len(w) == 0 {
				continue
			}
			for i := 0; i+len(w) <= len(lower); i++ {
				if string(lower[i:i+len(w)]) == string(w) {
					spans = append(spans, span{start: i, end: i + len(w), slang: true, label: "counterfeit slang"})
					i += len(w) - 1
				}
			}
		}
	}
	for _, h := range hits {
		if h.Field != field || h.Start < 0 || h.End > len(runes) || h.Start >= h.End {
			continue
		}
		if h.Text != "" && string(runes[h.Start:h.End]) != h.Text {
			continue
		}
		spans = append(spans, span{start: h.Start, end: h.End, desc: h.Descriptive, label: fmt.Sprintf("%s (%s)", h.Mark, KindLabel(string(h.Kind)))})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	var merged []span
	for _, sp := range spans {
		if n := len(merged); n > 0 && sp.start < merged[n-1].end {
			last := &merged[n-1]
			last.end = max(last.end, sp.end)
			last.desc = last.desc && sp.desc
			last.slang = last.slang && sp.slang
			last.label += ", " + sp.label
			continue
		}
		merged = append(merged, sp)
	}
	var out []Segment
	pos := 0
	for _, sp := range merged {
		if sp.start > pos {
			out = append(out, Segment{Text: string(runes[pos:sp.start])})
		}
		out = append(out, Segment{Text: string(runes[sp.start:sp.end]), Hit: true, Desc: sp.desc, Slang: sp.slang, Label: sp.label})
		pos = sp.end
	}
	if pos < len(runes) {
		out = append(out, Segment{Text: string(runes[pos:])})
	}
	return out
}

// SlangWords reads the counterfeit words out of slang signals, whose detail
// is "高仿, 1:1 (strong)": the words, then the group in parentheses.
func SlangWords(signals []markwatch.Signal) []string {
	var out []string
	for _, sg := range signals {
		if sg.Type != "slang" {
			continue
		}
		d := sg.Detail
		if i := strings.LastIndex(d, " ("); i > 0 {
			d = d[:i]
		}
		d = strings.TrimPrefix(d, "counterfeit slang ")
		for _, w := range strings.Split(d, ", ") {
			if w = strings.TrimSpace(w); w != "" {
				out = append(out, w)
			}
		}
	}
	return out
}

// KindLabel names a mark kind in plain words.
func KindLabel(kind string) string {
	switch kind {
	case "trademark":
		return "registered trademark"
	case "special":
		return "special mark"
	case "gi":
		return "geographical indication"
	case "patent":
		return "patent marking"
	}
	return kind
}

// SignalLabel names a signal type in plain words.
func SignalLabel(typ string) string {
	switch typ {
	case "slang":
		return "Counterfeit slang in the text"
	case "price":
		return "Price far below the genuine floor"
	case "seller":
		return "Seller is not an authorised one"
	case "region":
		return "Shipped from outside the protected region"
	case "patent":
		return "Patent number that cannot be valid"
	case "special":
		return "Special mark used in commerce without a licence"
	}
	return typ
}

// HitWords describes a hit in a sentence.
func HitWords(h markwatch.Hit, name string) string {
	field := h.Field
	if field == "" {
		field = "text"
	}
	if name == "" || name == h.Mark {
		name = h.Mark
	} else {
		name = fmt.Sprintf("%s (%s)", name, h.Mark)
	}
	s := fmt.Sprintf("The %s says “%s”, which matches the %s %s", field, h.Text, KindLabel(string(h.Kind)), name)
	if h.ReadAs != "" {
		s += fmt.Sprintf(" (read as %s, via %s)", h.ReadAs, h.Via)
	}
	if h.Descriptive {
		s += ", but as a descriptive mention (such as “fits …”), which does not count"
	}
	return s + "."
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

func fmtDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// fmtPrice writes a price in its currency (ISO 4217; none or "" is CNY).
func fmtPrice(p *float64, currency ...string) string {
	if p == nil {
		return "—"
	}
	cur := ""
	if len(currency) > 0 {
		cur = currency[0]
	}
	switch cur {
	case "", "CNY":
		return fmt.Sprintf("¥%.2f", *p)
	case "USD":
		return fmt.Sprintf("US $%.2f", *p)
	case "HKD":
		return fmt.Sprintf("HK$%.2f", *p)
	case "EUR":
		return fmt.Sprintf("€%.2f", *p)
	}
	return fmt.Sprintf("%.2f %s", *p, cur)
}

// safeURL returns u when it is an absolute http(s) URL, else "": a
// javascript: or data: URL from a marketplace never becomes a link.
func safeURL(u string) string {
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return ""
	}
	return pu.String()
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// localNext accepts only a same-site path as a post-login destination.
func localNext(next string) string {
	const fallback = "/queue"
	// Browsers drop tabs and newlines from URLs and read a backslash as a
	// slash, so "/\t/evil.example" would become "//evil.example": refuse
	// every control character and backslash, then require a path with no
	// scheme or host that starts with exactly one slash.
	if next == "" || strings.ContainsAny(next, "\\") || strings.ContainsFunc(next, unicode.IsControl) {
		return fallback
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil ||
		!strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") || strings.HasPrefix(next, "//") {
		return fallback
	}
	return next
}

var funcs = template.FuncMap{
	"time":        fmtTime,
	"date":        fmtDate,
	"price":       fmtPrice,
	"kindLabel":   KindLabel,
	"signalLabel": SignalLabel,
	"safeURL":     safeURL,
	"statusLabel": func(s store.Status) string { return s.Label() },
	"score":       func(f float64) string { return fmt.Sprintf("%.2f", f) },
	"add":         func(a, b int) int { return a + b },
	"short":       func(h string) string { return h[:min(12, len(h))] },
	"pathEscape":  url.PathEscape,
}

func parseTemplates() map[string]*template.Template {
	pages := map[string]*template.Template{}
	names, _ := fs.Glob(templateFS, "templates/*.html")
	for _, name := range names {
		base := path.Base(name)
		if base == "layout.html" {
			continue
		}
		pages[base] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", name))
	}
	return pages
}
