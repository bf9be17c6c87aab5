package matchers

import (
	"slices"
	"strings"
	"sync"

	"github.com/mozillazg/go-pinyin"
)

// Phonetic matching: sellers who know that platforms filter a brand's
// name write its sound instead, as Latin pinyin (naike, nai ke, Nai克) or as
// other characters with the same toneless pinyin (奈克 for 耐克), or swap a
// character for one that looks alike (劳力土 for 劳力士).
//
//   - Pinyin spellings are patterns of the main automaton: for every Han
//     name and strong alias, its pinyin (every reading of a heteronym) as
//     one Latin word, and the mixed forms where some syllables are Latin
//     and the others Han. Separators and case are already gone from the
//     skeleton, so "Nai Ke" and "NAIKE" are the same pattern.
//   - Homophones use one more automaton, over syllables: every Han rune of
//     the listing's skeleton has a syllable id (its first, most common
//     reading; table built once per process from go-pinyin), and this
//     automaton runs over the skeleton (judge) when the listing has what
//     could license weak evidence; no title is converted to strings. Mark
//     names are compiled to syllable ids with every reading of their
//     heteronyms.
//   - Look-alike substitutions come from a table of characters that differ
//     by a stroke (lookalikeGroups); each Han name gets one variant per
//     substituted character.
//
// All three are weaker evidence than the name (see weak in judge.go), and a
// homophone that is itself a common dictionary word (化为 for 华为) is not
// one (words.go).

// syllableRune is the first rune of the private-use range that stands for
// syllable ids in the syllable automaton's patterns.
const syllableRune = 0xE000

type syllableTable struct {
	// primary is the syllable id of each BMP Han rune's first reading (0:
	// none; ids start at 1).
	primary [0x10000]uint16
	names   []string // id → toneless pinyin ("" for 0)
	ids     map[string]uint16
	// all locates the toneless readings of every rune, most common first:
	// readIDs[v>>8 : v>>8+v&0xFF] for v = all[r]. Ids, not strings, and a
	// map without pointers: the garbage collector has nothing to mark in
	// this process-wide table.
	all     map[rune]uint32
	readIDs []uint16
}

var (
	syllablesOnce sync.Once
	syllables     *syllableTable
)

func syllableTableOnce() *syllableTable {
	syllablesOnce.Do(func() {
		t := &syllableTable{names: []string{""}, ids: map[string]uint16{}, all: make(map[rune]uint32, len(pinyin.PinyinDict))}
		for r, readings := range pinyin.PinyinDict {
			if !isHan(rune(r)) {
				continue
			}
			var list []string
			for _, toned := range strings.Split(readings, ",") {
				if p := toneless(toned); p != "" && !slices.Contains(list, p) {
					list = append(list, p)
				}
			}
			if len(list) == 0 {
				continue
			}
			list = list[:min(len(list), 0xFF)]
			t.all[rune(r)] = uint32(len(t.readIDs))<<8 | uint32(len(list))
			for _, p := range list {
				t.readIDs = append(t.readIDs, t.id(p))
			}
			id := t.readIDs[len(t.readIDs)-len(list)]
			if r < 0x10000 {
				t.primary[r] = id
			}
		}
		syllables = t
	})
	return syllables
}

func (t *syllableTable) id(s string) uint16 {
	if id, ok := t.ids[s]; ok {
		return id
	}
	id := uint16(len(t.names))
	t.names = append(t.names, s)
	t.ids[s] = id
	return id
}

// toneless strips the tone marks of one toned pinyin syllable (ü is v, as
// sellers type it).
func toneless(s string) string {
	var b strings.Builder
	for _, r := range s {
		if t, ok := toneMarks[r]; ok {
			r = t
		}
		if r >= 'a' && r <= 'z' { // drops combining tone marks (ê̄)
			b.WriteRune(r)
		}
	}
	return b.String()
}

var toneMarks = func() map[rune]rune {
	m := map[rune]rune{}
	for base, marked := range map[rune]string{'a': "āáǎà", 'e': "ēéěèê̄ếê̌ề", 'i': "īíǐì", 'o': "ōóǒò", 'u': "ūúǔù", 'v': "üǖǘǚǜ", 'm': "ḿ", 'n': "ńňǹ"} {
		for _, r := range marked {
			m[r] = base
		}
	}
	m['ê'] = 'e'
	return m
}()

// readings returns the toneless readings of a Han rune, most common first
// (go-pinyin's dictionary, heteronyms included).
func readings(r rune) []string {
	t := syllableTableOnce()
	v, ok := t.all[r]
	if !ok {
		return nil
	}
	ids := t.readIDs[v>>8 : v>>8+v&0xFF]
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = t.names[id]
	}
	return out
}

// maxReadings bounds the heteronym combinations of one name.
const maxReadings = 8

// nameReadings returns the pinyin syllables of a Han name for each
// combination of its runes' readings (at most maxReadings, most common
// first), or nil when a rune has no reading.
func nameReadings(name []rune) [][]string {
	combos := [][]string{nil}
	for _, r := range name {
		rs := readings(r)
		if len(rs) == 0 {
			return nil
		}
		var next [][]string
		for _, c := range combos {
			for _, s := range rs {
				if len(next) == maxReadings {
					break
				}
				next = append(next, append(append([]string(nil), c...), s))
			}
		}
		combos = next
	}
	return combos
}

// maxLatinReadings bounds the heteronym readings spelled out in Latin.
const maxLatinReadings = 2

// pinyinSpellings returns the Latin and mixed spellings of a Han name:
// for its most common readings, the whole pinyin (when it has at least 4
// letters: fewer read as ordinary Latin words too often), and, for the
// first reading, the name with one character written as its syllable
// (Nai克, 耐ke, 香nai儿: how sellers mix them). Two-character names thus get
// every mix.
func pinyinSpellings(name []rune) (spellings [][]rune, reading string) {
	return pinyinSpellingsOf(name, nameReadings(name))
}

// pinyinSpellingsOf is pinyinSpellings with the name's readings given.
func pinyinSpellingsOf(name []rune, combos [][]string) (spellings [][]rune, reading string) {
	if len(combos) == 0 {
		return nil, ""
	}
	reading = strings.Join(combos[0], "")
	for _, c := range combos[:min(len(combos), maxLatinReadings)] {
		if whole := strings.Join(c, ""); len(whole) >= 4 {
			spellings = append(spellings, []rune(whole))
		}
	}
	first := combos[0]
	for i := range name {
		sk := slices.Clone(name[:i])
		sk = append(sk, []rune(first[i])...)
		spellings = append(spellings, append(sk, name[i+1:]...))
	}
	return spellings, reading
}

// syllablePatterns returns a Han name, given its reading combinations
// (nameReadings), as syllable-automaton patterns, one per combination.
func (t *syllableTable) syllablePatterns(combos [][]string) [][]rune {
	var out [][]rune
	for _, c := range combos {
		p := make([]rune, len(c))
		ok := true
		for i, s := range c {
			id, known := t.ids[s]
			ok = ok && known
			p[i] = syllableRune + rune(id)
		}
		if ok {
			out = append(out, p)
		}
	}
	return out
}

// lookalikeGroups are Han characters that differ by a stroke or a dot and
// are swapped for one another to get past a name filter (劳力土 for 劳力士,
// 阿迪达期 for 阿迪达斯). Each group's characters are look-alikes of each
// other.
var lookalikeGroups = []string{
	"士土", "己已巳", "未末", "戊戌戍", "大太犬", "人入八", "王玉主", "日曰", "千干于",
	"天夭", "贝见", "今令", "免兔", "鸟乌", "刀力", "木本术", "白自", "田由甲申",
	"折拆", "拨拔", "特持", "仕任", "奈柰", "驰弛", "斯期", "爱受", "儿几", "龙尤",
	"陈阵", "间问", "句勾", "即既", "候侯", "壁璧", "辨辩", "拉垃", "达迭",
}

var lookalikes = func() map[rune][]rune {
	m := map[rune][]rune{}
	for _, g := range lookalikeGroups {
		rs := []rune(g)
		for _, r := range rs {
			for _, o := range rs {
				if o != r {
					m[r] = append(m[r], o)
				}
			}
		}
	}
	return m
}()

// lookalikeVariants returns the name with one character swapped for a
// look-alike, for every character and look-alike of the table.
func lookalikeVariants(name []rune) [][]rune {
	var out [][]rune
	for i, r := range name {
		for _, o := range lookalikes[r] {
			v := append([]rune(nil), name...)
			v[i] = o
			out = append(out, v)
		}
	}
	return out
}

// Doubled letters (NIIKE, Guccci, Rollex) are read through a small second
// automaton of collapsed names (every run of one letter written once:
// gucci is guci), run only over the Latin words of a listing that have a
// doubled letter, collapsed the same way. Patterns for every doubled
// position would multiply the Latin states of the main automaton, which
// every title pays for.

// collapsedName returns a Latin name of at least four letters with its
// runs of one letter collapsed, or nil for other names.
func collapsedName(skeleton []rune) []rune {
	if len(skeleton) < 4 {
		return nil
	}
	var out []rune
	for i, r := range skeleton {
		if !isASCIILetter(r) {
			return nil
		}
		if i == 0 || r != skeleton[i-1] {
			out = append(out, r)
		}
	}
	return out
}

// hasDoubledLetter reports whether a skeleton has two equal Latin letters
// in a row.
func hasDoubledLetter(norm []rune) bool {
	for i := 1; i < len(norm); i++ {
		if norm[i] == norm[i-1] && isASCIILetter(norm[i]) {
			return true
		}
	}
	return false
}

func allHan(rs []rune) bool {
	for _, r := range rs {
		if !isHan(r) {
			return false
		}
	}
	return len(rs) > 0
}
