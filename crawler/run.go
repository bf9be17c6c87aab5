package crawler

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/markwatch/markwatch"
)

// Backoff is exponential backoff with full jitter: the delay before retry n
// (1-based) is uniform in (0, min(Base·2ⁿ⁻¹, Max)], and never shorter than
// the server's Retry-After. It is the policy of the in-process Runner; the
// queue worker uses pipeline.DefaultBackoff, the same shape.
type Backoff struct {
	Base time.Duration // default 1s
	Max  time.Duration // default 1m
}

// Delay returns the wait before retry attempt (1-based).
func (b Backoff) Delay(attempt int, retryAfter time.Duration) time.Duration {
	base, ceiling := b.Base, b.Max
	if base <= 0 {
		base = time.Second
	}
	if ceiling <= 0 {
		ceiling = time.Minute
	}
	attempt = max(attempt, 1)
	d := base << min(attempt-1, 30)
	if d <= 0 || d > ceiling {
		d = ceiling
	}
	d = time.Duration(rand.Int64N(int64(d))) + 1
	return max(d, retryAfter)
}

// RunStats is what a Runner did.
type RunStats struct {
	Pages         int // pages crawled successfully
	Listings      int // listings emitted
	Retries       int // fetches retried after a temporary failure
	Skipped       int // tasks not fetched: robots.txt or allowed_domains
	Failed        int // tasks given up: permanent errors or retry budget spent
	LayoutChanged int // of Failed: search pages the adapter did not understand
	Duplicates    int // follow-up tasks dropped because their URL was already queued
}

// Runner crawls seed tasks and everything they lead to, in this process:
// the loop behind `markwatch crawl` and the benchmarks. It deduplicates
// tasks by canonical URL (the adapter's tracking_params dropped), runs at
// most Concurrency at once, fetches item pages before further search pages,
// and retries temporary failures after Backoff, within a budget of Retries
// per task. The distributed equivalent is the Redis frontier and the
// pipeline worker.
type Runner struct {
	Crawler *Crawler
	// Concurrency is how many tasks run at once. Default crawl.concurrency.
	Concurrency int
	// Retries is the retry budget of one task. Default crawl.retries.
	Retries int
	// Backoff gives the delay before retry n. Default Backoff{}.Delay.
	Backoff func(attempt int, retryAfter time.Duration) time.Duration
	Logger  *slog.Logger
}

// Run crawls seeds to exhaustion (or until ctx ends) and calls emit, one
// call at a time, with every successful page's extraction. It returns
// ctx's error if ctx ended first.
func (r *Runner) Run(ctx context.Context, seeds []markwatch.Task, emit func(*markwatch.Extracted)) (RunStats, error) {
	concurrency, retries, backoff, log := r.Concurrency, r.Retries, r.Backoff, r.Logger
	if concurrency <= 0 {
		concurrency = r.Crawler.cfg.Concurrency
	}
	if retries <= 0 {
		retries = r.Crawler.cfg.Retries
	}
	if backoff == nil {
		backoff = Backoff{}.Delay
	}
	if log == nil {
		log = r.Crawler.log
	}
	q := &runQueue{seen: map[string]bool{}}
	q.cond = sync.NewCond(&q.mu)
	for _, t := range seeds {
		q.add(r.Crawler, t)
	}
	stop := context.AfterFunc(ctx, func() { q.mu.Lock(); q.cond.Broadcast(); q.mu.Unlock() })
	defer stop()

	var emitMu sync.Mutex
	var wg sync.WaitGroup
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				t, ok := q.next(ctx)
				if !ok {
					return
				}
				ex, err := r.Crawler.Crawl(ctx, t)
				if err == nil {
					emitMu.Lock()
					emit(ex)
					emitMu.Unlock()
				}
				q.done(r.Crawler, t, ex, err, retries, backoff, log)
			}
		}()
	}
	wg.Wait()
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.stats, ctx.Err()
}

// runQueue is the Runner's frontier: items before searches, a seen set,
// and a count of tasks in flight or waiting out a backoff, so that workers
// know when the crawl is over.
type runQueue struct {
	mu       sync.Mutex
	cond     *sync.Cond
	items    []markwatch.Task
	searches []markwatch.Task
	seen     map[string]bool
	busy     int // tasks running or delayed
	stats    RunStats
}

func (q *runQueue) add(c *Crawler, t markwatch.Task) bool {
	key := string(t.Kind) + " " + t.URL
	if s, ok := c.sites[t.Site]; ok {
		key = string(t.Kind) + " " + s.CanonicalURL(t.URL)
	}
	if q.seen[key] {
		return false
	}
	q.seen[key] = true
	q.push(t)
	return true
}

func (q *runQueue) push(t markwatch.Task) {
	if t.Kind == markwatch.KindItem {
		q.items = append(q.items, t)
	} else {
		q.searches = append(q.searches, t)
	}
}

func (q *runQueue) next(ctx context.Context) (markwatch.Task, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		if ctx.Err() != nil {
			return markwatch.Task{}, false
		}
		var t markwatch.Task
		switch {
		case len(q.items) > 0:
			t, q.items = q.items[0], q.items[1:]
		case len(q.searches) > 0:
			t, q.searches = q.searches[0], q.searches[1:]
		case q.busy == 0:
			return markwatch.Task{}, false
		default:
			q.cond.Wait()
			continue
		}
		q.busy++
		return t, true
	}
}

func (q *runQueue) done(c *Crawler, t markwatch.Task, ex *markwatch.Extracted, err error, retries int,
	backoff func(int, time.Duration) time.Duration, log *slog.Logger) {
	q.mu.Lock()
	defer q.mu.Unlock()
	defer q.cond.Broadcast()
	var fe *FetchError
	switch {
	case err == nil:
		q.stats.Pages++
		q.stats.Listings += len(ex.Listings)
		for _, f := range ex.Follow {
			if f.Kind == markwatch.KindItem {
				f.Priority = t.Priority + 1
			}
			if !q.add(c, f) {
				q.stats.Duplicates++
			}
		}
	case errors.Is(err, ErrRobotsDisallowed), errors.Is(err, ErrDomainNotAllowed):
		q.stats.Skipped++
	case errors.As(err, &fe) && fe.Temporary && t.Attempt < retries:
		t.Attempt++
		t.LastError = err.Error()
		q.stats.Retries++
		d := backoff(t.Attempt, fe.RetryAfter)
		log.Info("retrying", "site", t.Site, "url", t.URL, "attempt", t.Attempt, "after", d, "err", err)
		time.AfterFunc(d, func() {
			q.mu.Lock()
			q.push(t)
			q.busy--
			q.cond.Broadcast()
			q.mu.Unlock()
		})
		return // still busy: delayed
	default:
		q.stats.Failed++
		if errors.Is(err, ErrLayoutChanged) {
			q.stats.LayoutChanged++
		}
		log.Error("task failed", "site", t.Site, "url", t.URL, "attempts", t.Attempt+1, "err", err)
	}
	q.busy--
}
