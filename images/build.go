package images

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/matchers"
	"github.com/prometheus/client_golang/prometheus"
)

// Build assembles the step from the configuration: gate is the crawler
// (its allowed domains, robots.txt and rate), judge the text matcher (for
// the OCR policy), marks the registry (its images:, read from marksLoc,
// and its categories), dir where images are kept ("" keeps none). A
// missing Tesseract is logged once here and OCR is off; the rest works.
func Build(cfg config.Images, userAgent string, gate Gate, transport http.RoundTripper, judge Judge,
	marksLoc config.Location, marks []matchers.Mark, dir string, reg prometheus.Registerer, log *slog.Logger) (*Step, error) {
	policy, err := ParsePolicy(cfg.OCR)
	if err != nil {
		return nil, err
	}
	opts := FetchOptions{MaxBytes: cfg.MaxBytes, MaxPixels: cfg.MaxPixels, UserAgent: userAgent}
	opts.defaults()
	ix, err := LoadReferences(marksLoc, marks, opts.MaxPixels)
	if err != nil {
		return nil, err
	}
	s := &Step{Fetcher: NewFetcher(gate, transport, opts), Index: ix, Policy: policy, Judge: judge,
		MaxPerListing: cfg.MaxPerListing, Metrics: NewMetrics(reg), Logger: log}
	for _, mk := range marks {
		for _, c := range mk.Category {
			if c = trimWildcard(c); c != "" {
				s.Categories = append(s.Categories, c)
			}
		}
	}
	if dir != "" {
		if s.Store, err = OpenStore(dir); err != nil {
			return nil, err
		}
	}
	if policy != OCROff {
		o, err := NewOCR(OCROptions{Workers: cfg.OCRWorkers})
		switch {
		case errors.Is(err, ErrNoTesseract):
			Missing(log, err)
		case err != nil:
			return nil, err
		default:
			s.OCR = o
		}
	}
	log.Info("image channel on", "references", ix.Len(), "ocr", string(policy), "tesseract", s.OCR != nil, "max_per_listing", s.MaxPerListing)
	return s, nil
}

// trimWildcard turns a category pattern ("*包") into the word it holds.
func trimWildcard(c string) string {
	for len(c) > 0 && (c[0] == '*' || c[len(c)-1] == '*') {
		if c[0] == '*' {
			c = c[1:]
		} else {
			c = c[:len(c)-1]
		}
	}
	return c
}

// Enrich adapts the step to pipeline.Enricher (a context first, then the log).
var _ interface {
	Enrich(context.Context, *slog.Logger, *markwatch.Listing) error
} = (*Step)(nil)
