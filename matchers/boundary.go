package matchers

import "unicode"

// Word boundaries. Latin names already need non-Latin neighbours
// (bounded). Han text has no spaces, so a Han name can sit inside a longer
// word (迪奥 in the piano brand 克劳迪奥, 耐克 in the tyre brand 耐克森) or
// straddle two words (耐克 in 忍耐克制: 忍耐 + 克制). hanBounded asks the
// dictionary (words.go) about the few characters around a hit, instead of
// segmenting every title: a run-on title (耐克气垫跑鞋男) keeps its hit
// because no dictionary word crosses the name's edges.

// hanReach is how many characters around a hit the dictionary sees.
const hanReach = 3

// hanBounded reports whether the Han skeleton range [start, end) of x is a
// word of its own. It is not when
//   - a dictionary word that names a person, a foreign name or a place
//     (耐克森, 迪奥斯, 茅台镇) contains it and more;
//   - dictionary words cross both of its edges (忍耐|克制, 中华|为人);
//   - a (rare) person's or foreign name crosses one edge (克劳迪|奥: the hit
//     is the tail of a transliterated name).
//
// Words are only looked for across runes that touch in the original text
// (no separator between them).
func hanBounded(x *text, start, end int32) bool {
	norm := x.norm
	touching := func(i int32) bool { return x.from[i]-x.from[i-1] == 1 }
	lo, hi := start, end
	for lo > 0 && start-lo < hanReach && isHan(norm[lo-1]) && touching(lo) {
		lo--
	}
	for hi < int32(len(norm)) && hi-end < hanReach && isHan(norm[hi]) && touching(hi) {
		hi++
	}
	if lo == start && hi == end {
		return true
	}
	for a := lo; a <= start; a++ {
		for b := end; b <= hi; b++ {
			if a == start && b == end {
				continue
			}
			if _, pos, ok := wordInfo(norm[a:b]); ok && (pos == posPerson || pos == posForeign || pos == posPlace) {
				return false
			}
		}
	}
	left, right := uint8(0), uint8(0) // 1: a word crosses the edge, 2: a name does
	for a := lo; a < start; a++ {
		for mid := start + 1; mid < end; mid++ {
			if freq, pos, ok := wordInfo(norm[a:mid]); ok {
				left = max(left, crossing(freq, pos))
			}
		}
	}
	for mid := start + 1; mid < end; mid++ {
		for b := end + 1; b <= hi; b++ {
			if freq, pos, ok := wordInfo(norm[mid:b]); ok {
				right = max(right, crossing(freq, pos))
			}
		}
	}
	return !(left > 0 && right > 0 || left == 2 || right == 2)
}

// crossing grades a word crossing an edge: 2 for a name (the hit is the
// end of a longer name), 1 for any other word. A frequent name-tagged word
// is an ordinary word the dictionary also knows as a name (南风, the south
// wind, across 赣南|风味): it counts as a word.
func crossing(freq, pos uint8) uint8 {
	if (pos == posPerson || pos == posForeign) && freq < commonFreqClass {
		return 2
	}
	return 1
}

// commonWord reports whether a Han skeleton run is a frequent dictionary
// word: then it was written for its own sake (化为 "turn into", not a
// sound-alike of 华为).
func commonWord(runes []rune) bool {
	freq, _, ok := wordInfo(runes)
	return ok && freq >= commonFreqClass
}

// shortWordBounded: a Latin name of at most three letters is not the name
// when it is glued to digits (LV5, 3LV, Lv.10: a game level, a model
// number) or followed by a level marker (LV 级, lv等级). A space before the
// digits keeps it (LV 2024新款).
func shortWordBounded(orig []rune, s, e int) bool {
	if s > 0 && isDigitRune(orig[s-1]) {
		return false
	}
	if e < len(orig) {
		next := orig[e]
		if isDigitRune(next) {
			return false
		}
		if (next == '.' || next == '-' || next == '_') && e+1 < len(orig) && isDigitRune(orig[e+1]) {
			return false
		}
	}
	// A level marker may follow after spaces (LV 等级, Lv 3 级 is caught
	// by the digit rule only when glued).
	for ; e < len(orig) && unicode.IsSpace(orig[e]); e++ {
	}
	return !(e < len(orig) && (orig[e] == '级' || orig[e] == '級' || orig[e] == '等'))
}

// spreadContinues: a Latin name spread by a separator (L💗V, N.I.K.E) is
// part of a longer word when the same separator goes on to another Latin
// letter (L💗V💗E, D♥I♥O♥R♥A♥M♥A). Spaces are not such separators: after
// "N I K E" a space starts the next word (N I K E Air Max).
func (t *foldTable) spreadContinues(orig []rune, s, e int) bool {
	if e-s < 3 {
		return false
	}
	if sep := orig[e-2]; !t.isLatin(sep) && !unicode.IsSpace(sep) && e+1 < len(orig) && orig[e] == sep && t.isLatin(orig[e+1]) {
		return true
	}
	if sep := orig[s+1]; !t.isLatin(sep) && !unicode.IsSpace(sep) && s >= 2 && orig[s-1] == sep && t.isLatin(orig[s-2]) {
		return true
	}
	return false
}

// yearOfDate: a name ending in a year (杭州2022) followed by 年 is a date
// (杭州2022年夏季), not the event's mark.
func yearOfDate(orig []rune, e int) bool {
	for ; e < len(orig) && unicode.IsSpace(orig[e]); e++ {
	}
	return e < len(orig) && orig[e] == '年'
}

// ratioSeparator: "1:1" is the replica word only with a colon or ratio sign
// between the digits, not "1+ 1岁" or "1/1".
func ratioSeparator(runes []rune) bool {
	for _, r := range runes {
		switch r {
		case ':', '：', '∶', '꞉', '˸', '比':
			return true
		}
	}
	return false
}
