package matchers

import (
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/longbridgeapp/opencc"
	"golang.org/x/text/unicode/norm"
)

// The normaliser folds each rune of a listing, on its own, to the runes the
// automaton sees ("the skeleton"):
//
//   - NFKD, so full-width, circled and other compatibility forms become
//     their plain letters and digits (ＰＲＡＤＡ, Ⓝ, ①); combining marks,
//     variation selectors and format characters (zero-width spaces, Cf)
//     are dropped, so É is E and a zero-width joiner is nothing;
//   - lower case;
//   - confusables: Cyrillic and Greek letters that look like Latin ones
//     become them (Chаnel with a Cyrillic а is chanel), and i, l and the
//     Latin/Cyrillic/Greek letters that look like them are one letter;
//     the digits 0, 1, 3, 4, 5 (and |, !, @, $) read as letters when a
//     Latin letter touches them (R0LEX, N1KE, ROL3X, CH@NEL);
//   - traditional → simplified Chinese, character by character (愛馬仕 is
//     爱马仕);
//   - everything that is not a letter or digit (spaces, punctuation,
//     symbols, emoji) is a separator and is dropped, so 耐-克, N I K E and
//     耐 克 all read as one word.
//
// Because patterns (mark names, context words, slang) go through the same
// fold, matching is consistent by construction: the fold is a function, so a
// traditional text and a simplified pattern meet on the same skeleton even
// where a character has several simplified forms (the price is that a few
// characters that are both traditional and simplified, such as 乾/干 or
// 著/着, are conflated, which costs no recall). What a per-character fold
// cannot see are the phrases OpenCC converts as a whole (手鍊 is 手链 though
// 鍊 alone is 炼): those come from OpenCC's t2s phrase dictionary, read once,
// and every pattern that contains one gets a variant with the other form
// when the automaton is built (variants). So phrase-level conversion costs
// nothing per title: OpenCC's own phrase conversion of a whole title costs
// 10-14 µs, which alone would cap the matcher below 100,000 titles/s.
//
// Every skeleton rune keeps the index of the original rune it came from,
// so a match maps back to an exact substring of the listing.

// foldDrop marks a rune that contributes nothing to the skeleton.
const (
	foldDrop     uint32 = 0
	foldExpanded uint32 = 1 << 31 // low bits index foldTable.expanded
)

// foldTable is built once: a direct table for the Basic Multilingual Plane
// (where all of CJK's common ideographs, full-width forms and confusables
// live) and a slow path for the rest.
type foldTable struct {
	bmp      [0x10000]uint32
	expanded [][]rune
	t2s      map[rune]rune
	// latin marks BMP runes whose skeleton is one ASCII letter: the runes
	// that make a word boundary in the original text.
	latin [0x10000 / 64]uint64
	digit [0x10000 / 64]uint64
	// phrases are t2s phrases that per-character folding misses, indexed
	// by the first rune of either side.
	phrases     []phrasePair
	phraseIndex map[rune][]phraseVariant
}

var (
	tableOnce sync.Once
	table     *foldTable
)

func folds() *foldTable {
	tableOnce.Do(func() { table = buildFoldTable() })
	return table
}

// confusables maps look-alikes from other scripts to the Latin letter they
// imitate, after lower-casing. Built from Unicode TR39's confusables for the
// letters brand names use; i and l are merged into one letter.
var confusables = map[rune]rune{
	// Cyrillic
	'а': 'a', 'в': 'b', 'с': 'c', 'ԁ': 'd', 'е': 'e', 'ё': 'e', 'һ': 'h', 'і': 'l', 'ї': 'l', 'ј': 'j',
	'к': 'k', 'ӏ': 'l', 'м': 'm', 'н': 'h', 'о': 'o', 'р': 'p', 'ԛ': 'q', 'г': 'r', 'ѕ': 's', 'т': 't',
	'ц': 'u', 'ѵ': 'v', 'ԝ': 'w', 'х': 'x', 'у': 'y', 'з': 'z', 'ь': 'b', 'п': 'n',
	// Greek
	'α': 'a', 'β': 'b', 'ϲ': 'c', 'ε': 'e', 'η': 'n', 'ι': 'l', 'κ': 'k', 'μ': 'u', 'ν': 'v', 'ο': 'o',
	'ρ': 'p', 'τ': 't', 'υ': 'u', 'χ': 'x', 'γ': 'y', 'ζ': 'z', 'ω': 'w', 'δ': 'd', 'ϳ': 'j',
	// Latin look-alikes
	'i': 'l', 'ı': 'l', 'ɩ': 'l', 'ǀ': 'l', 'ɑ': 'a', 'ɡ': 'g', 'ʏ': 'y', 'ᴠ': 'v', 'ꭰ': 'd',
}

// upperConfusables are capitals whose lower-case forms would mislead: Greek
// capital eta Η looks like H but its small form η looks like n.
var upperConfusables = map[rune]rune{
	'Α': 'a', 'Β': 'b', 'Ε': 'e', 'Ζ': 'z', 'Η': 'h', 'Ι': 'l', 'Κ': 'k', 'Μ': 'm', 'Ν': 'n', 'Ο': 'o',
	'Ρ': 'p', 'Τ': 't', 'Υ': 'y', 'Χ': 'x', 'Ϲ': 'c',
	'А': 'a', 'В': 'b', 'Е': 'e', 'К': 'k', 'М': 'm', 'Н': 'h', 'О': 'o', 'Р': 'p', 'С': 'c', 'Т': 't',
	'Х': 'x', 'У': 'y', 'І': 'l', 'Ѕ': 's', 'Ј': 'j', 'Ӏ': 'l', 'Ԁ': 'd', 'Ԛ': 'q', 'Ԝ': 'w',
}

// contextual are the non-letters that read as letters when a Latin letter
// touches them.
var contextual = map[rune]rune{'0': 'o', '1': 'l', '3': 'e', '4': 'a', '5': 's', '|': 'l', '!': 'l', '@': 'a', '$': 's'}

func buildFoldTable() *foldTable {
	cc, err := opencc.New("t2s")
	if err != nil {
		panic("matchers: opencc t2s dictionary: " + err.Error()) // embedded data: cannot fail
	}
	t := &foldTable{t2s: buildT2S(cc)}
	for r := rune(0); r < 0x10000; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		out := t.foldSlow(r)
		switch len(out) {
		case 0:
			t.bmp[r] = foldDrop
		case 1:
			t.bmp[r] = uint32(out[0])
			if out[0] >= 'a' && out[0] <= 'z' {
				t.latin[r/64] |= 1 << (r % 64)
			}
			if out[0] >= '0' && out[0] <= '9' {
				t.digit[r/64] |= 1 << (r % 64)
			}
		default:
			t.bmp[r] = foldExpanded | uint32(len(t.expanded))
			t.expanded = append(t.expanded, out)
		}
	}
	t.phrases = t.buildPhrases(cc)
	t.phraseIndex = map[rune][]phraseVariant{}
	for _, p := range t.phrases {
		t.phraseIndex[p.simplified[0]] = append(t.phraseIndex[p.simplified[0]], phraseVariant{p.simplified, p.traditional})
		t.phraseIndex[p.traditional[0]] = append(t.phraseIndex[p.traditional[0]], phraseVariant{p.traditional, p.simplified})
	}
	return t
}

// phrasePair is a traditional phrase whose simplified form OpenCC takes
// from its phrase dictionary rather than character by character (手鍊 is
// 手链, though 鍊 alone is 炼): the skeletons of both sides, which differ.
type phrasePair struct{ simplified, traditional []rune }

// buildPhrases reads t2s's phrase dictionary and keeps the phrases whose
// per-character fold differs from their phrase conversion. Patterns get a
// variant for each (see variants), so phrase-level conversion happens once,
// when the automaton is built, instead of on every title.
func (t *foldTable) buildPhrases(cc *opencc.OpenCC) []phrasePair {
	var out []phrasePair
	for _, group := range cc.DictChains {
		for i, d := range group.Dicts {
			if i >= len(group.Files) || !strings.Contains(group.Files[i], "Phrases") || d == nil || d.Trie == nil {
				continue
			}
			for _, id := range d.Trie.PrefixPredict(nil, 0) {
				key, err := d.Trie.Key(id)
				if err != nil {
					continue
				}
				v, err := d.Trie.Value(id)
				if err != nil || v < 0 || v >= len(d.Values) || len(d.Values[v]) == 0 {
					continue
				}
				var trad, simp text
				t.normalize(&trad, string(key))
				t.normalize(&simp, d.Values[v][0])
				if len(trad.norm) > 0 && string(trad.norm) != string(simp.norm) {
					out = append(out, phrasePair{simplified: slices.Clone(simp.norm), traditional: slices.Clone(trad.norm)})
				}
			}
		}
	}
	return out
}

// variants returns the skeletons a pattern must also match so that
// traditional phrases meet it: for every phrase of the dictionary inside
// the skeleton (in either script), the skeleton with the other form.
func (t *foldTable) variants(skeleton []rune) [][]rune {
	var out [][]rune
	for i, r := range skeleton {
		for _, pv := range t.phraseIndex[r] {
			if len(skeleton)-i >= len(pv.from) && slices.Equal(skeleton[i:i+len(pv.from)], pv.from) {
				v := append(append(append([]rune(nil), skeleton[:i]...), pv.to...), skeleton[i+len(pv.from):]...)
				out = append(out, v)
			}
		}
	}
	return out
}

type phraseVariant struct{ from, to []rune }

// buildT2S converts every CJK ideograph once with OpenCC's t2s and keeps the
// ones that change: a per-character table of its dictionary.
func buildT2S(cc *opencc.OpenCC) map[rune]rune {
	var in []rune
	for _, rg := range [][2]rune{{0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xF900, 0xFAFF}} {
		for r := rg[0]; r <= rg[1]; r++ {
			in = append(in, r, '\n')
		}
	}
	out, err := cc.Convert(string(in))
	if err != nil {
		panic("matchers: opencc t2s: " + err.Error())
	}
	m := map[rune]rune{}
	lines := strings.Split(out, "\n")
	for i := 0; i+1 < len(in) && i/2 < len(lines); i += 2 {
		conv := []rune(lines[i/2])
		if len(conv) == 1 && conv[0] != in[i] {
			m[in[i]] = conv[0]
		}
	}
	return m
}

// foldSlow folds one rune from first principles (used to build the table,
// and for runes outside the BMP).
func (t *foldTable) foldSlow(r rune) []rune {
	// Unicode's own confusables (UTS #39) and the letters Unicode names
	// draw (small capitals, squared and regional indicator letters) first:
	// they are generated tables (confusables_table.go, go generate). A few
	// are spacing marks that look like o (ం).
	if p, ok := unicodeConfusables[r]; ok {
		r = rune(p)
	} else if p, ok := namedLetters[r]; ok {
		r = rune(p)
	}
	if unicode.Is(unicode.Cf, r) || unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc) {
		return nil
	}
	var out []rune
	for _, d := range norm.NFKD.String(string(r)) {
		if unicode.In(d, unicode.Mn, unicode.Me, unicode.Mc, unicode.Cf) {
			continue
		}
		if c, ok := upperConfusables[d]; ok {
			d = c
		}
		d = unicode.ToLower(d)
		if c, ok := confusables[d]; ok {
			d = c
		}
		if !unicode.IsLetter(d) && !unicode.IsDigit(d) {
			// Separators, including |, !, @ and $, which normalize reads
			// as letters only next to Latin letters.
			continue
		}
		if s, ok := t.t2s[d]; ok {
			d = s
		}
		out = append(out, d)
	}
	return out
}

// isLatin reports whether an original rune is a Latin letter (or a look-alike
// of one): what makes a word boundary for Latin names.
func (t *foldTable) isLatin(r rune) bool {
	if r < 0x10000 {
		return t.latin[r/64]&(1<<(r%64)) != 0
	}
	return t.isLatinSlow(r)
}

// isLatinSlow is isLatin outside the BMP (apart, so that isLatin inlines).
func (t *foldTable) isLatinSlow(r rune) bool {
	out := t.foldSlow(r)
	return len(out) == 1 && out[0] >= 'a' && out[0] <= 'z'
}

// isDigit reports whether an original rune folds to one ASCII digit.
func (t *foldTable) isDigit(r rune) bool {
	if r < 0x10000 {
		return t.digit[r/64]&(1<<(r%64)) != 0
	}
	return t.isDigitSlow(r)
}

// isDigitSlow is isDigit outside the BMP (apart, so that isDigit inlines).
func (t *foldTable) isDigitSlow(r rune) bool {
	out := t.foldSlow(r)
	return len(out) == 1 && out[0] >= '0' && out[0] <= '9'
}

// text is one normalised field: the original runes, the skeleton, and for
// each skeleton rune the index of the original rune it came from.
type text struct {
	src string // the field as given
	bad bool   // src is not valid UTF-8
	// atRune, atByte: where substr last ended, as a rune index and its
	// byte offset in src, so that hits read in order walk src once.
	atRune, atByte int
	orig           []rune
	norm           []rune
	from           []int32
	// digitRun is the longest run of digits separated by at most one
	// other rune: shorter than 8, the field holds no patent number.
	digitRun int
	run      int
	lastDig  int32
}

func (x *text) reset() {
	x.orig, x.norm, x.from, x.bad = x.orig[:0], x.norm[:0], x.from[:0], false
	x.atRune, x.atByte = 0, 0
	x.digitRun, x.run, x.lastDig = 0, 0, -10
}

// substr is the original text of runes [a, b): a substring of the field
// (no copy), found by walking the lead bytes of its runes, or, in a field
// that is not valid UTF-8, the runes as decoded (U+FFFD for a bad byte).
func (x *text) substr(a, b int) string {
	if x.bad {
		return string(x.orig[a:b])
	}
	s := x.src
	n, start := 0, 0
	if a >= x.atRune {
		n, start = x.atRune, x.atByte
	}
	for ; n < a; n++ {
		start += utf8Len[s[start]>>4]
	}
	end := start
	for ; n < b; n++ {
		end += utf8Len[s[end]>>4]
	}
	x.atRune, x.atByte = b, end
	return s[start:end]
}

// utf8Len is the length of a valid UTF-8 sequence by the top four bits of
// its lead byte.
var utf8Len = [16]int{1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 2, 2, 3, 4}

// span maps a skeleton range [i, j) back to the original rune range.
func (x *text) span(i, j int) (start, end int) {
	return int(x.from[i]), int(x.from[j-1]) + 1
}

// normalizeScan fills x from s and, when a is not nil, runs the automaton
// over the skeleton, appending occurrences to occ. The two passes are two
// tight loops: one over the listing's bytes, one over its skeleton runes
// (which are in cache).
func (t *foldTable) normalizeScan(x *text, s string, a *automaton, occ []occurrence) []occurrence {
	t.normalize(x, s)
	if a == nil {
		return occ
	}
	return a.scanRunes(x.norm, (*[0x10000]uint16)(a.classBMP), occ)
}

// normalize fills x from s, in two tight loops: UTF-8 decoding into
// x.orig, then the fold of each original rune into x.norm and x.from. Each
// loop has few enough live values to keep them in registers: the slices
// are written by index, their room made sure of beforehand (a rune takes
// at least a byte; the common path makes at most one skeleton rune of an
// original rune), and what is rare (a digit, a symbol that may read as a
// letter, a rune that folds to several or lies outside the BMP) is a call
// off the common path.
func (t *foldTable) normalize(x *text, s string) {
	x.reset()
	x.src = s
	orig := slices.Grow(x.orig, len(s))[:len(s)]
	n := 0
	for b := 0; b < len(s); {
		// ASCII and three-byte runes (all of CJK) decoded inline.
		r := rune(s[b])
		switch {
		case r < utf8.RuneSelf:
			b++
		case r&0xF0 == 0xE0 && b+2 < len(s) && s[b+1]&0xC0 == 0x80 && s[b+2]&0xC0 == 0x80 &&
			(r != 0xE0 || s[b+1] >= 0xA0) && (r != 0xED || s[b+1] < 0xA0): // not overlong, not a surrogate
			r = (r&0x0F)<<12 | rune(s[b+1]&0x3F)<<6 | rune(s[b+2]&0x3F)
			b += 3
		default:
			var size int
			r, size = utf8.DecodeRuneInString(s[b:])
			b += size
			if r == utf8.RuneError && size == 1 {
				x.bad = true
			}
		}
		orig[n] = r
		n++
	}
	orig = orig[:n]
	x.orig = orig
	norm := slices.Grow(x.norm, n)[:n]
	from := slices.Grow(x.from, n)[:n]
	bmp := &t.bmp
	k := 0
	for i, r := range orig {
		if r < 0x10000 {
			// A letter or a Han character (skeletons hold letters and
			// digits only): not dropped, not a digit, not expanded.
			f := bmp[r]
			if f > '9' && f < foldExpanded {
				norm[k], from[k] = rune(f), int32(i)
				k++
				continue
			}
			// A separator, unless it is a symbol that reads as a letter
			// next to a Latin one (contextualRune: | ! @ $, and their
			// full-width forms above U+FF00).
			if f == foldDrop && r != '|' && r != '!' && r != '@' && r != '$' && r < 0xFF00 {
				continue
			}
		}
		// Rare: a digit, a dropped rune, a rune that expands or lies
		// outside the BMP.
		x.norm, x.from = norm[:k], from[:k]
		t.foldRare(x, i, len(orig)-i)
		k = len(x.norm)
		norm, from = x.norm[:cap(x.norm)], x.from[:cap(x.from)]
	}
	x.norm, x.from = norm[:k], from[:k]
}

// foldRare folds x.orig[n] when normalize's common path cannot: a digit
// (which counts towards the field's digit run, and reads as a letter next
// to a Latin one: R0LEX), a dropped rune (a symbol may read as a letter:
// CH@NEL), a rune that folds to several or lies outside the BMP. It
// appends to x.norm and x.from and, when it added more than one rune,
// leaves room for left more.
func (t *foldTable) foldRare(x *text, n, left int) {
	i := int32(n)
	r := x.orig[n]
	if r >= 0x10000 {
		for _, o := range t.foldSlow(r) {
			x.emit(o, i)
		}
		x.room(left)
	} else {
		switch f := t.bmp[r]; {
		case f == foldDrop:
			if l, ok := contextualRune(r); ok && t.touchesLatin(x.orig, n) {
				x.emit(l, i)
			}
		case f&foldExpanded != 0:
			for _, o := range t.expanded[f&^foldExpanded] {
				x.emit(o, i)
			}
			x.room(left)
		default: // a digit
			c := rune(f)
			if i-x.lastDig <= 2 {
				x.run++
			} else {
				x.run = 1
			}
			x.lastDig = i
			x.digitRun = max(x.digitRun, x.run)
			if c <= '5' && digitLetter[c-'0'] != 0 && t.touchesLatin(x.orig, n) {
				c = digitLetter[c-'0']
			}
			x.emit(c, i) // within the room normalize made: one rune for one
		}
	}
}

// room makes sure x.norm and x.from have room for n more runes.
func (x *text) room(n int) {
	x.norm = slices.Grow(x.norm, n)
	x.from = slices.Grow(x.from, n)
}

// scanRunes runs the automaton over runes whose classes (in the BMP) come
// from classes, appending occurrences to occ.
func (a *automaton) scanRunes(runes []rune, classes *[0x10000]uint16, occ []occurrence) []occurrence {
	da, root, emits := a.da, a.root, a.emits
	s := int32(0)
	for i, c := range runes {
		var class int32
		if c < 0x10000 {
			class = int32(classes[c])
		} else {
			class = a.classHi[c]
		}
		s = step(da, root, s, class)
		if s != 0 && emits[s>>6]&(1<<(s&63)) != 0 {
			occ = a.outputs(s, int32(i+1), occ)
		}
	}
	return occ
}

// emit appends one skeleton rune, from original rune i.
func (x *text) emit(c rune, i int32) {
	x.norm = append(x.norm, c)
	x.from = append(x.from, i)
}

// digitLetter is contextual for the digits, as an array for the hot path.
var digitLetter = [6]rune{'o', 'l', 0, 'e', 'a', 's'}

// contextualRune is the letter a symbol stands for next to Latin letters.
func contextualRune(r rune) (rune, bool) {
	switch r {
	case '|', '!', '@', '$', '｜', '！', '＠', '＄':
		if r > 0xFF00 {
			r -= 0xFEE0
		}
		return contextual[r], true
	}
	return 0, false
}

// touchesLatin reports whether orig[n] has a Latin letter right before
// or right after it.
func (t *foldTable) touchesLatin(orig []rune, n int) bool {
	return n > 0 && t.isLatin(orig[n-1]) || n+1 < len(orig) && t.isLatin(orig[n+1])
}

// foldString returns the skeleton of s as a string (for patterns and tests).
func foldString(s string) string {
	var x text
	folds().normalize(&x, s)
	return string(x.norm)
}

// Normalize returns the skeleton of s, and for each skeleton rune the index
// of the original rune (in []rune(s)) it came from. It is what the matcher
// compares; `markwatch marks check --verbose` prints it for every name.
func Normalize(s string) (skeleton []rune, from []int) {
	var x text
	folds().normalize(&x, s)
	from = make([]int, len(x.from))
	for i, f := range x.from {
		from[i] = int(f)
	}
	return x.norm, from
}
