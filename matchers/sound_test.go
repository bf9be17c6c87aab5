package matchers

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/markwatch/markwatch/config"
)

// The syllable pass's filtered walk finds exactly what a scan of the
// syllable automaton finds, in the same order, on text dense with
// homophones of the marks (runes drawn from the marks' own readings, so
// that many windows pass the filter and many are occurrences), for the
// shipped marks (names of two characters and more) and a generated
// registry.
func TestSoundIndexFindsWhatTheAutomatonFinds(t *testing.T) {
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	shipped, err := Load(cfg.MarksLocation(), cfg.SignalsLocation())
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	generated, err := New(benchMarksN(rng, []rune(commonHan), 2000), benchSignals(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]*Matcher{"shipped": shipped, "generated": generated} {
		// Runes with a syllable, from the marks' names and others alike.
		var alphabet []rune
		for r := rune(0x4E00); r < 0x9FA5; r++ {
			if m.soundClass[r] != 0 {
				alphabet = append(alphabet, r)
			}
		}
		sameSound := map[uint16][]rune{}
		for _, r := range alphabet {
			sameSound[m.soundClass[r]] = append(sameSound[m.soundClass[r]], r)
		}
		var names [][]rune
		for _, mk := range m.Marks() {
			for _, n := range append(slices.Clone(mk.Names), aliasNames(mk)...) {
				if rs := []rune(n); allHan(rs) {
					names = append(names, rs)
				}
			}
		}
		total := 0
		var cls []int32
		for i := range 3000 {
			var text []rune
			for len(text) < 5+rng.IntN(60) {
				switch rng.IntN(6) {
				case 0:
					text = append(text, rune('a'+rng.IntN(26)))
				case 1, 2:
					text = append(text, alphabet[rng.IntN(len(alphabet))])
				default: // a name, each character or a homophone of it, cut short at times
					n := names[rng.IntN(len(names))]
					n = n[:1+rng.IntN(len(n))]
					for _, r := range n {
						if alt := sameSound[m.soundClass[r]]; len(alt) > 0 && rng.IntN(2) == 0 {
							r = alt[rng.IntN(len(alt))]
						}
						text = append(text, r)
					}
				}
			}
			want := m.sound.scanRunes(text, (*[0x10000]uint16)(m.soundClass), nil)
			var got []occurrence
			cls, got = m.soundIdx.scan(text, m.soundClass, cls, nil)
			if !slices.Equal(got, want) {
				t.Fatalf("%s, text %d %q: filtered walk %v, automaton %v", name, i, string(text), got, want)
			}
			total += len(want)
		}
		if total < 300 {
			t.Fatalf("%s: only %d occurrences in 3,000 texts: the test does not exercise the walk", name, total)
		}
		t.Logf("%s: %d occurrences compared", name, total)
	}
}

func aliasNames(mk Mark) []string {
	var out []string
	for _, a := range mk.Aliases {
		out = append(out, a.Name)
	}
	return out
}
