package pipeline

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the worker loop's own metrics. Crawl and queue metrics belong
// to those packages.
type Metrics struct {
	Tasks          *prometheus.CounterVec
	Suspects       prometheus.Counter
	MatchErrors    prometheus.Counter
	SinkErrors     prometheus.Counter
	FrontierErrors prometheus.Counter
}

// NewMetrics builds the metrics and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Tasks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "markwatch_worker_tasks_total",
			Help: "Tasks handled by this worker, by task kind and outcome: done, skipped (robots or off-site), gone (item page 404/410), retried, failed (dead-lettered), released (given back untouched).",
		}, []string{"kind", "outcome"}),
		Suspects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "markwatch_worker_suspects_total",
			Help: "Listings judged suspect by this worker.",
		}),
		MatchErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "markwatch_worker_match_errors_total",
			Help: "Listings the matcher failed to judge.",
		}),
		SinkErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "markwatch_worker_sink_errors_total",
			Help: "Failed writes of findings to the sink (the task is retried).",
		}),
		FrontierErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "markwatch_worker_frontier_errors_total",
			Help: "Failed frontier calls (lease, add, ack, nack).",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.Tasks, m.Suspects, m.MatchErrors, m.SinkErrors, m.FrontierErrors)
	}
	return m
}
