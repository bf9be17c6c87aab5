package matchers

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/markwatch/markwatch"
)

// Describe writes, for people, what each mark of m will match: every name
// with the skeleton the automaton compares and the boundary rule it gets,
// the context and exclusions, and the values the verdict policy uses. It
// ends with warnings for names two marks share. `markwatch marks check`
// prints it.
func Describe(w io.Writer, m *Matcher) error {
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
			bw.printf("  name     %s → %s%s\n", n, sk, ruleOf(sk))
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
