//go:generate go run ./internal/gendata

package matchers

import (
	_ "embed"
	"sort"
	"sync"
)

// The Chinese dictionary the matcher consults around Han hits: the zh_s
// dictionary of github.com/go-ego/gse (about 340,000 words with frequency and
// part of speech), turned by `go generate` (internal/gendata) into a sorted
// table of 56-bit word hashes, each with a frequency class and a
// part-of-speech class in its low byte. It is read in place: no parsing and
// no heap at start-up, and a lookup is a binary search behind a filter. Loading gse's own
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

// lookupHash returns the index of the table's entry whose hash is h, or
// -1. A one-bit-per-slot filter of the table's hashes (2^21 bits, 256 KB,
// about 15 % of the slots set) answers first: most runs the matcher asks
// about are not words (hanBounded tries every span that crosses a hit's
// edges, some thirty per Han hit), and the filter turns those away without
// touching the 2.7 MB table, whose binary search costs a few cache misses.
func lookupHash(h uint64) int {
	if !mayBeWord(h) {
		return -1
	}
	return searchHash(h)
}

// mayBeWord is the filter: false means the table has no entry with hash h.
func mayBeWord(h uint64) bool {
	b := filterSlot(h)
	return wordFilter()[b>>6]&(1<<(b&63)) != 0
}

// searchHash is the binary search of the sorted table.
func searchHash(h uint64) int {
	n := len(hanWords) / 8
	i := sort.Search(n, func(i int) bool { return entry(i)>>8 >= h })
	if i == n || entry(i)>>8 != h {
		return -1
	}
	return i
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

func entry(i int) uint64 {
	s := hanWords[8*i : 8*i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}
