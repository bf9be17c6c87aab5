package matchers

import "slices"

// The syllable pass (homophones) over a listing's Han text. Its automaton
// has a state for nearly every syllable at depth one, and for many pairs
// at depth two, so an Aho-Corasick scan of Han text rarely rests at the
// root: most characters cost a miss and a failure link, each a probe of
// a large table. Yet a homophone of a name is rare. soundIndex finds
// the starts worth a look first: a position can start an occurrence only
// if its two syllables are a whole pattern or its three are the first
// three of one, which two small bit sets (hashed syllable pairs and
// triples, in cache) answer; only there does it walk the automaton's
// goto function from the root. Its occurrences are the automaton scan's,
// in the same order (by end, the longest first).

const (
	pairBits   = 1 << 18 // 32 KiB
	tripleBits = 1 << 20 // 128 KiB
)

type soundIndex struct {
	a *automaton
	// pairs marks the hashed class pairs that are a whole pattern,
	// triples the hashed class triples that begin a longer one.
	pairs, triples []uint64
	// scanAll: some pattern is a single syllable; the filter cannot
	// serve, and the automaton scans the text.
	scanAll bool
}

func pairSlot(c1, c2 int32) uint32 {
	return (uint32(c1)*0x9E3779B1 ^ uint32(c2)*0x85EBCA77) >> (32 - 18)
}

func tripleSlot(c1, c2, c3 int32) uint32 {
	return (uint32(c1)*0x9E3779B1 ^ uint32(c2)*0x85EBCA77 ^ uint32(c3)*0xC2B2AE3D) >> (32 - 20)
}

// newSoundIndex indexes a's patterns, whose skeletons are given by
// skeletons (the runes the automaton was built from).
func newSoundIndex(a *automaton, skeletons [][]rune) *soundIndex {
	x := &soundIndex{a: a, pairs: make([]uint64, pairBits/64), triples: make([]uint64, tripleBits/64)}
	for _, sk := range skeletons {
		cs := make([]int32, len(sk))
		for i, r := range sk {
			cs[i] = a.class(r)
		}
		switch {
		case len(cs) == 0:
		case len(cs) == 1:
			x.scanAll = true
		case len(cs) == 2:
			s := pairSlot(cs[0], cs[1])
			x.pairs[s>>6] |= 1 << (s & 63)
		default:
			s := tripleSlot(cs[0], cs[1], cs[2])
			x.triples[s>>6] |= 1 << (s & 63)
		}
	}
	return x
}

// scan appends the occurrences of the automaton's patterns in runes,
// whose classes come from classes, to occ; cls is a work buffer.
func (x *soundIndex) scan(runes []rune, classes []uint16, cls []int32, occ []occurrence) ([]int32, []occurrence) {
	a := x.a
	if x.scanAll {
		return cls, a.scanRunes(runes, (*[0x10000]uint16)(classes), occ)
	}
	cls = slices.Grow(cls[:0], len(runes))[:len(runes)]
	for i, r := range runes {
		if r < 0x10000 {
			cls[i] = int32(classes[r])
		} else {
			cls[i] = a.classHi[r]
		}
	}
	from := len(occ)
	da, root, info := a.da, a.root, a.info
	for i := 0; i+1 < len(cls); i++ {
		c1, c2 := cls[i], cls[i+1]
		if c1 == 0 || c2 == 0 {
			continue
		}
		p := pairSlot(c1, c2)
		maybe := x.pairs[p>>6]&(1<<(p&63)) != 0
		if !maybe && i+2 < len(cls) && cls[i+2] != 0 {
			t := tripleSlot(c1, c2, cls[i+2])
			maybe = x.triples[t>>6]&(1<<(t&63)) != 0
		}
		if !maybe {
			continue
		}
		// Walk the goto function from the root: every state on the way
		// that is a pattern's end is an occurrence starting at i.
		s := root[c1]
		for j := i + 1; s != 0 && j < len(cls); j++ {
			c := cls[j]
			t := da[s].base + c
			if c == 0 || da[t].check != s { // no child: step's goto, without its failure links
				break
			}
			s = t
			if out := info[s].output; out >= 0 {
				occ = append(occ, occurrence{pattern: out, start: int32(i), end: int32(j + 1)})
			}
		}
	}
	// The automaton's order: by end, and at one end the longest first.
	if len(occ)-from > 1 {
		slices.SortFunc(occ[from:], func(p, q occurrence) int {
			if p.end != q.end {
				return int(p.end - q.end)
			}
			return int(p.start - q.start)
		})
	}
	return cls, occ
}
