package queue

import (
	"log/slog"
	"time"
)

// Options configure a frontier; the zero value gives the defaults stated
// on each field. Both NewMemory and NewRedis take them.
type Options struct {
	// Lease is how long a leased task stays invisible without a heartbeat
	// (Extend). Default 30s. The Redis frontier's recoverer uses the
	// fleet's lease instead once one is recorded (fleetlease.go), and
	// CheckLease refuses a worker whose Lease differs from it.
	Lease time.Duration
	// Retries is the retry budget: a task whose failed attempts exceed it
	// is dead-lettered. Default 3 (so at most 4 fetches).
	Retries int
	// RunTTL is how long a run's dedup set (and, for Redis, its accounting)
	// lives after the run's last Add. Default 7 days.
	RunTTL time.Duration
	// Limit gives a site's fleet-wide politeness limit (the adapter's
	// rate); nil or a zero Limit means unlimited.
	Limit func(site string) Limit
	// TrackingParams gives a site's extra query parameters to drop when
	// canonicalising URLs for dedup (spm, scm and utm_* are always dropped).
	TrackingParams func(site string) []string
	// Now is the clock for not-before times and token buckets. Default time.Now.
	Now func() time.Time
	// Logger receives background-loop and recovery events. Default: discard.
	Logger *slog.Logger
	// Metrics receives the frontier's counters (nil: not counted).
	Metrics *Metrics
	// PauseBase is a blocked site's first pause (PauseSite); each block in
	// a row doubles it, up to PauseMax. Defaults 1m and 1h.
	PauseBase time.Duration
	PauseMax  time.Duration
	// Consumer names this process in Redis consumer groups and the worker
	// registry. Default hostname-pid-random.
	Consumer string
}

// Limit is a token bucket: Rate tokens a second, at most Burst saved up.
type Limit struct {
	Rate  float64 // requests per second; 0: unlimited
	Burst int     // default 1
}

// MaxPriority is the highest distinct priority. The Redis frontier keeps
// one stream per priority level and clamps Task.Priority into
// 0..MaxPriority for ordering (the task keeps its own value); the memory
// frontier clamps the same way so that both order alike.
const MaxPriority = 15

// defaultLease is Options.Lease's default.
const defaultLease = 30 * time.Second

func band(priority int) int { return min(max(priority, 0), MaxPriority) }

func (o Options) withDefaults() Options {
	if o.Lease <= 0 {
		o.Lease = defaultLease
	}
	if o.Retries <= 0 {
		o.Retries = 3
	}
	if o.RunTTL <= 0 {
		o.RunTTL = 7 * 24 * time.Hour
	}
	if o.Limit == nil {
		o.Limit = func(string) Limit { return Limit{} }
	}
	if o.TrackingParams == nil {
		o.TrackingParams = func(string) []string { return nil }
	}
	if o.PauseBase <= 0 {
		o.PauseBase = time.Minute
	}
	if o.PauseMax <= 0 {
		o.PauseMax = time.Hour
	}
	o.PauseMax = max(o.PauseMax, o.PauseBase)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

func (l Limit) burst() int {
	if l.Burst < 1 {
		return 1
	}
	return l.Burst
}
