package matchers

import (
	"slices"
)

// automaton is a rune-level Aho-Corasick automaton over skeleton runes. It
// reports every occurrence of every pattern, overlapping ones included,
// because a listing needs all of them at once: mark names, the context words
// that license them, the phrases that exclude them, slang and descriptive
// words.
//
// Runes are first mapped to dense classes (only runes that occur in some
// pattern get one; all others are class 0 and send the automaton to the
// root). The root's transitions are a dense table over classes, which is
// where a scan spends most of its time; deeper states keep their few edges
// sorted in one shared slice. Outputs are found through dictionary suffix
// links, so a scan costs O(text + matches).
type automaton struct {
	classBMP []uint16       // rune → class for the BMP
	classHi  map[rune]int32 // rune → class above it
	root     []int32        // class → state from the root
	states   []acState
	edges    []acEdge
	patterns []pattern
	// wide holds the edges of states with more than linearEdges children
	// in an open-addressing hash table keyed by (state, class): CJK names
	// share first characters, so such states have hundreds of children.
	wide      []wideEdge
	wideShift uint
	// lut is, for every BMP rune, its fold (foldTable.bmp) in the low 32
	// bits and the class of the folded rune in the high 32: the normaliser
	// and the automaton share one lookup a rune.
	lut []uint64
	// row1 and dense1 (see densify) give states one step from the root a
	// full transition row: dense1[row1[s]*classes+c]. nil when not built.
	row1    []int32
	dense1  []int32
	classes int32
	// emits has a bit for every state with an output on its dictionary
	// chain: a scan asks it (a small table, in cache) before it reads the
	// state itself, which for most states of a big automaton is a miss.
	emits []uint64
}

// emitsAt reports whether state s has an output on its dictionary chain.
func (a *automaton) emitsAt(s int32) bool { return a.emits[s>>6]&(1<<(s&63)) != 0 }

// densify gives every state one step from the root a full transition row
// (failure transitions resolved), so that stepping out of them is one
// lookup. It pays off for the syllable automaton, whose alphabet is small
// (about 400 syllables) and where almost every Han rune of a title leaves
// the root.
func (a *automaton) densify() {
	a.classes = int32(len(a.root))
	a.row1 = make([]int32, len(a.states))
	for i := range a.row1 {
		a.row1[i] = -1
	}
	var rows int32
	for _, s := range a.root {
		if s != 0 && a.row1[s] < 0 {
			a.row1[s] = rows
			rows++
		}
	}
	a.dense1 = make([]int32, int(rows)*int(a.classes))
	for s, row := range a.row1 {
		if row < 0 {
			continue
		}
		for c := int32(1); c < a.classes; c++ {
			a.dense1[row*a.classes+c] = a.next(int32(s), c)
		}
	}
}

// attachFold builds lut from the fold table.
func (a *automaton) attachFold(t *foldTable) {
	a.lut = make([]uint64, 0x10000)
	for r, f := range t.bmp {
		var class int32
		if f != foldDrop && f&foldExpanded == 0 {
			class = a.class(rune(f))
		}
		a.lut[r] = uint64(class)<<32 | uint64(f)
	}
}

// linearEdges is the most edges a state keeps for a linear scan.
const linearEdges = 4

type wideEdge struct {
	key  uint64 // state<<32 | class; 0 = empty (state 0 uses the root table)
	next int32
}

func wideKey(s, c int32) uint64 { return uint64(s)<<32 | uint64(uint32(c)) }

func (a *automaton) wideSlot(key uint64) uint64 {
	return (key * 0x9E3779B97F4A7C15) >> a.wideShift
}

type acState struct {
	first, count int32 // edges[first:first+count], sorted by class
	fail         int32
	dict         int32 // nearest state on the fail chain with an output, -1 if none
	output       int32 // pattern ending here, -1 if none
	depth        int32 // length of the path from the root: the output's length
}

type acEdge struct {
	class int32
	next  int32
}

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
	// (index into Matcher.aliases, -1 for none), the pinyin reading of
	// phonetic targets, and for homophones the name's own skeleton.
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
	// Freeze edges grouped by parent, sorted by class: the patterns were
	// inserted in class order, so each parent's children already come in
	// class order and a stable counting sort by parent is enough.
	counts := make([]int32, len(outputs)+1)
	for _, t := range triples {
		counts[t.parent+1]++
	}
	for i := 1; i < len(counts); i++ {
		counts[i] += counts[i-1]
	}
	sorted := make([]triple, len(triples))
	for _, t := range triples {
		sorted[counts[t.parent]] = t
		counts[t.parent]++
	}
	triples = sorted
	a.states = make([]acState, len(outputs))
	a.root = make([]int32, classes)
	for i := range a.states {
		a.states[i] = acState{fail: 0, dict: -1, output: outputs[i], depth: depths[i]}
	}
	a.edges = make([]acEdge, len(triples))
	for i, t := range triples {
		st := &a.states[t.parent]
		if st.count == 0 {
			st.first = int32(i)
		}
		st.count++
		a.edges[i] = acEdge{class: t.class, next: t.child}
		if t.parent == 0 {
			a.root[t.class] = t.child
		}
	}
	// Fail and dictionary links in breadth-first order (by depth).
	order := make([]int32, 0, len(outputs))
	order = append(order, 0)
	for head := 0; head < len(order); head++ {
		s := order[head]
		st := a.states[s]
		for _, e := range a.edges[st.first : st.first+st.count] {
			child := e.next
			order = append(order, child)
			if s == 0 {
				a.states[child].fail = 0
			} else {
				a.states[child].fail = a.nextSorted(a.states[s].fail, e.class)
			}
			f := a.states[child].fail
			if a.states[f].output >= 0 {
				a.states[child].dict = f
			} else {
				a.states[child].dict = a.states[f].dict
			}
		}
	}
	a.emits = make([]uint64, (len(a.states)+63)/64)
	for i := range a.states {
		if a.states[i].output >= 0 || a.states[i].dict >= 0 {
			a.emits[i>>6] |= 1 << (i & 63)
		}
	}
	// Hash the edges of wide states.
	wideCount := 0
	for s := 1; s < len(a.states); s++ {
		if a.states[s].count > linearEdges {
			wideCount += int(a.states[s].count)
		}
	}
	size, bits := 1, uint(0)
	for size < 2*wideCount || size < 2 {
		size, bits = size*2, bits+1
	}
	a.wide, a.wideShift = make([]wideEdge, size), 64-bits
	for s := int32(1); s < int32(len(a.states)); s++ {
		st := a.states[s]
		if st.count <= linearEdges {
			continue
		}
		for _, e := range a.edges[st.first : st.first+st.count] {
			key := wideKey(s, e.class)
			for i := a.wideSlot(key); ; i = (i + 1) & uint64(size-1) {
				if a.wide[i].key == 0 {
					a.wide[i] = wideEdge{key: key, next: e.next}
					break
				}
			}
		}
	}
	return a
}

// nextDense is next for an automaton with dense first-step rows
// (densify): the failure chain stops at the first state that has a row.
func (a *automaton) nextDense(s, c int32) int32 {
	for s != 0 {
		if row := a.row1[s]; row >= 0 {
			return a.dense1[row*a.classes+c]
		}
		st := &a.states[s]
		if st.count <= linearEdges {
			for _, e := range a.edges[st.first : st.first+st.count] {
				if e.class == c {
					return e.next
				}
			}
		} else {
			key := wideKey(s, c)
			mask := uint64(len(a.wide) - 1)
			for i := a.wideSlot(key); a.wide[i].key != 0; i = (i + 1) & mask {
				if a.wide[i].key == key {
					return a.wide[i].next
				}
			}
		}
		s = st.fail
	}
	return a.root[c]
}

// class returns the class of a skeleton rune (0: in no pattern).
func (a *automaton) class(r rune) int32 {
	if r < 0x10000 {
		return int32(a.classBMP[r])
	}
	return a.classHi[r]
}

// next is the goto function with failure transitions.
func (a *automaton) next(s, c int32) int32 {
	if c == 0 {
		return 0
	}
	for s != 0 {
		st := &a.states[s]
		if st.count <= linearEdges {
			for _, e := range a.edges[st.first : st.first+st.count] {
				if e.class == c {
					return e.next
				}
			}
		} else {
			key := wideKey(s, c)
			mask := uint64(len(a.wide) - 1)
			for i := a.wideSlot(key); a.wide[i].key != 0; i = (i + 1) & mask {
				if a.wide[i].key == key {
					return a.wide[i].next
				}
			}
		}
		s = st.fail
	}
	return a.root[c]
}

// nextSorted is next by binary search over the sorted edges, used while
// building, before the hash table of wide states exists.
func (a *automaton) nextSorted(s, c int32) int32 {
	for s != 0 {
		st := &a.states[s]
		edges := a.edges[st.first : st.first+st.count]
		if i, ok := slices.BinarySearchFunc(edges, c, func(e acEdge, c int32) int { return int(e.class - c) }); ok {
			return edges[i].next
		}
		s = st.fail
	}
	return a.root[c]
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
	for o := s; o >= 0; o = a.states[o].dict {
		st := &a.states[o]
		if st.output >= 0 {
			out = append(out, occurrence{pattern: st.output, start: end - st.depth, end: end})
		}
	}
	return out
}

// countString is a bare scan of a string (decoded on the fly, no
// normalisation) that only counts occurrences: the benchmark baseline.
func (a *automaton) countString(s string) int {
	n := 0
	st := int32(0)
	for _, r := range s {
		if st == 0 {
			st = a.root[a.class(r)]
		} else {
			st = a.next(st, a.class(r))
		}
		if st == 0 || !a.emitsAt(st) {
			continue
		}
		for o := st; o >= 0; o = a.states[o].dict {
			if a.states[o].output >= 0 {
				n++
			}
		}
	}
	return n
}
