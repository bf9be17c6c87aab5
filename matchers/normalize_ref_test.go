package matchers

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// normalizeTwoLoops is the normaliser written plainly (decode every rune,
// then fold each with a look at its neighbours): the reference that
// TestNormalizeMatchesReference holds normalize to.
func (t *foldTable) normalizeTwoLoops(x *text, s string) {
	x.reset()
	orig := slices.Grow(x.orig, len(s))
	for b := 0; b < len(s); {
		r, size := utf8.DecodeRuneInString(s[b:])
		b += size
		orig = append(orig, r)
	}
	x.orig = orig
	for n, r := range orig {
		i := int32(n)
		var out []rune
		if r >= 0x10000 {
			out = t.foldSlow(r)
		} else {
			switch f := t.bmp[r]; {
			case f == foldDrop:
				if l, ok := contextualRune(r); ok && t.touchesLatin(orig, n) {
					out = []rune{l}
				}
			case f&foldExpanded != 0:
				out = t.expanded[f&^foldExpanded]
			default:
				c := rune(f)
				if c <= '9' && c >= '0' {
					if i-x.lastDig <= 2 {
						x.run++
					} else {
						x.run = 1
					}
					x.lastDig = i
					x.digitRun = max(x.digitRun, x.run)
					if c <= '5' && digitLetter[c-'0'] != 0 && t.touchesLatin(orig, n) {
						c = digitLetter[c-'0']
					}
				}
				out = []rune{c}
			}
		}
		for _, o := range out {
			x.emit(o, i)
		}
	}
}

// TestNormalizeMatchesReference holds the normaliser to a plain one (no
// fast path, no writes by index) on random texts built from the runes whose fold depends on
// their neighbours (digits and symbols next to Latin letters and their
// look-alikes), runes that expand, runes outside the BMP, marks, Han and
// invalid bytes: same original runes, skeleton, offsets and digit runs.
func TestNormalizeMatchesReference(t *testing.T) {
	pieces := []string{"a", "N", "k", "Ｘ", "ａ", "а", "Η", "ɴ", "0", "1", "3", "4", "5", "2", "9", "０", "１", "５",
		"|", "!", "@", "$", "｜", "！", "＠", "＄", " ", "-", ".", ":", "耐", "克", "愛", "㈱", "ﬁ", "①", "℡",
		"\u0301", "\u200b", "𝐃", "𝟏", "Ⓝ", "\xff", "\xe4\xb8", "😀", "ß", "İ"}
	rng := rand.New(rand.NewPCG(7, 8))
	ft := folds()
	var got, want text
	for n := 0; n < 20000; n++ {
		var b strings.Builder
		for k := rng.IntN(12); k >= 0; k-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		s := b.String()
		ft.normalize(&got, s)
		ft.normalizeTwoLoops(&want, s)
		if !slices.Equal(got.orig, want.orig) || !slices.Equal(got.norm, want.norm) || !slices.Equal(got.from, want.from) || got.digitRun != want.digitRun {
			t.Fatalf("%q:\n got  orig %q norm %q from %v digits %d\n want orig %q norm %q from %v digits %d",
				s, got.orig, string(got.norm), got.from, got.digitRun, want.orig, string(want.norm), want.from, want.digitRun)
		}
		// A hit's text is the field's own bytes where they are valid
		// UTF-8, and the decoded runes where not: either way, the runes.
		// Three reads in any order (substr resumes where it last ended).
		for range 3 {
			from := rng.IntN(len(got.orig) + 1)
			to := from + rng.IntN(len(got.orig)-from+1)
			if sub := got.substr(from, to); sub != string(got.orig[from:to]) {
				t.Fatalf("%q: substr(%d, %d) = %q, want %q", s, from, to, sub, string(got.orig[from:to]))
			}
		}
	}
}
