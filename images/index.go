package images

import "sort"

// Reference is one reference picture of a mark.
type Reference struct {
	Mark string // mark id
	File string // file name in the registry folder, e.g. "emblem.png"
	Hashes
	Mirrored bool // these are the hashes of the mirrored picture
}

// Match is a reference within the index's distances of a photo.
type Match struct {
	Reference
	Distance  int // pHash Hamming distance
	DDistance int // dHash Hamming distance
	Color     int // ColorDistance
}

// Index finds the references near a photo's hashes: a BK-tree over pHash
// (a lookup visits only the subtrees whose distance band can hold an
// answer, O(log n) nodes for a small radius) and a dHash check on each
// candidate. goimagehash has no index of its own; a BK-tree is forty
// lines, so it is written here.
type Index struct {
	// MaxDistance is the largest pHash distance searched; MaxSum the
	// largest pHash + dHash distance that matches (dHash confirms; 0 means
	// no check).
	MaxDistance, MaxSum int
	// MaxColor is the largest ColorDistance of the 3×3 colour grids that
	// matches (0 means no check).
	MaxColor int
	root     *bkNode
	size     int
}

type bkNode struct {
	ref      Reference
	children map[int]*bkNode
}

// Add indexes ref.
func (ix *Index) Add(ref Reference) {
	ix.size++
	if ix.root == nil {
		ix.root = &bkNode{ref: ref}
		return
	}
	n := ix.root
	for {
		d := Distance(n.ref.P, ref.P)
		c := n.children[d]
		if c == nil {
			if n.children == nil {
				n.children = map[int]*bkNode{}
			}
			n.children[d] = &bkNode{ref: ref}
			return
		}
		n = c
	}
}

// Len is the number of indexed hashes (a mirrored reference counts twice).
func (ix *Index) Len() int { return ix.size }

// Lookup returns the references within the distances of h, nearest first,
// at most one per (mark, file): the nearer of a picture and its mirror.
func (ix *Index) Lookup(h Hashes) []Match {
	var out []Match
	if ix.root == nil {
		return nil
	}
	stack := []*bkNode{ix.root}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		d := Distance(n.ref.P, h.P)
		if d <= ix.MaxDistance {
			dd := Distance(n.ref.D, h.D)
			cd := ColorDistance(n.ref.C, h.C)
			if (ix.MaxSum == 0 || d+dd <= ix.MaxSum) && (ix.MaxColor == 0 || cd <= ix.MaxColor) {
				out = append(out, Match{Reference: n.ref, Distance: d, DDistance: dd, Color: cd})
			}
		}
		for k, c := range n.children {
			if k >= d-ix.MaxDistance && k <= d+ix.MaxDistance {
				stack = append(stack, c)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if si, sj := out[i].Distance+out[i].DDistance, out[j].Distance+out[j].DDistance; si != sj {
			return si < sj
		}
		return out[i].File < out[j].File
	})
	kept := out[:0]
	seen := map[[2]string]bool{}
	for _, m := range out {
		k := [2]string{m.Mark, m.File}
		if !seen[k] {
			seen[k] = true
			kept = append(kept, m)
		}
	}
	return kept
}
