package images

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/markwatch/markwatch"
)

// Policy says which listings' photos are read by OCR.
type Policy string

const (
	OCROff      Policy = "off"      // never
	OCROnHit    Policy = "hit"      // listings with a mark hit in their text or a photo hit
	OCROnSlang  Policy = "slang"    // listings whose text has counterfeit slang (or a hit)
	OCRCategory Policy = "category" // listings in a category of a registered mark (or with a hit or slang)
	OCRAll      Policy = "all"      // every listing with photos
)

// ParsePolicy reads a policy name.
func ParsePolicy(s string) (Policy, error) {
	switch p := Policy(s); p {
	case OCROff, OCROnHit, OCROnSlang, OCRCategory, OCRAll:
		return p, nil
	case "":
		return OCROnHit, nil
	}
	return "", fmt.Errorf("images: OCR policy %q: want off, hit, slang, category or all", s)
}

// Judge is the text matcher (pipeline.Matcher): the step asks it about a
// listing's text to apply the OCR policy.
type Judge interface {
	Match(ctx context.Context, l markwatch.Listing) (markwatch.Verdict, error)
}

// MinSide is the smallest width or height compared and read: smaller
// images are placeholders, spacers and icons.
const MinSide = 32

// Step is the pipeline step between crawl and match: it fetches a listing's
// photos, keeps them, looks them up in the reference index and, where the
// policy says, reads them with OCR, filling Listing.Photos, PhotoHits and
// ImageText. Set the fields, then call Enrich (safe for concurrent use).
type Step struct {
	Fetcher *Fetcher
	Store   *Store // nil: images are not kept
	Index   *Index // nil or empty: no near-duplicate search
	OCR     *OCR   // nil: no OCR (Tesseract missing or off)
	Policy  Policy
	// Judge applies the hit and slang policies (nil: they never fire).
	Judge Judge
	// Categories are the words of the registered marks' categories (the
	// category policy): a listing whose category or title holds one is read.
	Categories []string
	// MaxPerListing bounds the photos fetched for one listing, main image
	// first. Default 4.
	MaxPerListing int
	Metrics       *Metrics
	Logger        *slog.Logger

	once sync.Once
}

// Enrich fills l's image fields. It never fails the listing: a refused
// photo is recorded in l.Photos with its reason, counted and logged, and
// the listing is judged on the rest. Only ctx's cancellation is returned.
func (s *Step) Enrich(ctx context.Context, log *slog.Logger, l *markwatch.Listing) error {
	urls := s.urls(l)
	if len(urls) == 0 {
		return nil
	}
	if log == nil {
		log = s.logger()
	}
	start := time.Now()
	var decoded []*Image
	l.Photos, l.PhotoHits, l.ImageText = nil, nil, ""
	for n, u := range urls {
		p := markwatch.Photo{URL: u}
		img, err := s.Fetcher.Fetch(ctx, l.Site, u)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			reason := ReasonOf(err)
			if reason == "" {
				reason = ReasonFetch
			}
			s.metrics().Refused.WithLabelValues(reason).Inc()
			log.Info("image refused", "listing", l.ID, "url", u, "reason", reason, "err", err)
			p.Refused = reason + ": " + err.Error()
			l.Photos = append(l.Photos, p)
			decoded = append(decoded, nil)
			continue
		}
		s.metrics().Fetched.Inc()
		s.metrics().Bytes.Add(float64(len(img.Body)))
		b := img.Image.Bounds()
		p.Format, p.Width, p.Height = img.Format, b.Dx(), b.Dy()
		if s.Store != nil {
			if p.SHA256, err = s.Store.Put(img.Body, img.Format); err != nil {
				log.Warn("image not kept", "listing", l.ID, "url", u, "err", err)
			}
		}
		l.Photos = append(l.Photos, p)
		if min(p.Width, p.Height) < MinSide {
			decoded = append(decoded, nil) // a placeholder or a spacer: nothing to compare or read
			continue
		}
		decoded = append(decoded, img)
		s.lookup(l, n+1, img)
	}
	if s.OCR != nil && s.wantOCR(ctx, l) {
		texts := make([]string, len(decoded))
		for i, img := range decoded {
			if img == nil {
				continue
			}
			t0 := time.Now()
			text, err := s.OCR.Read(ctx, img.Image)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				s.metrics().OCR.WithLabelValues("error").Inc()
				log.Warn("ocr failed", "listing", l.ID, "url", img.URL, "err", err)
				continue
			}
			s.metrics().OCR.WithLabelValues("ok").Inc()
			s.metrics().OCRSeconds.Observe(time.Since(t0).Seconds())
			l.Photos[i].Text, l.Photos[i].OCR = text, true
			texts[i] = text
		}
		// One segment per photo, empty for refused ones, so that the
		// n-th segment is photo n.
		l.ImageText = strings.Join(texts, markwatch.ImageTextSeparator)
		if strings.Trim(l.ImageText, markwatch.ImageTextSeparator) == "" {
			l.ImageText = ""
		}
	} else if s.OCR != nil {
		s.metrics().OCR.WithLabelValues("skipped").Inc()
	}
	s.metrics().ListingDelay.Observe(time.Since(start).Seconds())
	return nil
}

func (s *Step) lookup(l *markwatch.Listing, photo int, img *Image) {
	if s.Index == nil || s.Index.Len() == 0 {
		return
	}
	t0 := time.Now()
	h, err := HashImage(img.Image)
	if err != nil {
		return
	}
	matches := s.Index.Lookup(h)
	s.metrics().HashSeconds.Observe(time.Since(t0).Seconds())
	seen := map[string]bool{}
	for _, m := range matches {
		if seen[m.Mark] {
			continue // the nearest reference of each mark
		}
		seen[m.Mark] = true
		l.PhotoHits = append(l.PhotoHits, markwatch.Hit{Mark: m.Mark, Field: "photo", Via: "photo", Text: m.File,
			Reference: m.File, Photo: photo, Distance: m.Distance, Mirrored: m.Mirrored})
	}
	if len(matches) > 0 {
		s.metrics().PhotoHits.Inc()
	}
}

// wantOCR applies the policy.
func (s *Step) wantOCR(ctx context.Context, l *markwatch.Listing) bool {
	switch s.Policy {
	case OCRAll:
		return true
	case OCROff:
		return false
	}
	if len(l.PhotoHits) > 0 {
		return true
	}
	if s.Policy == OCRCategory {
		for _, c := range s.Categories {
			if c != "" && (strings.Contains(l.Category, c) || strings.Contains(l.Title, c)) {
				return true
			}
		}
	}
	if s.Judge == nil {
		return false
	}
	text := *l
	text.Photos, text.PhotoHits, text.ImageText = nil, nil, ""
	v, err := s.Judge.Match(ctx, text)
	if err != nil {
		return false
	}
	if slices.ContainsFunc(v.Hits, func(h markwatch.Hit) bool { return !h.Descriptive }) {
		return true
	}
	return s.Policy != OCROnHit && slices.ContainsFunc(v.Signals, func(sg markwatch.Signal) bool { return sg.Type == "slang" })
}

func (s *Step) urls(l *markwatch.Listing) []string {
	limit := s.MaxPerListing
	if limit <= 0 {
		limit = 4
	}
	var out []string
	for _, u := range append([]string{l.Image}, l.Images...) {
		if u != "" && !slices.Contains(out, u) && len(out) < limit {
			out = append(out, u)
		}
	}
	return out
}

func (s *Step) metrics() *Metrics {
	s.once.Do(func() {
		if s.Metrics == nil {
			s.Metrics = NewMetrics(nil)
		}
	})
	return s.Metrics
}

func (s *Step) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// Missing logs once, at start, that OCR is off because Tesseract is
// missing; the rest of the image channel works without it.
func Missing(log *slog.Logger, err error) {
	if errors.Is(err, ErrNoTesseract) {
		log.Warn("OCR of listing images is off: tesseract is missing; photos are still fetched and compared", "err", err)
	}
}
