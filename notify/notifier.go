package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/store"
)

// Notifier turns stored findings and finished runs into outbox entries
// (Findings, RunFinished) and delivers them (Run, DeliverDue).
type Notifier struct {
	store    *store.Store
	cfg      *Config
	log      *slog.Logger
	now      func() time.Time
	baseURL  string
	lanes    map[string]*lane // by channel name
	counter  *prometheus.CounterVec
	interval time.Duration
}

// lane delivers one channel's notifications, one at a time and oldest
// first, independently of the other channels: a receiver that hangs holds
// only its own lane. Its queue is the channel's pending rows in the
// durable outbox, read at most laneBatch at a time.
type lane struct {
	name string
	s    *sender
	kick chan struct{} // an event was enqueued for this channel
	mu   sync.Mutex    // one delivery pass at a time
}

// laneBatch bounds the notifications a lane holds in memory per pass.
const laneBatch = 64

// Options configure a Notifier.
type Options struct {
	Logger *slog.Logger
	// Registerer receives markwatch_notifications_total{result}. Nil: not
	// registered.
	Registerer prometheus.Registerer
	Now        func() time.Time
	// Client sends webhooks. Default: a plain client (each delivery is
	// bounded by Config.Timeout).
	Client *http.Client
	// BaseURL of the review app, for links in messages. Empty: none.
	BaseURL string
	// Poll is how often Run looks for due deliveries besides being
	// kicked. Default 5s.
	Poll time.Duration
}

// New builds a Notifier for cfg over st.
func New(st *store.Store, cfg *Config, opts Options) *Notifier {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Client == nil {
		opts.Client = &http.Client{}
	}
	if opts.Poll <= 0 {
		opts.Poll = 5 * time.Second
	}
	n := &Notifier{store: st, cfg: cfg, log: opts.Logger, now: opts.Now, baseURL: strings.TrimSuffix(opts.BaseURL, "/"),
		lanes: map[string]*lane{}, interval: opts.Poll,
		counter: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "markwatch_notifications_total",
			Help: "Notification outcomes: delivered, retried (a failed attempt to be retried), failed (given up), duplicate (an event already in the outbox)."},
			[]string{"result"})}
	for _, r := range []string{"delivered", "retried", "failed", "duplicate"} {
		n.counter.WithLabelValues(r)
	}
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(n.counter)
	}
	for _, ch := range cfg.Channels {
		n.lanes[ch.Name] = &lane{name: ch.Name, s: &sender{ch: ch, client: opts.Client, now: opts.Now}, kick: make(chan struct{}, 1)}
	}
	return n
}

// enqueue writes e to the outbox for each channel, once.
func (n *Notifier) enqueue(ctx context.Context, events map[string][]Event) error {
	var rows []store.Notification
	for channel, es := range events {
		for _, e := range es {
			payload, err := json.Marshal(e)
			if err != nil {
				return err
			}
			rows = append(rows, store.Notification{Channel: channel, Key: e.Key, Kind: e.Kind, Payload: string(payload)})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	added, err := n.store.EnqueueNotifications(ctx, rows)
	if err != nil {
		return err
	}
	n.counter.WithLabelValues("duplicate").Add(float64(len(rows) - added))
	if added > 0 {
		for channel := range events {
			if l, ok := n.lanes[channel]; ok {
				select {
				case l.kick <- struct{}{}:
				default:
				}
			}
		}
	}
	return nil
}

func (n *Notifier) listingURL(site, id string) string {
	if n.baseURL == "" {
		return ""
	}
	return n.baseURL + "/queue?site=" + site + "&q=" + id
}

// Findings applies the rules to findings that were just stored: a new
// suspect above a rule's score (once per listing, ever), a listing of a
// seller with enough confirmed listings that is reappeared (once per
// listing and run).
func (n *Notifier) Findings(ctx context.Context, findings []markwatch.Finding) error {
	events := map[string][]Event{}
	offenders := map[string]int{} // site/seller → confirmed listings
	for _, f := range findings {
		l, v := f.Listing, f.Verdict
		for _, r := range n.cfg.Rules {
			switch r.On {
			case NewSuspect:
				if !v.Suspect || v.Score < r.MinScore {
					continue
				}
				e := Event{Key: "suspect/" + l.Site + "/" + l.ID, Kind: NewSuspect, At: n.now().UTC(),
					Title: fmt.Sprintf("New suspect on %s (score %.2f)", l.Site, v.Score),
					Text:  fmt.Sprintf("%s\nseller %s, run %s\n%s", l.Title, l.Seller, f.Run, l.URL),
					URL:   n.listingURL(l.Site, l.ID),
					Data:  map[string]string{"site": l.Site, "listing_id": l.ID, "seller": l.Seller, "run": f.Run, "sweep": f.Sweep}}
				for _, ch := range r.Channels {
					events[ch] = append(events[ch], e)
				}
			case RepeatOffender:
				if l.Seller == "" {
					continue
				}
				status, err := n.store.ListingStatus(ctx, l.Site, l.ID)
				if err != nil || status != store.Reappeared {
					continue
				}
				key := l.Site + "/" + l.Seller
				confirmed, ok := offenders[key]
				if !ok {
					if _, confirmed, err = n.store.SellerRecord(ctx, l.Site, l.Seller); err != nil {
						return err
					}
					offenders[key] = confirmed
				}
				if confirmed < r.MinConfirmed {
					continue
				}
				e := Event{Key: "reappeared/" + l.Site + "/" + l.ID + "/" + f.Run, Kind: RepeatOffender, At: n.now().UTC(),
					Title: fmt.Sprintf("Repeat offender back on %s: %s (%d confirmed)", l.Site, l.Seller, confirmed),
					Text:  fmt.Sprintf("%s\nremoved listing seen again in run %s\n%s", l.Title, f.Run, l.URL),
					URL:   n.listingURL(l.Site, l.ID),
					Data:  map[string]string{"site": l.Site, "listing_id": l.ID, "seller": l.Seller, "run": f.Run, "confirmed": fmt.Sprint(confirmed)}}
				for _, ch := range r.Channels {
					events[ch] = append(events[ch], e)
				}
			}
		}
	}
	return n.enqueue(ctx, events)
}

// RunFinished sends the sweep_end summary of a run the store finished.
func (n *Notifier) RunFinished(ctx context.Context, runID string) error {
	var channels []string
	for _, r := range n.cfg.Rules {
		if r.On == SweepEnd {
			channels = append(channels, r.Channels...)
		}
	}
	if len(channels) == 0 {
		return nil
	}
	run, err := n.store.Run(ctx, runID)
	if err != nil {
		return err
	}
	sweep := run.Sweep
	if sweep == "" {
		sweep = "(by hand)"
	}
	e := Event{Key: "run/" + run.ID, Kind: SweepEnd, At: n.now().UTC(),
		Title: fmt.Sprintf("Sweep %s finished: %d suspects", sweep, run.Suspects),
		Text: fmt.Sprintf("run %s: %d findings, %d suspects, %d removed, %d reappeared", run.ID, run.Findings, run.Suspects,
			run.Removed, run.Reappeared),
		Data: map[string]string{"run": run.ID, "sweep": run.Sweep, "findings": fmt.Sprint(run.Findings), "suspects": fmt.Sprint(run.Suspects),
			"removed": fmt.Sprint(run.Removed), "reappeared": fmt.Sprint(run.Reappeared)}}
	if n.baseURL != "" {
		e.URL = n.baseURL + "/runs"
	}
	events := map[string][]Event{}
	for _, ch := range channels {
		events[ch] = append(events[ch], e)
	}
	return n.enqueue(ctx, events)
}

// backoff is the wait after the attempts-th failure.
func (n *Notifier) backoff(attempts int) time.Duration {
	d := n.cfg.Backoff
	for i := 1; i < attempts && d < n.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, n.cfg.MaxBackoff)
}

// failOrphans gives up the pending notifications of channels that are
// no longer in the config.
func (n *Notifier) failOrphans(ctx context.Context) error {
	known := make([]string, 0, len(n.lanes))
	for name := range n.lanes {
		known = append(known, name)
	}
	k, err := n.store.FailOrphanNotifications(ctx, known)
	if err != nil {
		return err
	}
	if k > 0 {
		n.counter.WithLabelValues("failed").Add(float64(k))
		n.log.Warn("notifications given up: their channel is not in the config", "count", k)
	}
	return nil
}

// DeliverDue sends every due delivery once, each channel in its own lane
// concurrently, and records the outcomes. It returns how many were
// delivered.
func (n *Notifier) DeliverDue(ctx context.Context) (int, error) {
	if err := n.failOrphans(ctx); err != nil {
		return 0, err
	}
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		delivered int
		first     error
	)
	for _, l := range n.lanes {
		wg.Go(func() {
			d, err := n.deliver(ctx, l)
			mu.Lock()
			defer mu.Unlock()
			delivered += d
			if err != nil && first == nil {
				first = err
			}
		})
	}
	wg.Wait()
	return delivered, first
}

// deliver sends l's due notifications, one at a time.
func (n *Notifier) deliver(ctx context.Context, l *lane) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	due, err := n.store.DueNotifications(ctx, l.name, n.now(), laneBatch)
	if err != nil {
		return 0, err
	}
	delivered := 0
	for _, d := range due {
		if ctx.Err() != nil {
			return delivered, ctx.Err()
		}
		var e Event
		err := json.Unmarshal([]byte(d.Payload), &e)
		if err == nil {
			sctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
			err = l.s.send(sctx, e)
			cancel()
		}
		if err == nil {
			if err := n.store.NotificationDelivered(ctx, d.ID, n.now()); err != nil {
				return delivered, err
			}
			delivered++
			n.counter.WithLabelValues("delivered").Inc()
			n.log.Info("notification delivered", "channel", d.Channel, "kind", d.Kind, "key", d.Key, "attempt", d.Attempts+1)
			continue
		}
		next, result := n.now().Add(n.backoff(d.Attempts+1)), "retried"
		if d.Attempts+1 >= n.cfg.MaxAttempts {
			next, result = time.Time{}, "failed"
		}
		if serr := n.store.NotificationFailed(ctx, d.ID, next, err.Error()); serr != nil {
			return delivered, serr
		}
		n.counter.WithLabelValues(result).Inc()
		n.log.Warn("notification not delivered", "channel", d.Channel, "kind", d.Kind, "key", d.Key, "attempt", d.Attempts+1,
			"result", result, "err", err)
	}
	return delivered, nil
}

// Run delivers until ctx is cancelled, one goroutine per channel: each
// lane delivers whenever events are enqueued for its channel, and every
// poll interval for retries that came due. A lane stuck in a receiver
// that never answers (up to the timeout) delays only its own channel.
func (n *Notifier) Run(ctx context.Context) {
	if err := n.failOrphans(ctx); err != nil && ctx.Err() == nil {
		n.log.Error("notifications", "err", err)
	}
	var wg sync.WaitGroup
	for _, l := range n.lanes {
		wg.Go(func() {
			tick := time.NewTicker(n.interval)
			defer tick.Stop()
			for {
				if _, err := n.deliver(ctx, l); err != nil && ctx.Err() == nil {
					n.log.Error("notifications", "channel", l.name, "err", err)
				}
				select {
				case <-ctx.Done():
					return
				case <-l.kick:
				case <-tick.C:
				}
			}
		})
	}
	wg.Wait()
}
