package matchers

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/markwatch/markwatch"
	"golang.org/x/text/unicode/norm"
)

// Fields of a listing that are matched, in verdict order: image_text is
// the OCR text of the listing's photos (images.Step).
var fieldNames = [3]string{"title", "description", "image_text"}

// scratch is the per-call working memory, pooled so that a match allocates
// little beyond its verdict.
type scratch struct {
	fields  [3]text
	occ     []occurrence
	cands   []candidate
	excl    []span
	before  []span
	after   []span
	joiners []span
	slang   []slangFound
	context []int32 // marks whose context words were found
	patents []patentMatch
	// working slices of score
	evals       []markEval
	weights     []float64
	markWeights []float64
	// slang exclusions and negators, and the first accessory word seen
	slangExcl []span
	negators  []span
	accessory string
	// phonetic scan, alias context words found, claim words found
	sndOcc       []occurrence // the syllable automaton's occurrences in a field
	sndCls       []int32      // a field's syllable classes (soundIndex.scan)
	collapsed    []rune       // a Latin word with its letter runs collapsed
	collapsedAt  []int32      // skeleton index of each collapsed rune
	collapsedOcc []occurrence
	aliasContext []int32 // aliases whose context words were found
	category     []span  // category words found (mark: the mark)
	claims       []span
	giClaims     []span
	detail       []byte // a signal's detail being built
}

type span struct {
	field      uint8
	mark       int32
	start, end int32 // skeleton
}

type candidate struct {
	field       uint8
	mark        int32
	start, end  int32 // skeleton
	descriptive bool
	why         string // what makes it descriptive use
	dropped     bool
	// checkWords, checkCommon: dictionary checks still to do (hanBounded,
	// commonWord), left to filter for weak candidates.
	checkWords, checkCommon bool
	// how the text reads the mark (target fields)
	via     via
	weak    bool
	alias   int32
	term    string
	reading string
}

type slangFound struct {
	group      int32
	term       string
	field      uint8
	start, end int32 // skeleton
	text       string
}

func (sc *scratch) reset() {
	sc.occ, sc.cands, sc.excl = sc.occ[:0], sc.cands[:0], sc.excl[:0]
	sc.before, sc.after, sc.joiners, sc.slang = sc.before[:0], sc.after[:0], sc.joiners[:0], sc.slang[:0]
	sc.patents = sc.patents[:0]
	sc.slangExcl, sc.negators, sc.accessory = sc.slangExcl[:0], sc.negators[:0], ""
	sc.claims, sc.giClaims = sc.claims[:0], sc.giClaims[:0]
	sc.context, sc.aliasContext = sc.context[:0], sc.aliasContext[:0]
	sc.category = sc.category[:0]
}

// lazyNow reads the clock once, when a listing first needs it (a mark with
// a validity window, a patent number's term): most listings need neither,
// and reading the clock costs about 100 ns on a virtual machine, 4 % of a
// listing's match.
type lazyNow struct {
	clock func() time.Time
	t     time.Time
	read  bool
}

func (n *lazyNow) get() time.Time {
	if !n.read {
		n.t, n.read = n.clock(), true
	}
	return n.t
}

// small reports whether the scratch's buffers are small enough to reuse.
func (sc *scratch) small() bool {
	return cap(sc.fields[0].orig)+cap(sc.fields[1].orig)+cap(sc.fields[2].orig) <= 1<<16
}

// judge is Match without metrics; it also returns the kind of the
// strongest hit.
func (m *Matcher) judge(sc *scratch, l *markwatch.Listing, now *lazyNow) (markwatch.Verdict, markwatch.MarkKind) {
	sc.reset()
	texts := [3]string{l.Title, l.Description, l.ImageText}
	for f := range texts {
		x := &sc.fields[f]
		sc.occ = m.fold.normalizeScan(x, texts[f], m.auto, sc.occ[:0])
		for _, o := range sc.occ {
			p := &m.auto.patterns[o.pattern]
			hanChecked, hanOK := false, true
			for ti := range p.targets {
				t := &p.targets[ti]
				if !m.bounded(x, p, o, t) {
					continue
				}
				s := span{field: uint8(f), mark: t.index, start: o.start, end: o.end}
				switch t.kind {
				case targetName:
					// Dictionary checks of weak candidates wait for filter,
					// which drops most of them for want of context first.
					han := p.hanStart || p.hanEnd
					if han && !t.weak && !hanChecked {
						hanChecked, hanOK = true, hanBounded(x, o.start, o.end)
					}
					if !hanOK {
						continue
					}
					sc.cands = append(sc.cands, candidate{field: uint8(f), mark: t.index, start: o.start, end: o.end,
						via: t.via, weak: t.weak, alias: t.alias, term: t.term, reading: t.reading,
						checkWords: han && t.weak, checkCommon: t.via == viaLookalike})
				case targetContext:
					sc.context = append(sc.context, t.index)
				case targetAliasContext:
					sc.aliasContext = append(sc.aliasContext, t.index)
				case targetCategory:
					sc.category = append(sc.category, s)
				case targetClaim:
					sc.claims = append(sc.claims, s)
				case targetGIClaim:
					sc.giClaims = append(sc.giClaims, s)
				case targetExclude:
					sc.excl = append(sc.excl, s)
				case targetSlang:
					a, b := x.span(int(o.start), int(o.end))
					sc.slang = append(sc.slang, slangFound{group: t.index, term: t.term, field: uint8(f), start: o.start, end: o.end, text: x.substr(a, b)})
				case targetSlangExclude:
					sc.slangExcl = append(sc.slangExcl, s)
				case targetNegator:
					sc.negators = append(sc.negators, s)
				case targetAccessory:
					if sc.accessory == "" {
						a, b := x.span(int(o.start), int(o.end))
						sc.accessory = x.substr(a, b)
					}
				case targetBefore:
					sc.before = append(sc.before, s)
				case targetAfter:
					sc.after = append(sc.after, s)
				case targetJoiner:
					sc.joiners = append(sc.joiners, s)
				}
			}
		}
		if x.digitRun >= 8 {
			sc.patents = scanPatentsField(x.orig, uint8(f), sc.patents)
		}
	}
	// Sound-alikes and doubled letters are weak evidence only, which
	// filter drops unless the listing has slang, a context, alias-context
	// or category word, or a claim word: without any, they are not read at
	// all (most listings), which spares the syllable automaton's pass.
	if len(sc.slang) > 0 || len(sc.context) > 0 || len(sc.aliasContext) > 0 || len(sc.category) > 0 ||
		len(sc.claims) > 0 || len(sc.giClaims) > 0 {
		for f := range texts {
			x := &sc.fields[f]
			sc.sndCls, sc.sndOcc = m.soundIdx.scan(x.norm, m.soundClass, sc.sndCls, sc.sndOcc[:0])
			m.homophones(sc, x, uint8(f))
			if hasDoubledLetter(x.norm) {
				m.doubled(sc, x, uint8(f))
			}
		}
	}
	if sc.accessory == "" && l.Category != "" {
		for _, c := range m.signals.AccessoryCategories {
			if strings.Contains(l.Category, c) {
				sc.accessory = "category " + l.Category
				break
			}
		}
	}

	v := markwatch.Verdict{ID: l.ID, Hits: []markwatch.Hit{}, Signals: []markwatch.Signal{}}
	m.filterSlang(sc)
	m.filter(sc, now)
	m.markDescriptive(sc)
	return m.score(sc, l, now, v)
}

// bounded applies a pattern's boundary rules to one occurrence, on the
// original text: Latin names need non-Latin neighbours (no apple in
// crabapple), digit ends need non-digit neighbours (杭州2022 is not in
// 杭州20221), two-letter Latin names must not be spread
// across spaces (so "L V-neck" is not LV, but L.V is), and 1:1 needs its
// separator.
func (m *Matcher) bounded(x *text, p *pattern, o occurrence, t *target) bool {
	s, e := x.span(int(o.start), int(o.end))
	orig := x.orig
	if s > 0 {
		prev := orig[s-1]
		if p.latinStart && m.fold.isLatin(prev) || p.digitStart && m.fold.isDigit(prev) {
			return false
		}
	}
	if e < len(orig) {
		next := orig[e]
		if p.latinEnd && m.fold.isLatin(next) || p.digitEnd && m.fold.isDigit(next) {
			return false
		}
	}
	if (p.latinStart || p.latinEnd) && t.kind == targetName && e-s > int(o.end-o.start) && m.fold.spreadContinues(orig, s, e) {
		return false
	}
	if t.wordEnd && e < len(orig) && isHan(orig[e]) {
		return false
	}
	if p.shortWord && t.kind == targetName && !shortWordBounded(orig, s, e) {
		return false
	}
	if p.digitEnd && t.kind == targetName && yearOfDate(orig, e) {
		return false
	}
	contiguous := e-s == int(o.end-o.start)
	if t.needSeparator && !ratioSeparator(orig[s:e]) {
		return false
	}
	if p.shortLatin {
		if !contiguous {
			for _, r := range orig[s:e] {
				if unicode.IsSpace(r) {
					return false
				}
			}
		}
		// Two letters are too few for look-alikes: "IV" (or Ⅳ) is a
		// roman four, not LV. The letters must be the name's own.
		if plainLetters(orig[s:e]) != plainLetters([]rune(t.term)) {
			return false
		}
	}
	if t.needSeparator && contiguous {
		return false
	}
	return true
}

// plainLetters is the letters and digits of runes after compatibility
// decomposition and lower-casing, without the confusables fold.
func plainLetters(runes []rune) string {
	var b strings.Builder
	for _, r := range runes {
		for _, d := range norm.NFKD.String(string(r)) {
			if unicode.IsLetter(d) || unicode.IsDigit(d) {
				b.WriteRune(unicode.ToLower(d))
			}
		}
	}
	return b.String()
}

// filter drops name candidates that do not count: a lapsed mark, a mark
// whose context words are absent, a name inside an excluded phrase, and a
// name inside a longer hit.
func (m *Matcher) filter(sc *scratch, now *lazyNow) {
	day := int32(-1) // read only for a mark with a validity window
	for i := range sc.cands {
		c := &sc.cands[i]
		in := &m.info[c.mark]
		if in.from != 0 || in.until != 0 {
			if day < 0 {
				day = int32(dayNumber(now.get()))
			}
			if in.from != 0 && day < in.from || in.until != 0 && day > in.until {
				c.dropped = true
				continue
			}
		}
		if in.needsContext && !slices.Contains(sc.context, c.mark) {
			c.dropped = true
			continue
		}
		// Weak evidence (a weak alias, a sound-alike, a look-alike, a
		// doubled letter) counts only with the alias's context words, the
		// mark's context or category words, or a counterfeit signal: slang
		// or a claim word right next to it. A low price is not enough: a
		// sound-alike of a brand on other goods (laolishi chilli sauce) is
		// as cheap as those goods, and a doubled letter spells ordinary
		// Latin words (channel, Nikke).
		// A GI's place alone (阳澄湖, 五常) is a place: only a quality claim
		// right after it (阳澄湖品质, 阳澄湖洗澡蟹) makes it the GI.
		if c.weak && in.kind == markwatch.GI {
			if claimAfter(sc.giClaims, c) == nil {
				c.dropped = true
				continue
			}
		} else if c.weak && !(c.alias >= 0 && slices.Contains(sc.aliasContext, c.alias) || slices.Contains(sc.context, c.mark) || sc.categoryFor(c) || len(sc.slang) > 0 ||
			claimAfter(sc.claims, c) != nil) {
			c.dropped = true
			continue
		}
		if x := &sc.fields[c.field]; c.checkCommon && commonWord(x.norm[c.start:c.end]) || c.checkWords && !hanBounded(x, c.start, c.end) {
			c.dropped = true
			continue
		}
		for _, x := range sc.excl {
			if x.mark == c.mark && x.field == c.field && x.start <= c.start && c.end <= x.end {
				c.dropped = true
				break
			}
		}
	}
	// Weak evidence defers to a name: when another mark is named
	// outright and this one only by weak evidence, the weak word belongs
	// to the named mark (老花 is the monogram of Gucci and Dior too:
	// "GUCCI 老花腰带" is Gucci's).
	for i := range sc.cands {
		c := &sc.cands[i]
		if c.dropped || !c.weak {
			continue
		}
		otherStrong, ownStrong := false, false
		for j := range sc.cands {
			d := &sc.cands[j]
			// A weak alias (a nickname several houses share) also defers
			// to a weak spelling of another mark's name (Diior 马鞍包 老花).
			if d.dropped || d.weak && !(c.via == viaAlias && d.via != viaAlias) {
				continue
			}
			if d.mark == c.mark {
				ownStrong = true
			} else if m.info[d.mark].kind == m.info[c.mark].kind {
				otherStrong = true
			}
		}
		if otherStrong && !ownStrong {
			c.dropped = true
		}
	}
	// A hit inside a longer hit (飞天茅台 ⊃ 茅台) is the same occurrence.
	for i := range sc.cands {
		c := &sc.cands[i]
		if c.dropped {
			continue
		}
		for j := range sc.cands {
			d := &sc.cands[j]
			if i == j || d.dropped || d.field != c.field {
				continue
			}
			same := d.start == c.start && c.end == d.end
			if d.start <= c.start && c.end <= d.end && (d.end-d.start > c.end-c.start || same && (c.weak && !d.weak || c.weak == d.weak && j < i && d.mark == c.mark)) {
				c.dropped = true
				break
			}
		}
	}
	sc.cands = slices.DeleteFunc(sc.cands, func(c candidate) bool { return c.dropped })
	slices.SortFunc(sc.cands, func(a, b candidate) int {
		if a.field != b.field {
			return int(a.field) - int(b.field)
		}
		if a.start != b.start {
			return int(a.start - b.start)
		}
		return int(a.mark - b.mark)
	})
}

// filterSlang drops slang inside an excluded phrase (原单价) or right after a
// negator (拒绝高仿).
func (m *Matcher) filterSlang(sc *scratch) {
	sc.slang = slices.DeleteFunc(sc.slang, func(s slangFound) bool {
		for _, x := range sc.slangExcl {
			if x.field == s.field && x.mark == s.group && x.start <= s.start && s.end <= x.end {
				return true
			}
		}
		for _, n := range sc.negators {
			if n.field == s.field && n.end == s.start {
				return true
			}
		}
		return false
	})
}

// markDescriptive flags names used to say what something fits: a
// descriptive word right before (适用于华为) or after (小米专用) the name, or
// a list of names sharing one such word (适用于华为/小米, 华为 P40 小米 10 通用).
func (m *Matcher) markDescriptive(sc *scratch) {
	find := func(list []span, field uint8, pos int32, atEnd bool) *span {
		for i := range list {
			s := &list[i]
			if s.field == field && (atEnd && s.end == pos || !atEnd && s.start == pos) {
				return s
			}
		}
		return nil
	}
	word := func(s *span) string {
		x := &sc.fields[s.field]
		a, b := x.span(int(s.start), int(s.end))
		return x.substr(a, b)
	}
	for i := range sc.cands {
		c := &sc.cands[i]
		if w := find(sc.before, c.field, c.start, true); w != nil {
			c.descriptive, c.why = true, "after "+strconv.Quote(word(w))
		} else if w := find(sc.after, c.field, c.end, false); w != nil {
			c.descriptive, c.why = true, "before "+strconv.Quote(word(w))
		}
	}
	// Propagate along lists: forward from a "before" word, backward to an
	// "after" word, across gaps of model names and joiners.
	for i := 1; i < len(sc.cands); i++ {
		p, c := &sc.cands[i-1], &sc.cands[i]
		if p.descriptive && !c.descriptive && p.field == c.field && m.listGap(sc, c.field, p.end, c.start) {
			c.descriptive, c.why = true, "listed with a name "+strings.TrimPrefix(p.why, "listed with a name ")
		}
	}
	for i := len(sc.cands) - 2; i >= 0; i-- {
		c, n := &sc.cands[i], &sc.cands[i+1]
		if n.descriptive && !c.descriptive && n.field == c.field && m.listGap(sc, c.field, c.end, n.start) {
			c.descriptive, c.why = true, "listed with a name "+strings.TrimPrefix(n.why, "listed with a name ")
		}
	}
}

// listGap reports whether the skeleton between two names can separate items
// of one list: nothing (separators were dropped), a joiner word (和, 及), or
// a short model name (P40, mate60, 14pro).
func (m *Matcher) listGap(sc *scratch, field uint8, from, to int32) bool {
	if from >= to {
		return true
	}
	for _, j := range sc.joiners {
		if j.field == field && j.start == from && j.end == to {
			return true
		}
	}
	if to-from > 8 {
		return false
	}
	norm := sc.fields[field].norm
	for _, r := range norm[from:to] {
		if !isASCIILetter(r) && !isASCIIDigit(r) {
			return false
		}
	}
	return true
}

// scanPatentsField finds patent numbers in one field.
func scanPatentsField(orig []rune, field uint8, out []patentMatch) []patentMatch {
	n := len(out)
	out = scanPatents(orig, out)
	for i := n; i < len(out); i++ {
		out[i].field = field
	}
	return out
}

// noisyOr combines independent evidence: 1 - Π(1 - w).
func noisyOr(ws ...float64) float64 {
	p := 1.0
	for _, w := range ws {
		p *= 1 - w
	}
	return 1 - p
}

// markEval is the evaluation of one mark's hits.
type markEval struct {
	mark        int32
	descriptive bool // every hit descriptive
	score       float64
	claim       string // a claim word next to a hit (同款, 品质)
}

// word is the original text of a span.
func (sc *scratch) word(s *span) string {
	x := &sc.fields[s.field]
	a, b := x.span(int(s.start), int(s.end))
	return x.substr(a, b)
}

// score applies the verdict policy and builds the verdict.
func (m *Matcher) score(sc *scratch, l *markwatch.Listing, now *lazyNow, v markwatch.Verdict) (markwatch.Verdict, markwatch.MarkKind) {
	w := m.signals.Weights
	// Every candidate left, patent number and photo hit is a hit: one
	// allocation of the right size.
	if n := len(sc.cands) + len(sc.patents) + len(l.PhotoHits); n > 0 {
		v.Hits = make([]markwatch.Hit, 0, n)
	}
	// And room for the usual signals: a couple for each hit's mark (its
	// price, region or claim; a descriptive use or a euphemism), one for
	// each slang group and each patent number: one allocation, where
	// appending one by one would grow the slice two or three times.
	if n := 2*len(sc.cands) + min(len(sc.slang), len(m.signals.Slang)) + len(sc.patents) + 2*len(l.PhotoHits); n > 0 {
		v.Signals = make([]markwatch.Signal, 0, n)
	}
	evals := sc.evals[:0]
	slangWeights := sc.weights[:0]    // slang that applies to every trademark
	var markSlang map[int32][]float64 // slang of one mark (euphemisms)
	defer func() { sc.evals, sc.weights = evals[:0], slangWeights[:0] }()
	for i := range sc.cands {
		c := &sc.cands[i]
		x := &sc.fields[c.field]
		a, b := x.span(int(c.start), int(c.end))
		// The marks that decorate the last letter (N̶I̶K̶E̶) belong to the hit.
		for b < len(x.orig) && unicode.In(x.orig[b], unicode.Mn, unicode.Me) {
			b++
		}
		mk := &m.info[c.mark]
		how := c.via
		if how == viaName && lookAlikeLetters(x.orig[a:b]) {
			how = viaConfusable
		}
		v.Hits = append(v.Hits, markwatch.Hit{
			Mark: mk.id, Kind: mk.kind, Field: fieldNames[c.field],
			Start: a, End: b, Text: x.substr(a, b), Descriptive: c.descriptive,
			Via: how.String(), ReadAs: m.readAs(c, how),
		})
		if c.descriptive {
			v.Signals = append(v.Signals, markwatch.Signal{Type: "descriptive", Mark: mk.id,
				Detail: strconv.Quote(x.substr(a, b)) + " in " + fieldNames[c.field] + " " + c.why + ": descriptive use, not suspect"})
		}
		k := slices.IndexFunc(evals, func(e markEval) bool { return e.mark == c.mark })
		if k < 0 {
			evals = append(evals, markEval{mark: c.mark, descriptive: true})
			k = len(evals) - 1
		}
		evals[k].descriptive = evals[k].descriptive && c.descriptive
		if c.via == viaAlias && c.alias >= 0 && m.aliases[c.alias].signal > 0 && !c.descriptive {
			al := &m.aliases[c.alias]
			detail := strconv.Quote(x.substr(a, b)) + " (euphemism for " + mk.id + ")"
			if !slices.ContainsFunc(v.Signals, func(s markwatch.Signal) bool { return s.Detail == detail }) {
				v.Signals = append(v.Signals, markwatch.Signal{Type: "slang", Mark: mk.id, Detail: detail, Weight: al.signal})
				if markSlang == nil {
					markSlang = map[int32][]float64{}
				}
				markSlang[c.mark] = append(markSlang[c.mark], al.signal)
			}
		}
		if !c.descriptive {
			if w := claimAfter(sc.claims, c); w != nil && evals[k].claim == "" && mk.kind != markwatch.GI {
				evals[k].claim = sc.word(w)
			}
			if w := claimAfter(sc.giClaims, c); w != nil && evals[k].claim == "" && mk.kind == markwatch.GI {
				evals[k].claim = sc.word(w)
			}
		}
	}

	// Photo hits (images.Step) join the text hits: the mark is in play as
	// if named, and a stolen reference photo is a signal of its own.
	var photoMarks map[int32][]float64
	for _, h := range l.PhotoHits {
		idx, ok := m.markIndex[h.Mark]
		if !ok {
			continue
		}
		mk := &m.info[idx]
		h.Kind, h.Field, h.Via = mk.kind, "photo", "photo"
		v.Hits = append(v.Hits, h)
		if !slices.ContainsFunc(evals, func(e markEval) bool { return e.mark == idx }) {
			evals = append(evals, markEval{mark: idx})
		} else {
			k := slices.IndexFunc(evals, func(e markEval) bool { return e.mark == idx })
			evals[k].descriptive = false
		}
		if photoMarks == nil {
			photoMarks = map[int32][]float64{}
		}
		if len(photoMarks[idx]) == 0 {
			photoMarks[idx] = append(photoMarks[idx], w.Photo)
		}
		v.Signals = append(v.Signals, markwatch.Signal{Type: "photo", Mark: mk.id, Weight: w.Photo, Detail: h.Explain()})
	}
	// A hit in the OCR text says which photo it was read in.
	for _, h := range v.Hits {
		if h.Field == fieldNames[2] {
			v.Signals = append(v.Signals, markwatch.Signal{Type: "image_text", Mark: h.Mark,
				Detail: fmt.Sprintf("text in image %d reads %q", l.PhotoIndex(h.Start), h.Text)})
		}
	}

	// Slang is listing-wide and counts once per group: one signal per
	// group found, naming its terms.
	for gi := range m.signals.Slang {
		if len(sc.slang) == 0 {
			break
		}
		// The group's distinct terms, quoted, in order of appearance: one
		// buffer, one string.
		detail := sc.detail[:0]
		for i := range sc.slang {
			s := &sc.slang[i]
			if int(s.group) != gi || slices.ContainsFunc(sc.slang[:i], func(o slangFound) bool { return o.group == s.group && o.text == s.text }) {
				continue
			}
			if len(detail) > 0 {
				detail = append(detail, ", "...)
			}
			detail = strconv.AppendQuote(detail, s.text)
		}
		if len(detail) == 0 {
			continue
		}
		g := &m.signals.Slang[gi]
		detail = append(append(append(detail, " ("...), g.Name...), ')')
		sc.detail = detail
		sig := markwatch.Signal{Type: "slang", Detail: string(detail), Weight: g.Weight}
		if g.Mark != "" {
			sig.Mark = g.Mark
			idx := m.slangMark[gi]
			if markSlang == nil {
				markSlang = map[int32][]float64{}
			}
			markSlang[idx] = append(markSlang[idx], g.Weight)
		} else {
			slangWeights = append(slangWeights, g.Weight)
		}
		v.Signals = append(v.Signals, sig)
	}

	best, strongest := 0.0, markwatch.MarkKind("")
	// Floors are in CNY: a price in another currency is compared only
	// converted through the configured rates (currency:), and the verdict
	// says at which rate; without a rate it is not compared, and the
	// verdict says so.
	price, priceNote, hasPrice := l.PriceCNY(m.signals.Currency.Rates)
	if priceNote != "" && hasPrice && m.signals.Currency.AsOf != "" {
		priceNote += " as of " + m.signals.Currency.AsOf
	}
	seller := strings.TrimSpace(l.Seller)
	shipFrom := strings.TrimSpace(l.ShipFrom)
	priceNum := "" // the listing's price, formatted once
	for i := range evals {
		e := &evals[i]
		in := &m.info[e.mark]
		mk := &m.marks[e.mark] // cold fields: sellers, regions
		switch {
		case e.descriptive:
			e.score = w.Descriptive
		case seller != "" && m.marks[e.mark].sellers[seller]:
			e.score = w.Mention
			v.Signals = append(v.Signals, markwatch.Signal{Type: "seller", Mark: in.id, Detail: fmt.Sprintf("seller %q is authorized for %s: not suspect", seller, in.id)})
		default:
			ws := append(sc.markWeights[:0], w.Mention)
			switch in.kind {
			case markwatch.Special:
				who := "an unnamed seller"
				if seller != "" {
					who = fmt.Sprintf("seller %q", seller)
				}
				ws = append(ws, w.Special)
				v.Signals = append(v.Signals, markwatch.Signal{Type: "special", Mark: in.id, Weight: w.Special,
					Detail: fmt.Sprintf("special mark %s used by %s, who is not licensed", in.id, who)})
			case markwatch.GI:
				switch {
				case e.claim != "" && !inRegion(shipFrom, mk.Regions):
					ws = append(ws, w.Region)
					v.Signals = append(v.Signals, markwatch.Signal{Type: "claim", Mark: in.id, Weight: w.Region,
						Detail: fmt.Sprintf("%s%s claims the GI's quality for goods not shipped from %s: GI misuse", mk.Names[0], e.claim, strings.Join(mk.Regions, "/"))})
				case shipFrom == "":
					v.Signals = append(v.Signals, markwatch.Signal{Type: "region", Mark: in.id, Detail: "ship_from unknown: a lead, not a suspect"})
				case inRegion(shipFrom, mk.Regions):
					v.Signals = append(v.Signals, markwatch.Signal{Type: "region", Mark: in.id, Detail: fmt.Sprintf("ships from %q, within %s", shipFrom, strings.Join(mk.Regions, "/"))})
				default:
					ws = append(ws, w.Region)
					v.Signals = append(v.Signals, markwatch.Signal{Type: "region", Mark: in.id, Weight: w.Region,
						Detail: fmt.Sprintf("ships from %q, outside %s", shipFrom, strings.Join(mk.Regions, "/"))})
				}
			case markwatch.Trademark:
				ws = append(ws, slangWeights...)
				if e.claim != "" {
					ws = append(ws, m.signals.Claims.Weight)
					v.Signals = append(v.Signals, markwatch.Signal{Type: "claim", Mark: in.id, Weight: m.signals.Claims.Weight,
						Detail: fmt.Sprintf("%q right after the mark claims the goods are the mark's or as good", e.claim)})
				}
				switch {
				case !hasPrice && priceNote != "" && in.minPrice > 0:
					v.Signals = append(v.Signals, markwatch.Signal{Type: "price", Mark: in.id, Detail: "price " + priceNote})
				case hasPrice && in.minPrice > 0 && price < in.minPrice && sc.accessory != "":
					v.Signals = append(v.Signals, markwatch.Signal{Type: "price", Mark: in.id,
						Detail: fmt.Sprintf("price %s CNY is below %s CNY, but the listing is an accessory (%q): the floor does not apply", fmtPrice(price), fmtPrice(in.minPrice), sc.accessory)})
				case hasPrice && in.minPrice > 0 && price < in.minPrice:
					pw := w.Price
					if price < in.minPrice*w.PriceFarRatio {
						pw = w.PriceFar
					}
					ws = append(ws, pw)
					if priceNum == "" {
						priceNum = fmtPrice(price)
					}
					v.Signals = append(v.Signals, markwatch.Signal{Type: "price", Mark: in.id, Weight: pw,
						Detail: "price " + priceNum + " CNY" + converted(priceNote) + in.belowFloor})
				case hasPrice && in.minPrice > 0 && priceNote != "":
					// Converted and not below: the verdict still states the rate.
					v.Signals = append(v.Signals, markwatch.Signal{Type: "price", Mark: in.id,
						Detail: "price " + fmtPrice(price) + " CNY" + converted(priceNote) + " is not below the genuine floor " + fmtPrice(in.minPrice) + " CNY"})
				}
			}
			ws = append(ws, markSlang[e.mark]...)
			ws = append(ws, photoMarks[e.mark]...)
			e.score = noisyOr(ws...)
			sc.markWeights = ws[:0]
		}
		if e.score > best {
			best, strongest = e.score, in.kind
		}
	}

	for _, p := range sc.patents {
		x := &sc.fields[p.field]
		num := p.number.String()
		v.Hits = append(v.Hits, markwatch.Hit{Mark: num, Kind: markwatch.Patent, Field: fieldNames[p.field],
			Start: p.start, End: p.end, Text: x.substr(p.start, p.end)})
		s := w.PatentValid
		if problem, why := p.number.Validate(now.get()); problem != PatentOK {
			s = noisyOr(w.PatentValid, w.Patent)
			v.Signals = append(v.Signals, markwatch.Signal{Type: "patent", Mark: num, Weight: w.Patent, Detail: fmt.Sprintf("patent number %s: %s", num, why)})
		}
		if s > best {
			best, strongest = s, markwatch.Patent
		}
	}

	if len(evals) == 0 && len(sc.patents) == 0 && len(sc.slang) > 0 {
		var ws []float64
		for _, s := range v.Signals {
			ws = append(ws, s.Weight)
		}
		best = w.Unmarked * noisyOr(ws...)
	}
	slices.SortStableFunc(v.Hits, func(a, b markwatch.Hit) int {
		if a.Field != b.Field {
			return fieldRank(a.Field) - fieldRank(b.Field) // title, description, image_text, photo
		}
		return a.Start - b.Start
	})
	v.Score = round3(best)
	v.Suspect = v.Score >= m.signals.Threshold
	return v, strongest
}

func inRegion(shipFrom string, regions []string) bool {
	for _, r := range regions {
		if r = strings.TrimSpace(r); r != "" && strings.Contains(shipFrom, r) {
			return true
		}
	}
	return false
}

func fieldRank(f string) int {
	if i := slices.Index(fieldNames[:], f); i >= 0 {
		return i
	}
	return len(fieldNames)
}

func fmtPrice(p float64) string {
	// Whole prices, the usual case, the cheap way (the same digits).
	if p > 0 && p < 1e15 && p == math.Trunc(p) {
		return strconv.FormatInt(int64(p), 10)
	}
	return strconv.FormatFloat(p, 'f', -1, 64)
}

func round3(x float64) float64 {
	return float64(int64(x*1000+0.5)) / 1000
}

// converted is " (NOTE)" for a price converted to CNY, else "".
func converted(note string) string {
	if note == "" {
		return ""
	}
	return " (" + note + ")"
}

// homophones turns the syllable automaton's occurrences in one field into
// candidates: Han runs that sound like a name (or strong alias) but are
// written with other characters. A two-character name needs one character
// in common (奈克 for 耐克): two swapped characters that merely sound the
// same are chance more often than evasion. A frequent dictionary word is
// never a homophone (化为 is "turn into", not 华为), and the run must be a
// word of its own (hanBounded): filter checks both, after the cheaper
// checks have dropped most chance matches.
func (m *Matcher) homophones(sc *scratch, x *text, field uint8) {
	for _, o := range sc.sndOcc {
		p := &m.sound.patterns[o.pattern]
		got := x.norm[o.start:o.end]
		for ti := range p.targets {
			t := &p.targets[ti]
			if slices.Equal(got, t.skeleton) {
				continue
			}
			if len(t.skeleton) == 2 && got[0] != t.skeleton[0] && got[1] != t.skeleton[1] {
				continue
			}
			sc.cands = append(sc.cands, candidate{field: field, mark: t.index, start: o.start, end: o.end,
				via: viaHomophone, weak: true, alias: t.alias, term: t.term, reading: t.reading, checkWords: true, checkCommon: true})
		}
	}
}

// categoryFor reports whether a category word of the candidate's mark is
// in the listing outside the candidate itself (铂金包 does not vouch for
// itself by ending in 包).
func (sc *scratch) categoryFor(c *candidate) bool {
	for _, w := range sc.category {
		if w.mark == c.mark && !(w.field == c.field && w.start >= c.start && w.end <= c.end) {
			return true
		}
	}
	return false
}

// claimAfter returns the claim word right after (or right before) a
// candidate in the same field, or nil.
func claimAfter(claims []span, c *candidate) *span {
	for i := range claims {
		w := &claims[i]
		if w.field == c.field && (w.start == c.end || w.end == c.start) {
			return w
		}
	}
	return nil
}

// readAs says what a candidate read the text as, for its hit.
func (m *Matcher) readAs(c *candidate, v via) string {
	switch v {
	case viaName:
		return ""
	case viaAlias, viaPinyin, viaHomophone:
		return c.reading
	}
	return c.term
}

// lookAlikeLetters reports whether a name's original text uses characters
// other than plain ASCII and Han for its letters (ɴɪᴋᴇ, Chаnel, R0LEX,
// ⓃⒾⓀⒺ): the hit is then via confusable.
func lookAlikeLetters(runes []rune) bool {
	for i, r := range runes {
		switch {
		case r < 0x80:
			if r >= '0' && r <= '9' || r == '|' || r == '!' || r == '@' || r == '$' {
				if (i > 0 && isASCIILetterOrig(runes[i-1])) || (i+1 < len(runes) && isASCIILetterOrig(runes[i+1])) {
					return true
				}
			}
		case isHan(r):
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsSymbol(r):
			return true
		}
	}
	return false
}

func isASCIILetterOrig(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// doubled reads the Latin words of a field that have a doubled letter
// through the automaton of collapsed names (phonetic.go): Guccci collapses
// to guci, which is GUCCI collapsed. A word that is the name itself (gucci)
// is the main automaton's hit; the same span read twice keeps the name.
func (m *Matcher) doubled(sc *scratch, x *text, field uint8) {
	norm := x.norm
	for i := 0; i < len(norm); {
		if !isASCIILetter(norm[i]) {
			i++
			continue
		}
		j := i
		for j < len(norm) && isASCIILetter(norm[j]) {
			j++
		}
		if j-i >= 4 && hasDoubledLetter(norm[i:j]) {
			sc.collapsed, sc.collapsedAt = sc.collapsed[:0], sc.collapsedAt[:0]
			for k := i; k < j; k++ {
				if k == i || norm[k] != norm[k-1] {
					sc.collapsed = append(sc.collapsed, norm[k])
					sc.collapsedAt = append(sc.collapsedAt, int32(k))
				}
			}
			sc.collapsedOcc = m.collapsed.scan(sc.collapsed, sc.collapsedOcc[:0])
			for _, o := range sc.collapsedOcc {
				// The last letter's run may go on into the next word
				// (Adiddas Samba: the s of both): the hit ends at the
				// first point of that run where a word can end.
				start := sc.collapsedAt[o.start]
				last := int32(j)
				if int(o.end) < len(sc.collapsedAt) {
					last = sc.collapsedAt[o.end]
				}
				p := &m.collapsed.patterns[o.pattern]
				for ti := range p.targets {
					t := &p.targets[ti]
					for end := sc.collapsedAt[o.end-1] + 1; end <= last; end++ {
						if m.bounded(x, p, occurrence{pattern: o.pattern, start: start, end: end}, t) {
							sc.cands = append(sc.cands, candidate{field: field, mark: t.index, start: start, end: end,
								via: viaDoubled, weak: true, alias: t.alias, term: t.term})
							break
						}
					}
				}
			}
		}
		i = j
	}
}
