package matchers

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the matcher's metrics (names fixed by the metric catalogue).
// Labels are bounded: kind is trademark, special, gi or patent.
type Metrics struct {
	Listings prometheus.Counter
	Hits     *prometheus.CounterVec
	Suspects *prometheus.CounterVec
	Duration prometheus.Histogram
}

// NewMetrics builds the metrics and registers them with reg (nil: not
// registered, for tests and one-off tools).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Listings: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "markwatch_match_listings_total",
			Help: "Listings judged by the matcher.",
		}),
		Hits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "markwatch_match_hits_total",
			Help: "Mark and patent-number hits found, by kind (trademark, special, gi, patent).",
		}, []string{"kind"}),
		Suspects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "markwatch_match_suspects_total",
			Help: "Listings judged suspect, by the kind of their strongest hit.",
		}, []string{"kind"}),
		Duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "markwatch_match_duration_seconds",
			Help:    "Time to judge one listing.",
			Buckets: []float64{1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1},
		}),
	}
	for _, k := range []string{"trademark", "special", "gi", "patent"} {
		m.Hits.WithLabelValues(k)
		m.Suspects.WithLabelValues(k)
	}
	if reg != nil {
		reg.MustRegister(m.Listings, m.Hits, m.Suspects, m.Duration)
	}
	return m
}
