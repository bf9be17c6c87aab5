package pipeline

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/crawler"
	"github.com/markwatch/markwatch/queue"
)

// Crawler fetches a task's page and extracts what is on it.
type Crawler interface {
	Crawl(ctx context.Context, task markwatch.Task) (*markwatch.Extracted, error)
}

// Matcher judges one listing.
type Matcher interface {
	Match(ctx context.Context, listing markwatch.Listing) (markwatch.Verdict, error)
}

// MatcherFunc adapts a function to Matcher.
type MatcherFunc func(ctx context.Context, listing markwatch.Listing) (markwatch.Verdict, error)

// Match calls f.
func (f MatcherFunc) Match(ctx context.Context, l markwatch.Listing) (markwatch.Verdict, error) {
	return f(ctx, l)
}

// Enricher adds to a listing what its photos show before it is matched.
// It records its own failures in the listing; an error means ctx ended.
type Enricher interface {
	Enrich(ctx context.Context, log *slog.Logger, listing *markwatch.Listing) error
}

// Sink receives the findings read from one page, with the page itself so
// that evidence can be preserved when any finding is suspect.
type Sink interface {
	Put(ctx context.Context, page *markwatch.Page, findings []markwatch.Finding) error
}

// Worker runs tasks from a frontier. Set the fields, then call Run.
type Worker struct {
	Frontier queue.Frontier
	Crawler  Crawler
	Matcher  Matcher
	Sink     Sink
	// Images, when set, runs on every listing between crawl and match
	// (images.Step: fetch its photos, photo hits, OCR text).
	Images Enricher
	// Concurrency is how many tasks run at once. Default 8.
	Concurrency int
	// Lease is the frontier's lease length; leases of in-flight tasks are
	// extended every Lease/3. Default 30s.
	Lease time.Duration
	// Backoff gives the delay before retry attempt n (1-based) of a failed
	// fetch. Default: exponential from 1s with full jitter, capped at 5m,
	// and never shorter than the server's Retry-After.
	Backoff func(attempt int, retryAfter time.Duration) time.Duration
	// Retries is the frontier's retry budget (queue.Options.Retries), so
	// that the worker knows when a failed item page is final and its search
	// card must be judged on its own. Default 3.
	Retries int
	// Idle is how long to wait when the frontier has nothing ready. Default 50ms.
	Idle time.Duration
	// KeepFindings selects which verdicts become findings. Default: every
	// verdict with at least one hit or signal.
	KeepFindings func(markwatch.Verdict) bool
	Logger       *slog.Logger
	Metrics      *Metrics

	mu            sync.Mutex
	unknownLogged map[string]time.Time // site → last "no adapter" log
}

func (w *Worker) defaults() {
	if w.Concurrency <= 0 {
		w.Concurrency = 8
	}
	if w.Lease <= 0 {
		w.Lease = 30 * time.Second
	}
	if w.Backoff == nil {
		w.Backoff = DefaultBackoff
	}
	if w.Idle <= 0 {
		w.Idle = 50 * time.Millisecond
	}
	if w.Retries <= 0 {
		w.Retries = 3
	}
	if w.KeepFindings == nil {
		w.KeepFindings = func(v markwatch.Verdict) bool { return len(v.Hits) > 0 || len(v.Signals) > 0 }
	}
	if w.Logger == nil {
		w.Logger = slog.New(slog.DiscardHandler)
	}
	if w.Metrics == nil {
		w.Metrics = NewMetrics(nil)
	}
}

// DefaultBackoff is exponential backoff from 1s with full jitter, capped at
// 5 minutes, and at least retryAfter.
func DefaultBackoff(attempt int, retryAfter time.Duration) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	ceiling := time.Second << min(attempt-1, 8)
	ceiling = min(ceiling, 5*time.Minute)
	d := time.Duration(rand.Int64N(int64(ceiling)) + 1)
	return max(d, retryAfter)
}

// Run leases and processes tasks until ctx is cancelled or, when until is
// non-nil, until it returns true (checked whenever the frontier is idle).
// On cancellation it stops leasing and lets in-flight tasks finish; their
// work is done with a fresh context so that acks reach the frontier.
func (w *Worker) Run(ctx context.Context, until func(context.Context) (bool, error)) error {
	w.defaults()
	sem := make(chan struct{}, w.Concurrency)
	// settled has a value when a task finished since the loop last looked.
	settled := make(chan struct{}, 1)
	var wg sync.WaitGroup
	inflight := newInflight()
	hbCtx, stopHeartbeat := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHeartbeat()
	go w.heartbeat(hbCtx, inflight)
	defer wg.Wait()

	for ctx.Err() == nil {
		free := w.Concurrency - len(sem)
		if free == 0 {
			select {
			case sem <- struct{}{}:
				<-sem
			case <-ctx.Done():
			}
			continue
		}
		tasks, err := w.Frontier.Lease(ctx, free)
		if err != nil && len(tasks) == 0 {
			if ctx.Err() != nil {
				break
			}
			w.Logger.Error("lease failed", "err", err)
			w.Metrics.FrontierErrors.Inc()
			sleep(ctx, w.Idle*10)
			continue
		}
		if err != nil {
			// Some sites answered before one failed: the tasks leased so
			// far are ours and must be worked, not stranded until their
			// leases expire.
			w.Logger.Warn("lease partly failed", "leased", len(tasks), "err", err)
			w.Metrics.FrontierErrors.Inc()
		}
		if len(tasks) == 0 {
			if until != nil {
				wg.Wait() // in-flight tasks may add follow-ups
				done, err := until(ctx)
				if err != nil {
					return err
				}
				if done {
					return nil
				}
			}
			// Nothing ready: wait until a task in flight settles (it
			// may have queued follow-ups: a search page's items, its
			// next page) or Idle passes (other workers' tasks).
			select {
			case <-settled:
			case <-time.After(w.Idle):
			case <-ctx.Done():
			}
			continue
		}
		for _, t := range tasks {
			sem <- struct{}{}
			inflight.add(t)
			wg.Add(1)
			go func(t markwatch.Task) {
				defer func() {
					inflight.remove(t)
					<-sem
					select {
					case settled <- struct{}{}:
					default:
					}
					wg.Done()
				}()
				// Finish a task even when shutdown starts mid-way: releasing
				// it would only make another worker fetch the page again.
				w.process(context.WithoutCancel(ctx), t)
			}(t)
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// process runs one task to its ack or nack.
func (w *Worker) process(ctx context.Context, t markwatch.Task) {
	log := w.Logger.With("run", t.Run, "sweep", t.Sweep, "site", t.Site, "task", t.ID, "kind", string(t.Kind))
	start := time.Now()
	ex, err := w.Crawler.Crawl(ctx, t)
	if err != nil {
		w.failed(ctx, log, t, err)
		return
	}
	if len(ex.Follow) > 0 {
		for i := range ex.Follow {
			f := &ex.Follow[i]
			f.Run, f.Sweep = t.Run, t.Sweep
			if f.Kind == markwatch.KindItem {
				f.Priority = t.Priority + 1
			} else {
				f.Priority = t.Priority
			}
		}
		if _, err := w.Frontier.Add(ctx, ex.Follow...); err != nil {
			// Nothing acked yet: give the task back (the frontier is
			// struggling; pause this slot) and it will be fetched again.
			log.Error("queue follow-up tasks", "err", err)
			w.Metrics.FrontierErrors.Inc()
			w.giveBack(ctx, log, t)
			return
		}
	}
	suspects, err := w.deliver(ctx, log, t, ex.Page, ex.Listings)
	if err != nil {
		// The page was fine; the sink was not.
		w.giveBack(ctx, log, t)
		return
	}
	if err := w.Frontier.Ack(ctx, t); err != nil {
		log.Error("ack failed", "err", err)
		w.Metrics.FrontierErrors.Inc()
		return
	}
	w.Metrics.Tasks.WithLabelValues(string(t.Kind), "done").Inc()
	log.Debug("task done", "listings", len(ex.Listings), "follow", len(ex.Follow), "suspects", suspects, "seconds", time.Since(start).Seconds())
}

// deliver judges listings read from page (nil for a search card whose item
// page could not be had), hands the findings to the sink and records the
// run's progress. An error means the sink failed and the task must be
// retried; nothing was recorded then.
func (w *Worker) deliver(ctx context.Context, log *slog.Logger, t markwatch.Task, page *markwatch.Page, listings []markwatch.Listing) (int64, error) {
	var findings []markwatch.Finding
	var suspects int64
	for _, l := range listings {
		if w.Images != nil {
			if err := w.Images.Enrich(ctx, log, &l); err != nil {
				return 0, err // cancelled: the task goes back untouched
			}
		}
		v, err := w.Matcher.Match(ctx, l)
		if err != nil {
			log.Error("match failed", "listing", l.ID, "err", err)
			w.Metrics.MatchErrors.Inc()
			continue
		}
		if v.Suspect {
			suspects++
		}
		if w.KeepFindings(v) {
			findings = append(findings, markwatch.Finding{Run: t.Run, Sweep: t.Sweep, Listing: l, Verdict: v})
		}
	}
	if len(findings) > 0 {
		if err := w.Sink.Put(ctx, page, findings); err != nil {
			log.Error("store findings", "err", err)
			w.Metrics.SinkErrors.Inc()
			return 0, err
		}
	}
	var pages int64
	if page != nil {
		pages = 1
	}
	if err := w.Frontier.Record(ctx, t.Run, queue.Progress{Pages: pages, Listings: int64(len(listings)), Suspects: suspects}); err != nil {
		log.Warn("record progress", "err", err)
		w.Metrics.FrontierErrors.Inc()
	}
	w.Metrics.Suspects.Add(float64(suspects))
	return suspects, nil
}

func (w *Worker) failed(ctx context.Context, log *slog.Logger, t markwatch.Task, err error) {
	// crawler.Classify is the one rule book, shared with `markwatch crawl`.
	f := crawler.Classify(t, err, w.Retries)
	switch f.Outcome {
	case crawler.OutcomeSkipped:
		// Not an error of the task: the URL must not be fetched. Skip it,
		// but judge what the search card said.
		log.Info("task skipped", "url", t.URL, "reason", err)
		w.settle(ctx, log, t, f, "skipped", func() error { return w.Frontier.Ack(ctx, t) })
	case crawler.OutcomeBlocked:
		// The site served a block page: not the task's fault. Pause the
		// site for the fleet (its token bucket's circuit breaker) and give
		// the task back without spending a retry.
		w.blocked(ctx, log, t, err)
		w.giveBack(ctx, log, t)
	case crawler.OutcomeRelease:
		// This worker has no adapter for the site (a rolling deploy, or a
		// machine with other --sites): give the task back untouched for a
		// worker that has one, pausing this slot so as not to spin on it.
		w.unknownSite(log, t)
		w.giveBack(ctx, log, t)
	case crawler.OutcomeGone:
		// The listing went away between the search page and its item page:
		// a known end, not a failure. The card is what the run saw of it.
		log.Info("item page gone", "url", t.URL, "status", f.Status)
		w.settle(ctx, log, t, f, "gone", func() error { return w.Frontier.Ack(ctx, t) })
	case crawler.OutcomeLayoutChanged:
		log.Error("layout changed", "url", t.URL, "err", err)
		w.finalFailure(ctx, log, t, f)
	case crawler.OutcomeRetry:
		log.Warn("fetch failed, will retry", "url", t.URL, "status", f.Status, "attempt", t.Attempt+1, "err", err)
		w.retryLater(ctx, log, t, err, f.RetryAfter)
	default:
		var fe *crawler.FetchError
		if errors.As(err, &fe) && fe.Temporary {
			log.Error("fetch failed, retry budget spent", "url", t.URL, "status", fe.Status, "attempt", t.Attempt+1, "err", err)
		} else {
			log.Error("task failed", "url", t.URL, "err", err)
		}
		w.finalFailure(ctx, log, t, f)
	}
}

// finalFailure dead-letters a task, after judging its search card: a
// listing whose item page cannot be had still has the title, price and
// seller the search page showed.
func (w *Worker) finalFailure(ctx context.Context, log *slog.Logger, t markwatch.Task, f crawler.Failure) {
	w.settle(ctx, log, t, f, "failed", func() error {
		return w.Frontier.Nack(ctx, t, f.Err, false, 0)
	})
}

// settle ends a task that will not be fetched again: its search card (an
// item task's partial listing, marked with why its item page was not read)
// is judged first, then end (ack or dead-letter) runs. If the card cannot
// be stored, the task is given back untouched instead, so that neither the
// card nor a retry is lost.
func (w *Worker) settle(ctx context.Context, log *slog.Logger, t markwatch.Task, f crawler.Failure, outcome string, end func() error) {
	if card, ok := crawler.CardOnly(t, f); ok {
		if _, err := w.deliver(ctx, log.With("card_only", true), t, nil, []markwatch.Listing{card}); err != nil {
			w.giveBack(ctx, log, t)
			return
		}
	}
	if err := end(); err != nil {
		log.Error("ending task failed", "outcome", outcome, "err", err)
		w.Metrics.FrontierErrors.Inc()
		return
	}
	w.Metrics.Tasks.WithLabelValues(string(t.Kind), outcome).Inc()
}

// blocked pauses the task's site fleet-wide, when the frontier can.
func (w *Worker) blocked(ctx context.Context, log *slog.Logger, t markwatch.Task, err error) {
	reason := err.Error()
	var be *crawler.BlockedError
	if errors.As(err, &be) {
		reason = be.Reason
	}
	p, ok := w.Frontier.(queue.SitePauser)
	if !ok {
		log.Error("site blocked us; this frontier cannot pause it", "url", t.URL, "err", err)
		return
	}
	until, strikes, perr := p.PauseSite(ctx, t.Site, reason)
	if perr != nil {
		log.Error("pause blocked site", "url", t.URL, "err", perr)
		w.Metrics.FrontierErrors.Inc()
		return
	}
	log.Warn("site blocked us: paused for the fleet", "url", t.URL, "marker", reason, "until", until, "strikes", strikes)
}

// giveBack returns a task untouched, without spending a retry, when the
// trouble is not the page's (the sink or the frontier failed, or this
// worker has no adapter for the site), and pauses this slot so that a
// lasting failure does not spin.
func (w *Worker) giveBack(ctx context.Context, log *slog.Logger, t markwatch.Task) {
	defer sleep(ctx, 20*w.Idle)
	if err := w.Frontier.Release(ctx, t); err != nil {
		log.Error("release failed", "err", err)
		w.Metrics.FrontierErrors.Inc()
		return
	}
	w.Metrics.Tasks.WithLabelValues(string(t.Kind), "released").Inc()
}

// unknownSite logs a task of a site this worker has no adapter for, once a
// minute per site.
func (w *Worker) unknownSite(log *slog.Logger, t markwatch.Task) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.unknownLogged == nil {
		w.unknownLogged = map[string]time.Time{}
	}
	if time.Since(w.unknownLogged[t.Site]) < time.Minute {
		return
	}
	w.unknownLogged[t.Site] = time.Now()
	log.Error("no adapter for this site on this worker; giving its tasks back to others", "url", t.URL)
}

// retryLater nacks a temporary failure: the frontier counts the attempt
// and queues the task again after the backoff.
func (w *Worker) retryLater(ctx context.Context, log *slog.Logger, t markwatch.Task, cause error, retryAfter time.Duration) {
	if err := w.Frontier.Nack(ctx, t, cause, true, w.Backoff(t.Attempt+1, retryAfter)); err != nil {
		log.Error("nack failed", "err", err)
		w.Metrics.FrontierErrors.Inc()
		return
	}
	w.Metrics.Tasks.WithLabelValues(string(t.Kind), "retried").Inc()
}

// heartbeat extends the leases of in-flight tasks every Lease/3.
func (w *Worker) heartbeat(ctx context.Context, in *inflight) {
	tick := time.NewTicker(w.Lease / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if tasks := in.snapshot(); len(tasks) > 0 {
				if err := w.Frontier.Extend(ctx, tasks...); err != nil && ctx.Err() == nil {
					w.Logger.Warn("extend leases", "tasks", len(tasks), "err", err)
				}
			}
		}
	}
}

type inflight struct {
	mu    sync.Mutex
	tasks map[string]markwatch.Task
}

func newInflight() *inflight { return &inflight{tasks: map[string]markwatch.Task{}} }

func (in *inflight) add(t markwatch.Task) {
	in.mu.Lock()
	in.tasks[t.ID] = t
	in.mu.Unlock()
}

func (in *inflight) remove(t markwatch.Task) {
	in.mu.Lock()
	delete(in.tasks, t.ID)
	in.mu.Unlock()
}

func (in *inflight) snapshot() []markwatch.Task {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make([]markwatch.Task, 0, len(in.tasks))
	for _, t := range in.tasks {
		out = append(out, t)
	}
	return out
}
