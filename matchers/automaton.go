package matchers

import (
	"math/bits"
	"slices"
	"unicode/utf8"
)

// automaton is a rune-level Aho-Corasick automaton over skeleton runes. It
// reports every occurrence of every pattern, overlapping ones included,
// because a listing needs all of them at once: mark names, the context words
// that license them, the phrases that exclude them, slang and descriptive
// words.
//
// Runes are first mapped to dense classes (only runes that occur in some
// pattern get one; all others are class 0 and send the automaton to the
// root). The transitions are a double array: the child of state s by class
// c is the state numbered da[s].base+c, if that state's check is s. A step is
// thus one probe of one table, whatever the number of children, and a miss
// follows the failure link. States are placed in breadth-first order, so
// the shallow states, where a scan spends nearly all of its steps, come
// first and close together. Outputs are found through dictionary suffix
// links, so a scan costs O(text + matches).
type automaton struct {
	classBMP []uint16       // rune → class for the BMP
	classHi  map[rune]int32 // rune → class above it
	root     []int32        // class → state from the root (0: none)
	// da is indexed by state; slots that are no state have check -1.
	da       []daSlot
	info     []daInfo // cold per-state data: read only on an output
	states   int      // number of states (da also has free slots)
	patterns []pattern
	// emits has a bit for every state with an output on its dictionary
	// chain: a scan asks it (a small table, in cache) before it reads the
	// state's outputs.
	emits []uint64
}

// daSlot is the hot part of a state: what a step reads.
type daSlot struct {
	base  int32 // children are at base+class
	check int32 // the parent state, -1 for a free slot (and the root)
	fail  int32
}

// daInfo is the cold part of a state.
type daInfo struct {
	output int32 // pattern ending here, -1 if none
	depth  int32 // length of the path from the root: the output's length
	dict   int32 // nearest state on the fail chain with an output, -1 if none
}

// emitsAt reports whether state s has an output on its dictionary chain.
func (a *automaton) emitsAt(s int32) bool { return a.emits[s>>6]&(1<<(s&63)) != 0 }

// pattern is one distinct skeleton string and everything it stands for.
type pattern struct {
	length  int32 // in skeleton runes
	targets []target
	// Boundary rules of the pattern's ends, derived from its skeleton:
	// a Latin end needs a non-Latin original neighbour, a digit end a
	// non-digit one.
	latinStart, latinEnd bool
	digitStart, digitEnd bool
	shortLatin           bool // all-Latin and at most 2 runes: not spread across spaces (L V-neck)
	// shortWord: all-Latin and at most 3 runes, so not a name when glued
	// to digits or followed by a level/version marker (LV5, Lv.10, GG3级).
	shortWord bool
	// hanStart, hanEnd: the pattern begins or ends with a Han rune, so
	// dictionary words around it decide whether it is a word of its own.
	hanStart, hanEnd bool
}

// targetKind says what a pattern occurrence means.
type targetKind uint8

const (
	targetName targetKind = iota
	targetContext
	targetExclude
	targetSlang
	targetBefore // descriptive word before a name
	targetAfter  // descriptive word after a name
	targetJoiner
	targetSlangExclude // phrase containing a slang term that is not slang
	targetNegator      // word denying the slang term after it
	targetAccessory    // accessory word: price floors do not apply
	targetAliasContext // context word of one alias (index: the alias)
	targetCategory     // a word for the mark's goods (weak evidence counts with it)
	targetClaim        // X同款, X平替: a claim right after a name
	targetGIClaim      // X品质, X风味: a GI used as a quality claim
)

// via says how a name target reads the text.
type via uint8

const (
	viaName via = iota
	viaAlias
	viaPinyin
	viaHomophone
	viaLookalike
	viaDoubled
	viaConfusable // decided per hit: a name written with look-alike letters
)

var viaNames = [...]string{"name", "alias", "pinyin", "homophone", "lookalike", "doubled", "confusable"}

func (v via) String() string { return viaNames[v] }

type target struct {
	kind targetKind
	// index: the mark (name, context, exclude), the slang group, or unused.
	index int32
	// term is the configured spelling (for explanations).
	term string
	// needSeparator: the configured term had punctuation between digits
	// (1:1); the original span must too.
	needSeparator bool
	// Name targets: how the pattern reads the mark, whether that is weak
	// evidence (counts only with context or another signal), the alias
	// (index into Matcher.aliases, -1 for none), what an alias or phonetic
	// target is read as (the mark's first name; `耐克 (naike)`, built
	// once), and for homophones the name's own skeleton.
	via  via
	weak bool
	// wordEnd: the term must end a Han word (category "*包": 腋下包, not 包邮).
	wordEnd  bool
	alias    int32
	reading  string
	skeleton []rune
}

// occurrence is one pattern found in a skeleton: [start, end) in skeleton runes.
type occurrence struct {
	pattern    int32
	start, end int32
}

// automatonBuilder collects patterns before the automaton is built.
type automatonBuilder struct {
	index    map[string]int32
	patterns []pattern
	keys     [][]rune
}

func newAutomatonBuilder() *automatonBuilder { return newAutomatonBuilderSize(0) }

// newAutomatonBuilderSize sizes the builder for about n patterns, which
// saves the regrowth of its index at hundreds of thousands of patterns.
func newAutomatonBuilderSize(n int) *automatonBuilder {
	return &automatonBuilder{index: make(map[string]int32, n), patterns: make([]pattern, 0, n), keys: make([][]rune, 0, n)}
}

// add registers skeleton (already folded) with a target. Empty skeletons
// are ignored (validation reports them).
func (b *automatonBuilder) add(skeleton []rune, t target) {
	if len(skeleton) == 0 {
		return
	}
	key := string(skeleton)
	id, ok := b.index[key]
	if !ok {
		id = int32(len(b.patterns))
		b.index[key] = id
		p := pattern{length: int32(len(skeleton))}
		first, last := skeleton[0], skeleton[len(skeleton)-1]
		p.latinStart, p.latinEnd = isASCIILetter(first), isASCIILetter(last)
		p.digitStart, p.digitEnd = isASCIIDigit(first), isASCIIDigit(last)
		p.shortLatin = len(skeleton) <= 2
		p.shortWord = len(skeleton) <= 3
		for _, r := range skeleton {
			p.shortLatin = p.shortLatin && isASCIILetter(r)
			p.shortWord = p.shortWord && isASCIILetter(r)
		}
		p.hanStart, p.hanEnd = isHan(first), isHan(last)
		b.patterns = append(b.patterns, p)
		b.keys = append(b.keys, slices.Clone(skeleton))
	}
	p := &b.patterns[id]
	for _, old := range p.targets {
		if old.kind == t.kind && old.index == t.index && old.needSeparator == t.needSeparator && (t.kind != targetAliasContext || old.alias == t.alias) {
			return
		}
	}
	p.targets = append(p.targets, t)
}

func isASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' }
func isASCIIDigit(r rune) bool  { return r >= '0' && r <= '9' }

// build freezes the patterns into an automaton.
func (b *automatonBuilder) build() *automaton {
	a := &automaton{classBMP: make([]uint16, 0x10000), classHi: map[rune]int32{}, patterns: b.patterns}
	// Classes in order of first appearance; class 0 is "in no pattern".
	classes := int32(1)
	classOf := func(r rune) int32 {
		if r < 0x10000 {
			if c := a.classBMP[r]; c != 0 {
				return int32(c)
			}
			if classes >= 0xFFFF {
				panic("matchers: more than 65534 distinct pattern runes")
			}
			a.classBMP[r] = uint16(classes)
		} else {
			if c, ok := a.classHi[r]; ok {
				return c
			}
			a.classHi[r] = classes
		}
		classes++
		return classes - 1
	}
	// Trie, built from the patterns sorted by their class sequences: a
	// pattern shares its prefix with the one before it, so no map is
	// needed to find existing children (a map per state, or one map of all
	// edges, costs most of the build at a million states).
	total := 0
	for _, key := range b.keys {
		total += len(key)
	}
	flat := make([]int32, 0, total)
	seqs := make([][]int32, len(b.keys))
	for id, key := range b.keys {
		start := len(flat)
		for _, r := range key {
			flat = append(flat, classOf(r))
		}
		seqs[id] = flat[start:len(flat):len(flat)]
	}
	ids := make([]int32, len(seqs))
	for i := range ids {
		ids[i] = int32(i)
	}
	slices.SortFunc(ids, func(x, y int32) int { return slices.Compare(seqs[x], seqs[y]) })
	outputs, depths := make([]int32, 1, total+1), make([]int32, 1, total+1)
	outputs[0] = -1
	type triple struct{ parent, class, child int32 }
	triples := make([]triple, 0, total)
	var path []int32 // path[i]: the state after i+1 runes of the previous pattern
	var prev []int32
	for _, id := range ids {
		seq := seqs[id]
		common := 0
		for common < len(seq) && common < len(prev) && seq[common] == prev[common] {
			common++
		}
		path = path[:common]
		s := int32(0)
		if common > 0 {
			s = path[common-1]
		}
		for _, c := range seq[common:] {
			next := int32(len(outputs))
			outputs, depths = append(outputs, -1), append(depths, depths[s]+1)
			triples = append(triples, triple{s, c, next})
			path = append(path, next)
			s = next
		}
		outputs[s] = id
		prev = seq
	}
	// Edges grouped by parent, sorted by class: the patterns were inserted
	// in class order, so each parent's children already come in class
	// order and a stable counting sort by parent is enough.
	nTrie := len(outputs)
	firstEdge := make([]int32, nTrie+1)
	for _, t := range triples {
		firstEdge[t.parent+1]++
	}
	for i := 1; i < len(firstEdge); i++ {
		firstEdge[i] += firstEdge[i-1]
	}
	edgeClass, edgeChild := make([]int32, len(triples)), make([]int32, len(triples))
	fill := slices.Clone(firstEdge[:nTrie])
	for _, t := range triples {
		edgeClass[fill[t.parent]], edgeChild[fill[t.parent]] = t.class, t.child
		fill[t.parent]++
	}
	triples, fill = nil, nil
	// Place the states into the double array in breadth-first order (see
	// placer): order lists the trie states in that order, newID maps them
	// to their slots, bases[k] is the base of order[k].
	newID := make([]int32, nTrie)
	order := make([]int32, 1, nTrie)
	bases := make([]int32, 0, nTrie)
	pl := newPlacer(nTrie + int(classes))
	pl.take(0) // the root; its children are at their class
	a.root = make([]int32, classes)
	for head := 0; head < len(order); head++ {
		s := order[head]
		cs := edgeClass[firstEdge[s]:firstEdge[s+1]]
		base := int32(0)
		if s != 0 && len(cs) > 0 {
			base = pl.find(cs)
		}
		bases = append(bases, base)
		for k, c := range cs {
			t := base + c
			pl.take(t)
			child := edgeChild[firstEdge[s]+int32(k)]
			newID[child] = t
			order = append(order, child)
		}
	}
	size := pl.end() + classes + 1
	a.da = make([]daSlot, size)
	a.info = make([]daInfo, size)
	for i := range a.da {
		a.da[i] = daSlot{check: -1}
		a.info[i] = daInfo{output: -1, dict: -1}
	}
	a.states = nTrie
	for k, s := range order {
		ns := newID[s]
		a.da[ns].base = bases[k]
		a.info[ns] = daInfo{output: outputs[s], depth: depths[s], dict: -1}
		for e := firstEdge[s]; e < firstEdge[s+1]; e++ {
			a.da[newID[edgeChild[e]]].check = ns
			if s == 0 {
				a.root[edgeClass[e]] = newID[edgeChild[e]]
			}
		}
	}
	// Fail and dictionary links in breadth-first order (by depth).
	for _, s := range order {
		ns := newID[s]
		for e := firstEdge[s]; e < firstEdge[s+1]; e++ {
			child := newID[edgeChild[e]]
			f := int32(0)
			if s != 0 {
				f = a.next(a.da[ns].fail, edgeClass[e])
			}
			a.da[child].fail = f
			if a.info[f].output >= 0 {
				a.info[child].dict = f
			} else {
				a.info[child].dict = a.info[f].dict
			}
		}
	}
	a.emits = make([]uint64, (size+63)/64)
	for i := range a.da {
		if a.info[i].output >= 0 || a.info[i].dict >= 0 {
			a.emits[i>>6] |= 1 << (i & 63)
		}
	}
	// The patterns' targets in one array: one object for the garbage
	// collector to mark instead of one per pattern.
	total = 0
	for i := range a.patterns {
		total += len(a.patterns[i].targets)
	}
	all := make([]target, 0, total)
	for i := range a.patterns {
		p := &a.patterns[i]
		n := len(all)
		all = append(all, p.targets...)
		p.targets = all[n:len(all):len(all)]
	}
	return a
}

// placer finds double-array bases: slots taken are bits of a bitset, and
// a set of child classes goes at the first base where all of its slots are
// free, looking at no more than placeTries free slots from the first free
// one before it goes past the last slot taken (where everything is free).
// So the states with one child, most of them, fill the holes that wide
// states leave, and placing stays linear in the number of states.
type placer struct {
	used      []uint64
	firstFree int32 // no free slot below
	last      int32 // highest slot taken
}

const placeTries = 256

func newPlacer(n int) *placer { return &placer{used: make([]uint64, n/64+1)} }

func (p *placer) isUsed(i int32) bool {
	w := int(i >> 6)
	return w < len(p.used) && p.used[w]&(1<<(i&63)) != 0
}

func (p *placer) take(i int32) {
	for int(i>>6) >= len(p.used) {
		p.used = append(p.used, make([]uint64, len(p.used)+1)...)
	}
	p.used[i>>6] |= 1 << (i & 63)
	p.last = max(p.last, i)
	if i == p.firstFree {
		p.firstFree = p.nextFree(i + 1)
	}
}

// nextFree is the first free slot at or after i.
func (p *placer) nextFree(i int32) int32 {
	for {
		w := int(i >> 6)
		if w >= len(p.used) {
			return i
		}
		if free := ^p.used[w] >> (i & 63); free != 0 {
			return i + int32(bits.TrailingZeros64(free))
		}
		i = int32(w+1) << 6
	}
}

// find returns a base for the sorted classes cs (the caller takes
// base+c for each). Bases are at least 1, so no child lands on the root.
func (p *placer) find(cs []int32) int32 {
	f := p.nextFree(max(p.firstFree, cs[0]+1))
	for try := 0; try < placeTries && f <= p.last; try++ {
		base := f - cs[0]
		ok := true
		for _, c := range cs[1:] {
			if p.isUsed(base + c) {
				ok = false
				break
			}
		}
		if ok {
			return base
		}
		f = p.nextFree(f + 1)
	}
	return max(p.last+1, f) - cs[0]
}

// end is one past the highest slot taken.
func (p *placer) end() int32 { return p.last + 1 }

// class returns the class of a skeleton rune (0: in no pattern).
func (a *automaton) class(r rune) int32 {
	if r < 0x10000 {
		return int32(a.classBMP[r])
	}
	return a.classHi[r]
}

// next is the goto function with failure transitions.
func (a *automaton) next(s, c int32) int32 { return step(a.da, a.root, s, c) }

// step is next over the automaton's tables, small enough for the compiler
// to inline into the scan loops: a call in a loop makes it spill its
// registers.
func step(da []daSlot, root []int32, s, c int32) int32 {
	if c == 0 {
		return 0
	}
	for s != 0 {
		st := &da[s]
		if t := st.base + c; da[t].check == s {
			return t
		}
		s = st.fail
	}
	return root[c]
}

// scan appends every occurrence of every pattern in runes to out.
func (a *automaton) scan(runes []rune, out []occurrence) []occurrence {
	s := int32(0)
	for i, r := range runes {
		if s == 0 {
			s = a.root[a.class(r)]
		} else {
			s = a.next(s, a.class(r))
		}
		if s != 0 && a.emitsAt(s) {
			out = a.outputs(s, int32(i+1), out)
		}
	}
	return out
}

// outputs appends the occurrences ending at skeleton position end (exclusive)
// in state s.
func (a *automaton) outputs(s, end int32, out []occurrence) []occurrence {
	if a.info[s].output < 0 {
		s = a.info[s].dict
	}
	for ; s >= 0; s = a.info[s].dict {
		in := a.info[s]
		out = append(out, occurrence{pattern: in.output, start: end - in.depth, end: end})
	}
	return out
}

// countString is a bare scan of a string (decoded on the fly, no
// normalisation) that only counts occurrences: the benchmark baseline. It
// decodes the way normalize does (ASCII and three-byte runes inline) and
// steps the way the matcher's scan does, so that it is as fast as a scan
// of this automaton over raw text can be.
func (a *automaton) countString(s string) int {
	n := 0
	da, root, emits, info := a.da, a.root, a.emits, a.info
	classes := (*[0x10000]uint16)(a.classBMP)
	st := int32(0)
	for b := 0; b < len(s); {
		r := rune(s[b])
		switch {
		case r < utf8.RuneSelf:
			b++
		case r&0xF0 == 0xE0 && b+2 < len(s) && s[b+1]&0xC0 == 0x80 && s[b+2]&0xC0 == 0x80 &&
			(r != 0xE0 || s[b+1] >= 0xA0) && (r != 0xED || s[b+1] < 0xA0):
			r = (r&0x0F)<<12 | rune(s[b+1]&0x3F)<<6 | rune(s[b+2]&0x3F)
			b += 3
		default:
			var size int
			r, size = utf8.DecodeRuneInString(s[b:])
			b += size
		}
		var c int32
		if r < 0x10000 {
			c = int32(classes[r])
		} else {
			c = a.classHi[r]
		}
		st = step(da, root, st, c)
		if st == 0 || emits[st>>6]&(1<<(st&63)) == 0 {
			continue
		}
		o := st
		if info[o].output < 0 {
			o = info[o].dict
		}
		for ; o >= 0; o = info[o].dict {
			n++
		}
	}
	return n
}
