package queue

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// Collector reads queue depths from Redis at scrape time: per site, tasks
// queued (ready), delayed, leased and dead, and the age of the oldest ready
// task; the live workers; and the findings stream's backlog. Every process
// that registers it reports the same fleet-wide values, so aggregate them
// with max, not sum.
type Collector struct {
	client redis.UniversalClient
	lease  time.Duration
	log    *slog.Logger

	tasks, oldest, workers, lag, pending, paused *prometheus.Desc
}

// NewCollector builds the collector and registers it with reg (nil: not
// registered). A worker is alive when its heartbeat is younger than two
// leases: the fleet's lease recorded in Redis, or lease when none is.
func NewCollector(reg prometheus.Registerer, client redis.UniversalClient, lease time.Duration, log *slog.Logger) *Collector {
	if lease <= 0 {
		lease = 30 * time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Collector{
		client: client, lease: lease, log: log,
		tasks:   prometheus.NewDesc("markwatch_queue_tasks", "Tasks in the frontier by site and state (queued, delayed, leased, dead).", []string{"site", "state"}, nil),
		oldest:  prometheus.NewDesc("markwatch_queue_oldest_task_age_seconds", "Age of the oldest ready queued task of a site.", []string{"site"}, nil),
		workers: prometheus.NewDesc("markwatch_queue_workers_alive", "Workers with a fresh heartbeat.", nil, nil),
		lag:     prometheus.NewDesc("markwatch_findings_ingest_lag_seconds", "Age of the oldest unconsumed finding in the findings stream.", nil, nil),
		pending: prometheus.NewDesc("markwatch_findings_pending", "Findings batches published but not yet stored.", nil, nil),
		paused:  prometheus.NewDesc("markwatch_site_paused", "1 while a site is paused fleet-wide after it served a block page (queue sites shows why), else 0.", []string{"site"}, nil),
	}
	if reg != nil {
		reg.MustRegister(c)
	}
	return c
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.tasks, c.oldest, c.workers, c.lag, c.pending, c.paused} {
		ch <- d
	}
}

// SiteDepth is one site's queue depth.
type SiteDepth struct {
	Site    string        `json:"site"`
	Queued  int64         `json:"queued"`
	Delayed int64         `json:"delayed"`
	Leased  int64         `json:"leased"`
	Dead    int64         `json:"dead"`
	Oldest  time.Duration `json:"oldest_ns"` // age of the oldest ready task
}

// Depths reads every site's queue depth.
func Depths(ctx context.Context, client redis.UniversalClient) ([]SiteDepth, error) {
	sites, err := client.ZRange(ctx, sitesKey, 0, -1).Result()
	if err != nil {
		return nil, err
	}
	out := make([]SiteDepth, 0, len(sites))
	for _, site := range sites {
		k := newSiteKeys(site)
		var runs *redis.MapStringStringCmd
		var delayed, dead *redis.IntCmd
		var groups [MaxPriority + 1]*redis.XInfoGroupsCmd
		_, err := client.Pipelined(ctx, func(p redis.Pipeliner) error {
			runs = p.HGetAll(ctx, k.runs)
			delayed = p.ZCard(ctx, k.delayed)
			dead = p.HLen(ctx, k.dead)
			return nil
		})
		if err != nil {
			return nil, err
		}
		d := SiteDepth{Site: site, Delayed: delayed.Val(), Dead: dead.Val()}
		// The runs hash counts every run's queued (delayed included) and
		// leased tasks exactly; acked entries linger in the streams until
		// trimmed, so stream lengths would overcount.
		for field, v := range runs.Val() {
			n, _ := strconv.ParseInt(v, 10, 64)
			switch {
			case strings.HasSuffix(field, sep+"q"):
				d.Queued += n
			case strings.HasSuffix(field, sep+"l"):
				d.Leased += n
			}
		}
		d.Queued = max(0, d.Queued-d.Delayed)
		_, _ = client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for b, s := range k.streams {
				groups[b] = p.XInfoGroups(ctx, s)
			}
			return nil
		})
		now := time.Now()
		for b, s := range k.streams {
			for _, g := range groups[b].Val() { // a missing stream is an error: skipped
				if g.Name != groupName {
					continue
				}
				next, err := client.XRangeN(ctx, s, "("+g.LastDeliveredID, "+", 1).Result()
				if err != nil {
					return nil, err
				}
				if len(next) == 1 {
					if age := now.Sub(time.UnixMilli(idMillis(next[0].ID))); age > d.Oldest {
						d.Oldest = age
					}
				}
			}
		}
		out = append(out, d)
	}
	return out, nil
}

func idMillis(id string) int64 {
	msPart, _, _ := strings.Cut(id, "-")
	n, _ := strconv.ParseInt(msPart, 10, 64)
	return n
}

// Collect implements prometheus.Collector. A Redis error is logged and the
// affected metrics are left out of this scrape.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	depths, err := Depths(ctx, c.client)
	if err != nil {
		c.log.Warn("queue metrics: read depths", "err", err)
	}
	for _, d := range depths {
		for state, v := range map[string]int64{"queued": d.Queued, "delayed": d.Delayed, "leased": d.Leased, "dead": d.Dead} {
			ch <- prometheus.MustNewConstMetric(c.tasks, prometheus.GaugeValue, float64(v), d.Site, state)
		}
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, d.Oldest.Seconds(), d.Site)
	}
	now := time.Now()
	c.collectPaused(ctx, ch, now)
	lease := c.lease
	if fleet, ok, err := FleetLease(ctx, c.client); err == nil && ok {
		lease = fleet
	}
	alive, err := c.client.ZCount(ctx, workersKey, strconv.FormatInt(ms(now.Add(-aliveLeases*lease)), 10), "+inf").Result()
	if err != nil {
		c.log.Warn("queue metrics: count workers", "err", err)
	} else {
		ch <- prometheus.MustNewConstMetric(c.workers, prometheus.GaugeValue, float64(alive))
	}
	n, err := c.client.XLen(ctx, findingsStream).Result()
	if err != nil {
		c.log.Warn("queue metrics: findings backlog", "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(n))
	var lag float64
	if n > 0 {
		first, err := c.client.XRangeN(ctx, findingsStream, "-", "+", 1).Result()
		if err == nil && len(first) == 1 {
			lag = max(0, now.Sub(time.UnixMilli(idMillis(first[0].ID))).Seconds())
		}
	}
	ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, lag)
}

// collectPaused reports markwatch_site_paused for every known site.
func (c *Collector) collectPaused(ctx context.Context, ch chan<- prometheus.Metric, now time.Time) {
	states, err := SiteStates(ctx, c.client, now)
	if err != nil {
		c.log.Warn("queue metrics: site pauses", "err", err)
		return
	}
	for _, st := range states {
		v := 0.0
		if st.Paused {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.paused, prometheus.GaugeValue, v, st.Site)
	}
}

var _ prometheus.Collector = (*Collector)(nil)
