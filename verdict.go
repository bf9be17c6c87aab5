package markwatch

import "strconv"

// MarkKind is the kind of protected sign a hit is for.
type MarkKind string

const (
	Trademark MarkKind = "trademark"
	Special   MarkKind = "special"
	GI        MarkKind = "gi"
	Patent    MarkKind = "patent"
)

// Hit is one occurrence of a mark name (or patent number) in a listing field.
// Start and End are rune offsets into the original field text (End
// exclusive), and Text is exactly that substring.
type Hit struct {
	Mark        string   `json:"mark"` // mark id; for patents, the normalised number
	Kind        MarkKind `json:"kind"`
	Field       string   `json:"field"` // "title" or "description"
	Start       int      `json:"start"`
	End         int      `json:"end"`
	Text        string   `json:"text"`
	Descriptive bool     `json:"descriptive,omitempty"` // 适用于X, 兼容X, for X …
	// Via says how the text reads the mark: name, alias, pinyin,
	// homophone, lookalike, doubled or confusable.
	Via string `json:"via,omitempty"`
	// ReadAs is what the text was read as, when it is not the name itself:
	// "耐克 (naike)" for 奈克, "路易威登" for 驴家.
	ReadAs string `json:"read_as,omitempty"`
	// Photo hits (Field "photo", Via "photo"): Reference is the mark's
	// reference image file, Photo the 1-based listing photo, Distance the
	// Hamming distance of their perceptual hashes; Mirrored when the photo
	// matched the mirrored reference.
	Reference string `json:"reference,omitempty"`
	Photo     int    `json:"photo,omitempty"`
	Distance  int    `json:"distance,omitempty"`
	Mirrored  bool   `json:"mirrored,omitempty"`
}

// Explain says in one line how a hit reads its mark:
// `"奈克" read as 耐克 (naike), via homophone`.
func (h Hit) Explain() string {
	if h.Via == "photo" {
		s := "photo " + strconv.Itoa(h.Photo) + " matches " + h.Reference
		if h.Mirrored {
			s += " (mirrored)"
		}
		return s + ", distance " + strconv.Itoa(h.Distance)
	}
	s := strconv.Quote(h.Text)
	if h.ReadAs != "" {
		s += " read as " + h.ReadAs
	}
	if h.Via != "" {
		s += ", via " + h.Via
	}
	return s
}

// Signal is one piece of evidence that a hit is a counterfeit (or, for
// patents, false marking). Type is a short stable word: "slang", "price",
// "seller", "region", "patent", "special".
type Signal struct {
	Type   string  `json:"type"`
	Mark   string  `json:"mark,omitempty"`
	Detail string  `json:"detail"`
	Weight float64 `json:"weight,omitempty"`
}

// Verdict is the matcher's judgement on one listing, with every hit and
// signal that produced it so that a reviewer can see why.
type Verdict struct {
	ID      string   `json:"id"`
	Suspect bool     `json:"suspect"`
	Score   float64  `json:"score"`
	Hits    []Hit    `json:"hits"`
	Signals []Signal `json:"signals"`
	// Error is set, and nothing else, when the input could not be judged
	// (for example a malformed input line in `markwatch match`).
	Error   string   `json:"error,omitempty"`
	Listing *Listing `json:"listing,omitempty"`
}

// Marks returns the distinct mark ids of the verdict's non-descriptive hits,
// in order of first appearance.
func (v *Verdict) Marks() []string {
	var out []string
	seen := map[string]bool{}
	for _, h := range v.Hits {
		if h.Descriptive || seen[h.Mark] {
			continue
		}
		seen[h.Mark] = true
		out = append(out, h.Mark)
	}
	return out
}

// Finding is what the pipeline hands to the review store: one verdict on one
// listing in one sweep run. Store writes are idempotent on (Run, Site, Listing.ID).
type Finding struct {
	Run     string  `json:"run"`
	Sweep   string  `json:"sweep,omitempty"`
	Listing Listing `json:"listing"`
	Verdict Verdict `json:"verdict"`
}
