//go:generate go run ./internal/gendata

package matchers

import (
	_ "embed"
	"math/bits"
	"sort"
	"sync"
)

// The Chinese dictionary the matcher consults around Han hits: the zh_s
// dictionary of github.com/go-ego/gse (about 340,000 words with frequency and
// part of speech), turned by `go generate` (internal/gendata) into a sorted
// table of 56-bit word hashes, each with a frequency class and a
// part-of-speech class in its low byte. It is read in place: no parsing and
// no heap at start-up, and a lookup is an interpolation search. Loading gse's own
// segmenter instead costs 3.4 s and 128 MB per process, and segmenting
// every title would cost far more than the matcher's whole budget; the
// matcher only needs to ask "is this run of characters a word, and what
// kind" at the few places where a name was found.
//
//go:embed hanwords.bin
var hanWords string

// Part-of-speech classes of hanwords.bin (see internal/gendata).
const (
	posOther   = 0
	posPerson  = 1 // nr: a Chinese personal name
	posForeign = 2 // nrt: a transliterated foreign name (克劳迪, 迪奥斯)
	posPlace   = 3 // ns: a place
	posProper  = 4 // nt, nz: an organisation or another proper noun
)

// commonFreqClass: a word this frequent (gse frequency >= 16) is a word
// people write for its own sake, not a sound-alike of a brand.
const commonFreqClass = 5

// wordInfo says whether runes are a dictionary word and, if so, its
// frequency class (1 + log2 of gse's frequency) and part-of-speech class.
func wordInfo(runes []rune) (freq, pos uint8, ok bool) {
	h := uint64(14695981039346656037)
	for _, r := range runes {
		h ^= uint64(r)
		h *= 1099511628211
	}
	h >>= 8
	i := lookupHash(h)
	if i < 0 {
		return 0, 0, false
	}
	info := uint8(entry(i))
	return info >> 3, info & 7, true
}

// lookupHash is findHash over the whole table behind a one-bit-per-slot
// filter of its hashes (2^21 bits, 256 KB, about 15 % of the slots set):
// most runs the matcher asks about are not words (hanBounded tries every
// span that crosses a hit's edges, some thirty per Han hit), and the
// filter answers those from a table a sixth the size of the dictionary's
// without touching the dictionary at all.
func lookupHash(h uint64) int {
	f := wordFilter()
	if b := filterSlot(h); f[b>>6]&(1<<(b&63)) == 0 {
		return -1
	}
	return findHash(h, len(hanWords)/8)
}

const filterBits = 21

// filterSlot mixes the hash (FNV's low bits are weak) into a filter slot.
func filterSlot(h uint64) uint64 { return (h * 0x9E3779B97F4A7C15) >> (64 - filterBits) }

// wordFilter is built once per process, from the table (about 2 ms).
var wordFilter = sync.OnceValue(func() []uint64 {
	f := make([]uint64, 1<<filterBits/64)
	for i := range len(hanWords) / 8 {
		b := filterSlot(entry(i) >> 8)
		f[b>>6] |= 1 << (b & 63)
	}
	return f
})

// findHash returns the index of the entry whose hash is h among the first
// n, or -1. The hashes are uniform, so interpolation finds the entry in
// two or three probes where a binary search takes nineteen (a fifth fewer
// instructions per matched title; in time the two are alike, both paying
// a few cache misses in this 2.7 MB table). A window the interpolation
// cannot narrow (a run of near-equal hashes) ends in a binary search.
func findHash(h uint64, n int) int {
	lo, hi := 0, n-1
	for probes := 0; lo <= hi; probes++ {
		el, eh := entry(lo)>>8, entry(hi)>>8
		if h < el || h > eh {
			return -1
		}
		if hi-lo < 16 || probes == 4 || eh == el {
			i := lo + sort.Search(hi-lo+1, func(i int) bool { return entry(lo+i)>>8 >= h })
			if i <= hi && entry(i)>>8 == h {
				return i
			}
			return -1
		}
		// i = lo + (h-el)*(hi-lo)/(eh-el), in 128 bits.
		up, low := bits.Mul64(h-el, uint64(hi-lo))
		q, _ := bits.Div64(up, low, eh-el)
		i := lo + int(q)
		switch e := entry(i) >> 8; {
		case e == h:
			return i
		case e < h:
			lo = i + 1
		default:
			hi = i - 1
		}
	}
	return -1
}

func entry(i int) uint64 {
	s := hanWords[8*i : 8*i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}
