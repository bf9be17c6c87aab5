package schedule

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the scheduler's metrics (metric catalogue, schedule
// section). Labels: sweep (config names), trigger and state (fixed sets).
//
// The gauges describe state shared in Redis, so every scheduler instance
// reports the same values: aggregate them with max(), not sum(). The runs
// counter counts what this instance fired.
type Metrics struct {
	Runs        *prometheus.CounterVec
	RunsByState *prometheus.GaugeVec
	WindowOpen  *prometheus.GaugeVec
	LastFired   *prometheus.GaugeVec
	LastSuccess *prometheus.GaugeVec
	Progress    *prometheus.GaugeVec
	Leader      prometheus.Gauge
}

// NewMetrics builds the metrics and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "markwatch_sweep_runs_total",
			Help: "Sweep runs fired by this process, by sweep and trigger (schedule, manual, catchup).",
		}, []string{"sweep", "trigger"}),
		RunsByState: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "markwatch_sweep_runs",
			Help: "Recorded sweep runs by state (running, finished, cancelled).",
		}, []string{"sweep", "state"}),
		WindowOpen: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "markwatch_sweep_window_open",
			Help: "1 while the sweep's holiday window is open.",
		}, []string{"sweep"}),
		LastFired: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "markwatch_sweep_last_fired_timestamp_seconds",
			Help: "When the sweep's newest run was fired (Unix seconds).",
		}, []string{"sweep"}),
		LastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "markwatch_sweep_last_success_timestamp_seconds",
			Help: "When the sweep's last run that finished with no dead task finished (Unix seconds).",
		}, []string{"sweep"}),
		Progress: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "markwatch_sweep_run_progress_ratio",
			Help: "done/(done+queued+leased) of the sweep's newest run.",
		}, []string{"sweep"}),
		Leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "markwatch_scheduler_leader",
			Help: "1 while this scheduler holds the scheduler lease.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.Runs, m.RunsByState, m.WindowOpen, m.LastFired, m.LastSuccess, m.Progress, m.Leader)
	}
	return m
}
