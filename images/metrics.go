package images

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics of the image channel.
type Metrics struct {
	Fetched      prometheus.Counter     // markwatch_images_fetched_total
	Refused      *prometheus.CounterVec // markwatch_images_refused_total{reason}
	Bytes        prometheus.Counter     // markwatch_images_fetched_bytes_total
	PhotoHits    prometheus.Counter     // markwatch_images_photo_hits_total
	OCR          *prometheus.CounterVec // markwatch_images_ocr_total{outcome}
	OCRSeconds   prometheus.Histogram   // markwatch_images_ocr_duration_seconds
	HashSeconds  prometheus.Histogram   // markwatch_images_hash_duration_seconds
	ListingDelay prometheus.Histogram   // markwatch_images_listing_duration_seconds
}

// NewMetrics registers the metrics with reg (nil: an unregistered set).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	m := &Metrics{
		Fetched:   f.NewCounter(prometheus.CounterOpts{Name: "markwatch_images_fetched_total", Help: "Listing images fetched, checked and decoded."}),
		Refused:   f.NewCounterVec(prometheus.CounterOpts{Name: "markwatch_images_refused_total", Help: "Listing images refused, by reason."}, []string{"reason"}),
		Bytes:     f.NewCounter(prometheus.CounterOpts{Name: "markwatch_images_fetched_bytes_total", Help: "Bytes of accepted listing images."}),
		PhotoHits: f.NewCounter(prometheus.CounterOpts{Name: "markwatch_images_photo_hits_total", Help: "Listing images that matched a reference image."}),
		OCR:       f.NewCounterVec(prometheus.CounterOpts{Name: "markwatch_images_ocr_total", Help: "OCR runs, by outcome (ok, error, skipped)."}, []string{"outcome"}),
		OCRSeconds: f.NewHistogram(prometheus.HistogramOpts{Name: "markwatch_images_ocr_duration_seconds", Help: "Time of one OCR run.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 10)}),
		HashSeconds: f.NewHistogram(prometheus.HistogramOpts{Name: "markwatch_images_hash_duration_seconds", Help: "Time to hash one image and look it up.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 12)}),
		ListingDelay: f.NewHistogram(prometheus.HistogramOpts{Name: "markwatch_images_listing_duration_seconds", Help: "Time the images step added to one listing.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
	}
	for _, r := range Reasons {
		m.Refused.WithLabelValues(r)
	}
	return m
}
