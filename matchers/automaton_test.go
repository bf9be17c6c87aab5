package matchers

import (
	"math/rand/v2"
	"slices"
	"testing"
	"unicode/utf8"
)

// TestAutomatonFindsEveryOccurrence compares the automaton with a naive
// search on random patterns and texts over a small alphabet (many overlaps,
// shared prefixes and suffixes), then over a large alphabet with many
// patterns (wide states: the double array's placing of children around
// each other, holes filled by later states).
func TestAutomatonFindsEveryOccurrence(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	small := []rune("ab亚运会cdefgh")
	large := []rune(commonHan[:600] + "abcdefghijklmnopqrstuvwxyz")
	alphabet := small
	word := func(n int) []rune {
		w := make([]rune, n)
		for i := range w {
			w[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return w
	}
	for round := 0; round < 40; round++ {
		b := newAutomatonBuilder()
		var pats [][]rune
		n := 1 + rng.IntN(60)
		if round >= 30 {
			alphabet, n = large, 3000
			if round%2 == 1 { // a few first runes, so that states are wide
				alphabet = large[:40]
			}
		}
		for i := 0; i < n && len(pats) < 400; i++ {
			p := word(1 + rng.IntN(5))
			if !slices.ContainsFunc(pats, func(q []rune) bool { return slices.Equal(p, q) }) {
				pats = append(pats, p)
			}
			b.add(p, target{kind: targetName, index: int32(i)})
		}
		a := b.build()
		for k := 0; k < 20; k++ {
			text := word(rng.IntN(40))
			got := map[[3]int]bool{}
			for _, o := range a.scan(text, nil) {
				key := [3]int{int(o.start), int(o.end), 0}
				key[2] = slices.IndexFunc(pats, func(q []rune) bool { return string(q) == string(b.keys[o.pattern]) })
				got[key] = true
			}
			want := map[[3]int]bool{}
			for pi, p := range pats {
				for i := 0; i+len(p) <= len(text); i++ {
					if slices.Equal(text[i:i+len(p)], p) {
						want[[3]int{i, i + len(p), pi}] = true
					}
				}
			}
			if len(got) != len(want) {
				t.Fatalf("text %q: found %d occurrences, naive search %d", string(text), len(got), len(want))
			}
			for k := range want {
				if !got[k] {
					t.Fatalf("text %q: missed %q at %d", string(text), string(pats[k[2]]), k[0])
				}
			}
			if n := a.countString(string(text)); n != len(want) {
				t.Fatalf("countString %q = %d, want %d", string(text), n, len(want))
			}
		}
	}
}

func TestNormalizeClasses(t *testing.T) {
	cases := []struct{ in, want string }{
		{"N I K E", "nlke"},  // separators, case, i/l merged
		{"耐-克", "耐克"},        // CJK separators
		{"ＰＲＡＤＡ", "prada"},   // full width
		{"ⓃⒾⓀⒺ", "nlke"},     // circled
		{"𝐃𝐈𝐎𝐑", "dlor"},     // mathematical bold, outside the BMP
		{"愛馬仕", "爱马仕"},       // traditional
		{"Chаnel", "chanel"}, // Cyrillic а
		{"Ηermes", "hermes"}, // Greek capital eta is H, not n
		{"R0LEX", "rolex"},   // digit for letter next to letters
		{"ROL3X", "rolex"},   //
		{"CH@NEL", "chanel"}, // symbol for letter
		{"2022", "2022"},     // digits alone stay digits
		{"杭州2022", "杭州2022"}, //
		{"耐\u200b克", "耐克"},   // zero-width space
		{"HERMÈS", "hermes"}, // combining marks dropped
		{"高.仿", "高仿"},        //
		{"1:1", "11"},        // separators go; 1:1 is told from 11 by its pattern rule
		{"Louis  Vuitton", "loulsvultton"},
	}
	for _, c := range cases {
		if got := foldString(c.in); got != c.want {
			t.Errorf("foldString(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	// Offsets point at the original runes.
	sk, from := Normalize("A·B 耐克")
	if string(sk) != "ab耐克" || !slices.Equal(from, []int{0, 2, 4, 5}) {
		t.Errorf("Normalize = %q %v", string(sk), from)
	}
}

func TestSeparatorBetweenDigits(t *testing.T) {
	for in, want := range map[string]bool{"1:1": true, "1 : 1": true, "1比1": false, "A货": false, "11": false} {
		if got := separatorBetweenDigits(in); got != want {
			t.Errorf("separatorBetweenDigits(%q) = %v", in, got)
		}
	}
}

// TestNormalizeDecodes: the normaliser's own UTF-8 decoding of three-byte
// sequences agrees with the standard library's on every lead byte and on
// continuation bytes at and around their limits (overlong forms,
// surrogates, truncated and invalid sequences are the library's).
func TestNormalizeDecodes(t *testing.T) {
	edges := []byte{0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xE0, 0xFF}
	var x text
	for lead := 0xE0; lead <= 0xEF; lead++ {
		for _, b1 := range edges {
			for _, b2 := range edges {
				for _, tail := range []string{"", "a", "耐"} {
					s := string([]byte{byte(lead), b1, b2}) + tail
					folds().normalize(&x, s)
					if want := []rune(s); !slices.Equal(x.orig, want) {
						t.Fatalf("% x: decoded %U, want %U", s, x.orig, want)
					}
					// Hit texts are substrings of a valid field only.
					if x.bad != !utf8.ValidString(s) {
						t.Fatalf("% x: bad %v, valid UTF-8 %v", s, x.bad, utf8.ValidString(s))
					}
				}
			}
		}
	}
}
