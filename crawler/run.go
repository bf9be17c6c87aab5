package crawler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"slices"
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
	Listings      int // listings emitted (cards emitted on their own included)
	Retries       int // fetches retried after a temporary failure
	Skipped       int // tasks not fetched: robots.txt or allowed_domains
	Failed        int // tasks given up: permanent errors or retry budget spent
	LayoutChanged int // of Failed: pages the adapter did not understand
	Duplicates    int // follow-up tasks dropped because their URL was already queued
	// SearchFailed counts search pages given up (layout changed, fetch
	// failed): the cards on them were never read.
	SearchFailed int
	// SearchLayoutChanged is the part of SearchFailed the adapter did not
	// understand (no cards, no no-results marker).
	SearchLayoutChanged int
	// ItemsNotRead counts item pages not read (skipped, gone, failed):
	// their search cards were emitted on their own, marked (Listing.ItemPage).
	ItemsNotRead int
	// Blocked counts tasks ended by a block page (ErrBlocked), the first
	// fetched and the rest not fetched after it.
	Blocked int
	// CardsLost counts search cards read but never emitted: item tasks
	// still waiting when the run was cancelled. Zero otherwise, always.
	CardsLost int
	// Unreachable lists the hosts that refused connections or did not
	// resolve, when Runner.GiveUpUnreachable is set.
	Unreachable []string
}

// Runner crawls seed tasks and everything they lead to, in this process:
// the loop behind `markwatch crawl` and the benchmarks. It deduplicates
// tasks by canonical URL (the adapter's tracking_params dropped), runs at
// most Concurrency at once, fetches item pages before further search pages,
// and retries temporary failures after Backoff, within a budget of Retries
// per task. Failures are classified by Classify, as the queue worker does:
// an item task that ends without its page emits its search card, marked
// with why. The distributed equivalent is the Redis frontier and the
// pipeline worker.
type Runner struct {
	Crawler *Crawler
	// Concurrency is how many tasks run at once. Default crawl.concurrency.
	Concurrency int
	// Retries is the retry budget of one task. Default crawl.retries.
	Retries int
	// Backoff gives the delay before retry n. Default Backoff{}.Delay.
	Backoff func(attempt int, retryAfter time.Duration) time.Duration
	// GiveUpUnreachable ends every task of a host at once, without retries,
	// after a connection to it was refused or its name did not resolve (a
	// mirror that maps only some hosts), and logs the host once. The queue
	// worker retries such failures; an adapter author at a terminal would
	// rather know.
	GiveUpUnreachable bool
	Logger            *slog.Logger
}

// Run crawls seeds to exhaustion (or until ctx ends) and calls emit, one
// call at a time, with every successful page's extraction, and with an
// Extracted holding only the marked card (Page nil) for every item task
// that ended without its page. It returns ctx's error if ctx ended first.
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
	q := &runQueue{seen: map[string]bool{}, unreachable: map[string]error{}, blocked: map[string]error{}, giveUp: r.GiveUpUnreachable}
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
				var ex *markwatch.Extracted
				err := q.knownUnreachable(t)
				if err == nil {
					ex, err = r.Crawler.Crawl(ctx, t)
				}
				if err != nil && ctx.Err() != nil {
					q.cancelled(t)
					continue
				}
				if err == nil {
					emitMu.Lock()
					emit(ex)
					emitMu.Unlock()
				}
				if card, ok := q.done(r.Crawler, t, ex, err, retries, backoff, log); ok {
					emitMu.Lock()
					emit(&markwatch.Extracted{Listings: []markwatch.Listing{card}})
					emitMu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	q.mu.Lock()
	defer q.mu.Unlock()
	// Item tasks still queued or waiting out a backoff: their cards are lost.
	for _, t := range q.items {
		if t.Listing != nil {
			q.stats.CardsLost++
		}
	}
	q.stats.CardsLost += q.delayedCards
	for h := range q.unreachable {
		q.stats.Unreachable = append(q.stats.Unreachable, h)
	}
	slices.Sort(q.stats.Unreachable)
	return q.stats, ctx.Err()
}

// runQueue is the Runner's frontier: items before searches, a seen set,
// and a count of tasks in flight or waiting out a backoff, so that workers
// know when the crawl is over.
type runQueue struct {
	mu           sync.Mutex
	cond         *sync.Cond
	items        []markwatch.Task
	searches     []markwatch.Task
	seen         map[string]bool
	busy         int // tasks running or delayed
	delayedCards int // item tasks with a card waiting out a backoff
	stats        RunStats
	giveUp       bool
	unreachable  map[string]error // host → the error that showed it
	blocked      map[string]error // site → the block page that showed it
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

// errUnreachableSeen: the task was not fetched, its host having refused
// connections earlier in the run.
var errUnreachableSeen = errors.New("host unreachable earlier in this run")

// knownUnreachable fails a task at once when its host already proved
// unreachable in this run (GiveUpUnreachable).
func (q *runQueue) knownUnreachable(t markwatch.Task) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if cause, ok := q.blocked[t.Site]; ok {
		// The site blocked us: asking again only deepens the ban.
		return fmt.Errorf("not fetched, the site blocked an earlier page of this run: %w", cause)
	}
	if !q.giveUp {
		return nil
	}
	u, err := url.Parse(t.URL)
	if err != nil {
		return nil
	}
	if cause, ok := q.unreachable[u.Host]; ok {
		return &FetchError{URL: t.URL, Err: fmt.Errorf("%w: host %s (%v)", errUnreachableSeen, u.Host, cause)}
	}
	return nil
}

// cancelled accounts for a task cut short by the end of the run.
func (q *runQueue) cancelled(t markwatch.Task) {
	q.mu.Lock()
	defer q.mu.Unlock()
	defer q.cond.Broadcast()
	if t.Kind == markwatch.KindItem && t.Listing != nil {
		q.stats.CardsLost++
	}
	q.busy--
}

// done records a task's end and returns the card to emit on its own when
// an item task ended without its page.
func (q *runQueue) done(c *Crawler, t markwatch.Task, ex *markwatch.Extracted, err error, retries int,
	backoff func(int, time.Duration) time.Duration, log *slog.Logger) (markwatch.Listing, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	defer q.cond.Broadcast()
	if err == nil {
		q.busy--
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
		return markwatch.Listing{}, false
	}
	if q.giveUp && unreachable(err) {
		if u, perr := url.Parse(t.URL); perr == nil {
			if _, known := q.unreachable[u.Host]; !known {
				q.unreachable[u.Host] = err
				log.Warn("cannot reach host: its pages will not be read (map it with --mirror HOST=URL?)", "site", t.Site, "host", u.Host, "err", err)
			}
		}
		err = &FetchError{URL: t.URL, Err: err} // permanent: no retries
	}
	f := Classify(t, err, retries)
	switch f.Outcome {
	case OutcomeRetry:
		t.Attempt++
		t.LastError = err.Error()
		q.stats.Retries++
		d := backoff(t.Attempt, f.RetryAfter)
		log.Info("retrying", "site", t.Site, "url", t.URL, "attempt", t.Attempt, "after", d, "err", err)
		hasCard := t.Kind == markwatch.KindItem && t.Listing != nil
		if hasCard {
			q.delayedCards++
		}
		time.AfterFunc(d, func() {
			q.mu.Lock()
			if hasCard {
				q.delayedCards--
			}
			q.push(t)
			q.busy--
			q.cond.Broadcast()
			q.mu.Unlock()
		})
		return markwatch.Listing{}, false // still busy: delayed
	case OutcomeSkipped:
		q.stats.Skipped++
	case OutcomeBlocked:
		q.stats.Failed++
		q.stats.Blocked++
		if _, seen := q.blocked[t.Site]; !seen {
			q.blocked[t.Site] = err
			log.Warn("the site blocked the crawl: its remaining pages are not fetched (see the adapter's blocked markers)", "site", t.Site, "url", t.URL, "err", err)
		}
	default: // gone, layout changed, failed; release (no adapter) cannot happen with one Crawler
		if f.Outcome != OutcomeGone {
			q.stats.Failed++
		}
		if f.Outcome == OutcomeLayoutChanged {
			q.stats.LayoutChanged++
		}
		if f.Outcome != OutcomeGone && !(q.giveUp && errors.Is(err, errUnreachableSeen)) {
			log.Error("task failed", "site", t.Site, "url", t.URL, "attempts", t.Attempt+1, "outcome", string(f.Outcome), "err", err)
		}
	}
	q.busy--
	if t.Kind != markwatch.KindItem {
		if f.Outcome != OutcomeSkipped {
			q.stats.SearchFailed++
		}
		if f.Outcome == OutcomeLayoutChanged {
			q.stats.SearchLayoutChanged++
		}
		return markwatch.Listing{}, false
	}
	q.stats.ItemsNotRead++
	card, ok := CardOnly(t, f)
	if ok {
		q.stats.Listings++
	}
	return card, ok
}
