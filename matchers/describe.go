package matchers

import (
	"sync"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"fmt"
	"io"
	"strings"
	"time"

	"github.com/markwatch/markwatch"
)

// Describe writes, for people, what each mark of m will match: every name
// with the boundary rule it gets and the obfuscations it catches,
// the context and exclusions, and the values the verdict policy uses. It
// ends with warnings for names two marks share. `markwatch marks check`
// prints it.
//
// Each name is shown with the kinds of obfuscation the matcher still finds
// it under, each with an example made from the name and checked against the
// normaliser; verbose adds the skeleton the automaton compares ("nlke" for
// NIKE: lower case, i and l as one letter), which reads like corruption to
// anyone who does not know the normaliser.
func Describe(w io.Writer, m *Matcher, verbose bool) error {
	now := m.now()
	bw := &errWriter{w: w}
	owners := map[string][]string{} // skeleton → mark ids
	for i := range m.marks {
		mk := &m.marks[i].Mark
		bw.printf("%s (%s)", mk.ID, mk.Kind)
		if mk.event != "" {
			bw.printf(" event %s", mk.event)
		}
		if mk.file != "" {
			bw.printf("  [%s]", mk.file)
		}
		bw.printf("\n")
		for _, n := range mk.Names {
			sk := foldString(n)
			owners[sk] = appendUnique(owners[sk], mk.ID)
			bw.printf("  name     %s%s\n", n, ruleOf(sk))
			if c := catches(n, sk); len(c) > 0 {
				bw.printf("           catches %s\n", strings.Join(c, ", "))
			}
			if verbose {
				bw.printf("           skeleton %s\n", sk)
			}
		}
		for _, a := range mk.Aliases {
			sk := foldString(a.Name)
			strength := "strong"
			if a.Weak() {
				strength = "weak"
			}
			bw.printf("  alias    %s → %s (%s)%s", a.Name, sk, strength, ruleOf(sk))
			if len(a.Context) > 0 {
				bw.printf("  with: %s", strings.Join(a.Context, ", "))
			}
			bw.printf("\n")
		}
		for _, n := range mk.Names {
			if rs := []rune(foldString(n)); allHan(rs) && len(rs) >= 2 {
				if _, reading := pinyinSpellings(rs); reading != "" {
					bw.printf("  sound    %s: pinyin %s and its homophones (weak: with context or a signal)\n", n, reading)
				}
			}
		}
		if len(mk.Context) > 0 {
			bw.printf("  context  needs one of: %s\n", strings.Join(mk.Context, ", "))
		}
		if len(mk.Exclude) > 0 {
			bw.printf("  exclude  %s\n", strings.Join(mk.Exclude, ", "))
		}
		switch mk.Kind {
		case markwatch.Trademark:
			if mk.MinPrice > 0 {
				bw.printf("  suspect  with counterfeit slang, or below %s CNY\n", fmtPrice(mk.MinPrice))
			} else {
				bw.printf("  suspect  with counterfeit slang\n")
			}
		case markwatch.Special:
			bw.printf("  suspect  whenever the seller is not licensed\n")
		case markwatch.GI:
			bw.printf("  suspect  when ship_from is outside: %s\n", strings.Join(mk.Regions, ", "))
		}
		if len(mk.AuthorizedSellers) > 0 {
			bw.printf("  licensed %s\n", strings.Join(mk.AuthorizedSellers, ", "))
		}
		bw.printf("  valid    %s\n", validity(mk, now))
	}
	var shared []string
	for sk, ids := range owners {
		if len(ids) > 1 {
			shared = append(shared, fmt.Sprintf("warning: %s all have a name that reads %q", strings.Join(ids, ", "), sk))
		}
	}
	for _, s := range sortedStrings(shared) {
		bw.printf("%s\n", s)
	}
	for _, s := range m.warnings {
		bw.printf("warning: %s\n", s)
	}
	patterns, states := m.Patterns()
	bw.printf("%d marks, %d slang groups, %d patterns, %d automaton states\n", len(m.marks), len(m.signals.Slang), patterns, states)
	return bw.err
}

func ruleOf(skeleton string) string {
	rs := []rune(skeleton)
	if len(rs) == 0 {
		return ""
	}
	latin := isASCIILetter(rs[0]) || isASCIILetter(rs[len(rs)-1])
	if latin && len(rs) <= 2 {
		return "  (Latin: whole word, written without separators)"
	}
	if latin {
		return "  (Latin: whole word)"
	}
	return ""
}

func validity(mk *Mark, now time.Time) string {
	if mk.ValidFrom.IsZero() && mk.ValidUntil.IsZero() {
		return "always"
	}
	from, until := "always", "open-ended"
	if !mk.ValidFrom.IsZero() {
		from = day(mk.ValidFrom)
	}
	if !mk.ValidUntil.IsZero() {
		until = day(mk.ValidUntil)
	}
	s := from + " .. " + until
	if !mk.ActiveOn(now) {
		s += " (not enforced today)"
	}
	return s
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func sortedStrings(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

// catches lists the kinds of obfuscation under which the matcher still
// finds name, each with an example made from name. An example is shown only
// if the normaliser really folds it to name's skeleton, so the list cannot
// promise more than the matcher does.
func catches(name, skeleton string) []string {
	var out []string
	add := func(label, example string) {
		if example != "" && example != name && foldString(example) == skeleton {
			out = append(out, label+" ("+example+")")
		}
	}
	rs := []rune(name)
	add("any case", otherCase(name))
	add("full-width", mapRunes(rs, func(r rune) rune {
		if r > ' ' && r < 0x7f {
			return r - 0x21 + 0xFF01
		}
		return r
	}))
	add("accents", firstLatin(rs, func(r rune) string {
		if !strings.ContainsRune("aeiouAEIOU", r) {
			return ""
		}
		return norm.NFC.String(string(r) + "\u0301") // é
	}))
	add("separators", separated(rs))
	add("I and l alike", firstLatin(rs, func(r rune) string {
		switch r {
		case 'I':
			return "l"
		case 'i', 'L':
			return "I"
		case 'l':
			return "I"
		}
		return ""
	}))
	add("digits and symbols for letters", firstLatin(rs, func(r rune) string {
		for d, letter := range contextualOrder {
			if unicode.ToLower(r) == letter || (letter == 'l' && unicode.ToLower(r) == 'i') {
				return string(contextualDigits[d])
			}
		}
		return ""
	}))
	if ex, from, to := lookAlike(rs); ex != "" && foldString(ex) == skeleton {
		out = append(out, fmt.Sprintf("Cyrillic or Greek look-alikes (%s %c for %c)", scriptOf(to), to, from))
	}
	add("traditional characters", traditional(rs))
	return out
}

// contextualDigits and contextualOrder list the contextual non-letters
// (normalize.go) in a fixed order: digits first.
var (
	contextualDigits = []rune{'0', '1', '3', '4', '5', '@', '$'}
	contextualOrder  = []rune{'o', 'l', 'e', 'a', 's', 'a', 's'}
)

// otherCase is name in lower case, or in upper case if it has no capitals.
func otherCase(name string) string {
	if lower := strings.ToLower(name); lower != name {
		return lower
	}
	return strings.ToUpper(name)
}

func mapRunes(rs []rune, f func(rune) rune) string {
	out := make([]rune, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return string(out)
}

// firstLatin replaces the first ASCII letter of rs that f has a
// replacement for; "" when there is none.
func firstLatin(rs []rune, f func(rune) string) string {
	for i, r := range rs {
		if r < 0x80 && unicode.IsLetter(r) {
			if rep := f(r); rep != "" {
				return string(rs[:i]) + rep + string(rs[i+1:])
			}
		}
	}
	return ""
}

// separated puts hyphens between the first letters and digits of a name
// (all of them when it is short): N-I-K-E, 耐-克, H-a-n-gzhou.
func separated(rs []rune) string {
	var b strings.Builder
	n := 0
	for _, r := range rs {
		if (unicode.IsLetter(r) || unicode.IsDigit(r)) && n < 4 {
			if n > 0 {
				b.WriteRune('-')
			}
			n++
		}
		b.WriteRune(r)
	}
	if n < 2 {
		return ""
	}
	return b.String()
}

// lookAlike replaces the first ASCII letter of rs that has a Cyrillic (else
// Greek) look-alike with it.
func lookAlike(rs []rune) (example string, from, to rune) {
	for i, r := range rs {
		if r >= 0x80 || !unicode.IsLetter(r) || strings.ContainsRune("IiLl", r) { // i and l: see "I and l alike"
			continue
		}
		var best rune
		for c, latin := range confusables {
			if c < 0x370 || latin != unicode.ToLower(r) || unicode.IsUpper(r) {
				continue
			}
			if best == 0 || (c >= 0x400) != (best >= 0x400) && c >= 0x400 || (c >= 0x400) == (best >= 0x400) && c < best {
				best = c
			}
		}
		for c, latin := range upperConfusables {
			if !unicode.IsUpper(r) || latin != unicode.ToLower(r) {
				continue
			}
			if best == 0 || (c >= 0x400) != (best >= 0x400) && c >= 0x400 || (c >= 0x400) == (best >= 0x400) && c < best {
				best = c
			}
		}
		if best != 0 {
			return string(rs[:i]) + string(best) + string(rs[i+1:]), r, best
		}
	}
	return "", 0, 0
}

func scriptOf(r rune) string {
	if r >= 0x400 {
		return "Cyrillic"
	}
	return "Greek"
}

var (
	simplifiedOnce sync.Once
	toTraditional  map[rune]rune // simplified → its lowest traditional form
)

// traditional writes rs's simplified characters in a traditional form the
// normaliser folds back; "" when none has one.
func traditional(rs []rune) string {
	simplifiedOnce.Do(func() {
		toTraditional = map[rune]rune{}
		for trad, simp := range folds().t2s {
			if cur, ok := toTraditional[simp]; !ok || trad < cur {
				toTraditional[simp] = trad
			}
		}
	})
	out := make([]rune, len(rs))
	changed := false
	for i, r := range rs {
		out[i] = r
		if t, ok := toTraditional[r]; ok {
			out[i], changed = t, true
		}
	}
	if !changed {
		return ""
	}
	return string(out)
}
