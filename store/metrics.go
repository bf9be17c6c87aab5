package store

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the store's metrics.
type Metrics struct {
	FindingsWritten prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, s *Store) *Metrics {
	m := &Metrics{
		FindingsWritten: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "markwatch_store_findings_written_total",
			Help: "Findings written to the review store (a redelivered finding is not counted again).",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.FindingsWritten, &statusCollector{store: s})
	}
	return m
}

var listingsDesc = prometheus.NewDesc("markwatch_review_listings",
	"Listings in the review store by review status.", []string{"status"}, nil)

// statusCollector reads the trigger-maintained status counts at scrape time.
type statusCollector struct{ store *Store }

func (c *statusCollector) Describe(ch chan<- *prometheus.Desc) { ch <- listingsDesc }

func (c *statusCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.store.CountByStatus(ctx, false)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(listingsDesc, err)
		return
	}
	for _, st := range Statuses {
		ch <- prometheus.MustNewConstMetric(listingsDesc, prometheus.GaugeValue, float64(counts[st]), string(st))
	}
}

var _ prometheus.Collector = (*statusCollector)(nil)
