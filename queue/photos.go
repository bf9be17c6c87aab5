package queue

import (
	"sync"

	"github.com/markwatch/markwatch"
)

// PhotoBytes is a listing photo carried in a findings batch, so that the
// store's process keeps it even when it does not share the worker's data
// directory. The receiver checks SHA256 and sniffs the format itself.
type PhotoBytes struct {
	SHA256 string `json:"sha256"`
	Format string `json:"format"`
	Data   []byte `json:"data"`
}

// PhotoSource returns a stored photo and its format by its SHA-256 (hex);
// the worker's images.Store is one.
type PhotoSource interface {
	Get(hash string) ([]byte, string, error)
}

// DefaultMaxPhotoBytes bounds the photo bytes one findings batch carries
// (FindingsPublisher.MaxPhotoBytes); a photo past it is carried with a
// later batch that shows it, if any.
const DefaultMaxPhotoBytes = 16 << 20

// sentPhotos remembers the photos this publisher has delivered, so that a
// photo shown by many listings (a stolen catalogue picture) travels once:
// the most recent cap hashes, oldest forgotten first.
type sentPhotos struct {
	mu   sync.Mutex
	set  map[string]bool
	ring []string
	next int
}

const sentPhotosCap = 1 << 16

func (s *sentPhotos) has(hash string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.set[hash]
}

func (s *sentPhotos) add(hashes []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.set == nil {
		s.set = map[string]bool{}
		s.ring = make([]string, sentPhotosCap)
	}
	for _, h := range hashes {
		if s.set[h] {
			continue
		}
		delete(s.set, s.ring[s.next])
		s.ring[s.next] = h
		s.set[h] = true
		s.next = (s.next + 1) % len(s.ring)
	}
}

// photosOf collects the stored photos of findings that this publisher has
// not delivered yet, at most max bytes in all (each photo once).
func (p *FindingsPublisher) photosOf(findings []markwatch.Finding, max int) []PhotoBytes {
	var out []PhotoBytes
	seen := map[string]bool{}
	total := 0
	for _, f := range findings {
		for _, ph := range f.Listing.Photos {
			if ph.SHA256 == "" || seen[ph.SHA256] || p.sent.has(ph.SHA256) {
				continue
			}
			seen[ph.SHA256] = true
			data, format, err := p.Photos.Get(ph.SHA256)
			if err != nil || total+len(data) > max {
				continue // not stored here (or too much for this batch): the review shows it missing
			}
			total += len(data)
			out = append(out, PhotoBytes{SHA256: ph.SHA256, Format: format, Data: data})
		}
	}
	return out
}
