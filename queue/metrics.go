package queue

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the frontier's in-process counters. Each process counts what
// it did (the worker whose recoverer found an expired lease counts it), so
// the fleet's total is the sum over processes. Queue depths are gauges read
// from Redis at scrape time by the Collector instead.
type Metrics struct {
	LeaseExpiries    *prometheus.CounterVec
	DeadLetters      *prometheus.CounterVec
	RateLimited      *prometheus.CounterVec
	FindingsIngested prometheus.Counter
	// FindingsDeadLetters counts findings batches moved to the findings
	// dead-letter stream (undecodable, or not stored after
	// FindingsConsumer.MaxDeliveries deliveries).
	FindingsDeadLetters prometheus.Counter
	// RedisUnavailable is the time this process's Redis clients spent
	// unable to reach Redis (retrying through a failover), summed over
	// its clients.
	RedisUnavailable prometheus.CounterFunc
}

// NewMetrics builds the counters and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		LeaseExpiries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "markwatch_queue_lease_expiries_total",
			Help: "Leases recovered after expiry (a worker died or stalled); the task was delivered again without spending a retry.",
		}, []string{"site"}),
		DeadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "markwatch_queue_dead_letters_total",
			Help: "Tasks moved to the dead-letter set.",
		}, []string{"site"}),
		RateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "markwatch_queue_rate_limited_total",
			Help: "Lease attempts that found the site's token bucket empty.",
		}, []string{"site"}),
		FindingsIngested: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "markwatch_findings_ingested_total",
			Help: "Findings written to the store by the findings consumer (acknowledged).",
		}),
		FindingsDeadLetters: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "markwatch_findings_dead_letters_total",
			Help: "Findings batches moved to the findings dead-letter stream: undecodable, or not stored after the consumer's delivery budget.",
		}),
		RedisUnavailable: prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "markwatch_redis_unavailable_seconds_total",
			Help: "Seconds this process's Redis clients could not reach Redis (a failover, a restart), the current outage included.",
		}, unavailableSeconds),
	}
	if reg != nil {
		reg.MustRegister(m.LeaseExpiries, m.DeadLetters, m.RateLimited, m.FindingsIngested, m.FindingsDeadLetters, m.RedisUnavailable)
	}
	return m
}

func (m *Metrics) leaseExpired(site string, n int) {
	if m != nil && n > 0 {
		m.LeaseExpiries.WithLabelValues(site).Add(float64(n))
	}
}

func (m *Metrics) deadLettered(site string) {
	if m != nil {
		m.DeadLetters.WithLabelValues(site).Inc()
	}
}

func (m *Metrics) rateLimited(site string) {
	if m != nil {
		m.RateLimited.WithLabelValues(site).Inc()
	}
}
