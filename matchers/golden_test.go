package matchers

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/markwatch/markwatch"
)

// goldenCase is one line of testdata/golden/*.txt (see README.txt there).
type goldenCase struct {
	file    string
	line    int
	class   string
	suspect bool
	hits    []string          // "id" or "~id", sorted
	texts   map[string]string // id → expected text of one of its hits
	listing markwatch.Listing
}

func readGolden(t *testing.T) []goldenCase { return readGoldenDir(t, "testdata/golden") }

func readGoldenDir(t *testing.T, dir string) []goldenCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	var cases []goldenCase
	for _, file := range files {
		if filepath.Base(file) == "README.txt" {
			continue
		}
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		class := ""
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			if strings.HasPrefix(line, "## ") {
				class = strings.TrimPrefix(line, "## ")
				continue
			}
			if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
				continue
			}
			c, err := parseGolden(line)
			if err != nil {
				t.Fatalf("%s:%d: %v", file, n, err)
			}
			c.file, c.line, c.class = filepath.Base(file), n, class
			c.listing.ID = fmt.Sprintf("%s:%d", c.file, n)
			cases = append(cases, c)
		}
		f.Close()
	}
	return cases
}

func parseGolden(line string) (goldenCase, error) {
	var c goldenCase
	parts := strings.SplitN(line, " | ", 4)
	if len(parts) < 3 {
		return c, fmt.Errorf("want expect | hits | title [| attributes], got %q", line)
	}
	switch strings.TrimSpace(parts[0]) {
	case "suspect":
		c.suspect = true
	case "clean":
	default:
		return c, fmt.Errorf("expect must be suspect or clean, got %q", parts[0])
	}
	c.texts = map[string]string{}
	if h := strings.TrimSpace(parts[1]); h != "-" {
		for _, item := range strings.Split(h, ",") {
			id, text, hasText := strings.Cut(item, "=")
			id = strings.TrimSpace(id)
			if hasText {
				c.texts[strings.TrimPrefix(id, "~")] = text
			}
			c.hits = append(c.hits, id)
		}
	}
	slices.Sort(c.hits)
	c.listing.Title = parts[2]
	if len(parts) == 4 {
		for _, kv := range strings.Split(parts[3], ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
			if !ok {
				return c, fmt.Errorf("attribute %q is not key=value", kv)
			}
			switch k {
			case "price":
				p, err := strconv.ParseFloat(v, 64)
				if err != nil {
					return c, fmt.Errorf("price: %w", err)
				}
				c.listing.Price = &p
			case "seller":
				c.listing.Seller = v
			case "ship":
				c.listing.ShipFrom = v
			case "desc":
				c.listing.Description = v
			case "category":
				c.listing.Category = v
			default:
				return c, fmt.Errorf("unknown attribute %q", k)
			}
		}
	}
	return c, nil
}

// hitSet is the verdict's hits as golden files write them.
func hitSet(v markwatch.Verdict) []string {
	var out []string
	for _, h := range v.Hits {
		id := h.Mark
		if h.Descriptive {
			id = "~" + id
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// TestGolden runs every golden case, requires each to come out as written,
// and reports precision and recall of the suspect verdicts and of the hits.
func TestGolden(t *testing.T) {
	m := defaultMatcher(t)
	cases := readGolden(t)
	if len(cases) < 150 {
		t.Errorf("only %d golden cases, issue 3 asks for at least 150", len(cases))
	}
	var tp, fp, fn, tn int         // suspect verdicts
	var hitTP, hitFP, hitFN int    // (case, hit) pairs
	classes := map[string][2]int{} // class → passed, total
	for _, c := range cases {
		v, err := m.Match(context.Background(), c.listing)
		if err != nil {
			t.Fatal(err)
		}
		checkHitTexts(t, c.listing, v)
		got := hitSet(v)
		switch {
		case c.suspect && v.Suspect:
			tp++
		case c.suspect:
			fn++
		case v.Suspect:
			fp++
		default:
			tn++
		}
		for _, h := range got {
			if slices.Contains(c.hits, h) {
				hitTP++
			} else {
				hitFP++
			}
		}
		for _, h := range c.hits {
			if !slices.Contains(got, h) {
				hitFN++
			}
		}
		ok := v.Suspect == c.suspect && slices.Equal(got, c.hits)
		for id, text := range c.texts {
			found := false
			for _, h := range v.Hits {
				found = found || (h.Mark == id && h.Text == text)
			}
			if !found {
				ok = false
				t.Errorf("%s:%d %q: no %s hit with text %q", c.file, c.line, c.listing.Title, id, text)
			}
		}
		pc := classes[c.class]
		pc[1]++
		if ok {
			pc[0]++
		} else {
			t.Errorf("%s:%d (%s) %q: got suspect=%v hits=%v, want suspect=%v hits=%v\n  score %.3f signals %+v", c.file, c.line, c.class, c.listing.Title, v.Suspect, got, c.suspect, c.hits, v.Score, v.Signals)
		}
		classes[c.class] = pc
	}
	ratio := func(a, b int) float64 {
		if b == 0 {
			return 1
		}
		return float64(a) / float64(b)
	}
	t.Logf("%d golden cases in %d classes: suspect precision %.3f recall %.3f (tp %d fp %d fn %d tn %d); hit precision %.3f recall %.3f",
		len(cases), len(classes), ratio(tp, tp+fp), ratio(tp, tp+fn), tp, fp, fn, tn, ratio(hitTP, hitTP+hitFP), ratio(hitTP, hitTP+hitFN))
}

// checkHitTexts asserts the offset contract: every hit's text is exactly
// the original field's runes [start, end).
func checkHitTexts(t testing.TB, l markwatch.Listing, v markwatch.Verdict) {
	t.Helper()
	for _, h := range v.Hits {
		field := l.Title
		if h.Field == "description" {
			field = l.Description
		}
		runes := []rune(field)
		if h.Start < 0 || h.End > len(runes) || h.Start >= h.End {
			t.Fatalf("%q: hit %+v out of range (%d runes)", field, h, len(runes))
		}
		if got := string(runes[h.Start:h.End]); got != h.Text {
			t.Fatalf("%q: hit %+v: text %q, but the field has %q there", field, h, h.Text, got)
		}
	}
}

// TestGoldenEvasion runs the issue-12 cases (testdata/evasion): listings
// that name a mark without writing its name, and hard negatives of the same
// shape. They were written after the mechanisms and are not tuned to pass,
// so the test reports precision and recall per class (of the suspect
// verdicts, and of the hits) and every miss, and fails only below the floors
// the issue sets.
func TestGoldenEvasion(t *testing.T) {
	m := defaultMatcher(t)
	cases := readGoldenDir(t, "testdata/evasion")
	if len(cases) < 200 {
		t.Errorf("only %d evasion cases, issue 12 asks for at least 200", len(cases))
	}
	type counts struct{ n, tp, fp, fn, hitTP, hitFP, hitFN, pos, neg int }
	perClass := map[string]*counts{}
	var order []string
	total := &counts{}
	for _, c := range cases {
		class, _, _ := strings.Cut(c.class, ":")
		k := perClass[class]
		if k == nil {
			k = &counts{}
			perClass[class] = k
			order = append(order, class)
		}
		v, err := m.Match(context.Background(), c.listing)
		if err != nil {
			t.Fatal(err)
		}
		checkHitTexts(t, c.listing, v)
		got := hitSet(v)
		for _, x := range []*counts{k, total} {
			x.n++
			if c.suspect {
				x.pos++
			} else {
				x.neg++
			}
			switch {
			case c.suspect && v.Suspect:
				x.tp++
			case c.suspect:
				x.fn++
			case v.Suspect:
				x.fp++
			}
			for _, h := range got {
				if slices.Contains(c.hits, h) {
					x.hitTP++
				} else {
					x.hitFP++
				}
			}
			for _, h := range c.hits {
				if !slices.Contains(got, h) {
					x.hitFN++
				}
			}
		}
		textOK := true
		for id, text := range c.texts {
			found := false
			for _, h := range v.Hits {
				found = found || (h.Mark == id && h.Text == text)
			}
			textOK = textOK && found
		}
		if v.Suspect != c.suspect || !slices.Equal(got, c.hits) || !textOK {
			var how []string
			for _, h := range v.Hits {
				how = append(how, h.Explain())
			}
			t.Logf("miss %s:%d (%s) %q: got suspect=%v hits=%v %v, want suspect=%v hits=%v", c.file, c.line, class, c.listing.Title, v.Suspect, got, how, c.suspect, c.hits)
		}
	}
	ratio := func(a, b int) float64 {
		if b == 0 {
			return 1
		}
		return float64(a) / float64(b)
	}
	for _, class := range order {
		k := perClass[class]
		t.Logf("%-15s %3d cases (%2d suspect, %2d clean): suspect P %.2f R %.2f; hits P %.2f R %.2f", class, k.n, k.pos, k.neg,
			ratio(k.tp, k.tp+k.fp), ratio(k.tp, k.tp+k.fn), ratio(k.hitTP, k.hitTP+k.hitFP), ratio(k.hitTP, k.hitTP+k.hitFN))
		if k.pos < 5 || k.neg < 5 {
			t.Errorf("class %s: %d suspect and %d clean cases, want both sides", class, k.pos, k.neg)
		}
	}
	p, r := ratio(total.tp, total.tp+total.fp), ratio(total.tp, total.tp+total.fn)
	t.Logf("all %d cases: suspect P %.3f R %.3f; hits P %.3f R %.3f", total.n, p, r,
		ratio(total.hitTP, total.hitTP+total.hitFP), ratio(total.hitTP, total.hitTP+total.hitFN))
	if p < 0.9 || r < 0.9 {
		t.Errorf("evasion set: suspect precision %.3f recall %.3f, want both at least 0.9", p, r)
	}
}
