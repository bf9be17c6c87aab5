package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/markwatch/markwatch/queue"
	"github.com/markwatch/markwatch/store"
	"github.com/prometheus/client_golang/prometheus"
)

// runFinisher records in the store the runs that the frontier reports
// finished, so that takedown-requested listings a run no longer found are
// marked removed (store.FinishRun) without anyone calling the API. A run is
// finished in the store only when no task of it died or was cancelled and
// no findings batch of it was set aside (it may not have seen everything),
// and only once every finding published before it finished is stored: the
// first pass that sees it finished takes a mark of the findings stream,
// and a later pass finishes it when the stream is consumed through the mark
// (stream ids are the Redis server's clock, so no machine clocks are compared).
type runFinisher struct {
	Store *store.Store
	// Runs lists the frontier's runs; Stats is their accounting.
	Runs  func(ctx context.Context) ([]string, error)
	Stats func(ctx context.Context, run string) (queue.RunStats, error)
	// Mark and ConsumedThrough read the findings stream (queue.FindingsMark,
	// queue.FindingsConsumedThrough).
	Mark            func(ctx context.Context) (string, error)
	ConsumedThrough func(ctx context.Context, mark string) (bool, error)
	// SetAside lists the runs with findings dead letters.
	SetAside func(ctx context.Context) (map[string]bool, error)
	Every    time.Duration
	Logger   *slog.Logger
	// Finished, when set, hears of each run the store finished (the
	// sweep_end notification); its error is logged, not returned.
	Finished func(ctx context.Context, run string) error
	// SetRollback, when set, turns on the rollback check (queue.RollbackOf):
	// a run whose done is below the highest done seen before
	// (store.ObserveDone), or that has nothing queued or leased and
	// accounts for fewer tasks (done + dead + cancelled) than the distinct
	// pages the store holds findings of (store.RunPages), went backwards in
	// Redis (a failover to a lagging replica, a restore). It is not
	// finished in the store (no removals are computed from it);
	// SetRollback writes the marker that `queue stats` shows, again on
	// every pass (a marker lost in a later rollback comes back), and clears
	// it (nil) once the run accounts for what was seen.
	SetRollback func(ctx context.Context, run string, b *queue.Rollback) error
	// RolledBack, when set, is the number of runs found rolled back by
	// the last complete pass.
	RolledBack prometheus.Gauge
	// Now is the clock of the markers (default time.Now).
	Now func() time.Time

	marks  map[string]string // run → findings stream mark
	warned map[string]bool   // runs whose "cannot finish" was logged
	rolled map[string]bool   // runs found rolled back
	seen   map[string]int64  // run → highest done recorded in the store
}

// Run checks every Every until ctx is done.
func (f *runFinisher) Run(ctx context.Context) {
	tick := time.NewTicker(f.Every)
	defer tick.Stop()
	for {
		if err := f.Once(ctx); err != nil && ctx.Err() == nil {
			f.Logger.Warn("finish runs", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Once checks the frontier's runs that the store has not finished.
func (f *runFinisher) Once(ctx context.Context) error {
	if f.marks == nil {
		f.marks, f.warned, f.rolled, f.seen = map[string]string{}, map[string]bool{}, map[string]bool{}, map[string]int64{}
	}
	rolledBack := 0 // runs found rolled back in this pass (the gauge, when the pass completes)
	runs, err := f.Runs(ctx)
	if err != nil {
		return err
	}
	var setAside map[string]bool
	for _, run := range runs {
		if r, err := f.Store.Run(ctx, run); err == nil && !r.FinishedAt.IsZero() {
			delete(f.marks, run)
			delete(f.rolled, run)
			delete(f.seen, run)
			continue
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		st, err := f.Stats(ctx, run)
		if errors.Is(err, queue.ErrUnknownRun) {
			continue // its accounting expired
		}
		if err != nil {
			return err
		}
		if f.SetRollback != nil {
			rolled, err := f.checkRollback(ctx, run, st)
			if err != nil {
				return err
			}
			if rolled {
				rolledBack++
			}
			if rolled || st.RolledBack != nil {
				continue // a marker just cleared: finish on a later pass
			}
		}
		if !st.Finished {
			continue
		}
		if setAside == nil {
			if setAside, err = f.SetAside(ctx); err != nil {
				return err
			}
		}
		if st.Dead > 0 || st.Cancelled > 0 || setAside[run] {
			// Checked again every pass: a requeue may still complete it.
			if !f.warned[run] {
				f.warned[run] = true
				f.Logger.Warn("run not finished in the store: tasks or findings were lost or cancelled, so removals cannot be told",
					"run", run, "dead", st.Dead, "cancelled", st.Cancelled, "findings_set_aside", setAside[run])
			}
			continue
		}
		mark, ok := f.marks[run]
		if !ok {
			if f.marks[run], err = f.Mark(ctx); err != nil {
				return err
			}
			continue // finish on a later pass, once consumed through the mark
		}
		done, err := f.ConsumedThrough(ctx, mark)
		if err != nil {
			return err
		}
		if !done {
			continue // findings still on their way
		}
		if err := f.Store.FinishRun(ctx, run, nil); err != nil {
			return err
		}
		delete(f.marks, run)
		f.Logger.Info("run finished", "run", run, "pages", st.Pages, "listings", st.Listings)
		if f.Finished != nil {
			if err := f.Finished(ctx, run); err != nil {
				f.Logger.Error("run finished: notification", "run", run, "err", err)
			}
		}
	}
	if f.RolledBack != nil {
		f.RolledBack.Set(float64(rolledBack))
	}
	return nil
}

// checkRollback compares a run's accounting with what the store saw of it,
// marks the run rolled back (true) or clears its marker.
func (f *runFinisher) checkRollback(ctx context.Context, run string, st queue.RunStats) (bool, error) {
	seen, ok := f.seen[run]
	if !ok || st.Done > seen {
		// One write per run only when its done grew (or after a restart).
		var err error
		if seen, err = f.Store.ObserveDone(ctx, run, st.Done); err != nil {
			return false, err
		}
		f.seen[run] = seen
	}
	stored := int64(-1)
	if st.Queued <= 0 && st.Leased <= 0 || st.RolledBack != nil {
		var err error
		if stored, err = f.Store.RunPages(ctx, run); err != nil {
			return false, err
		}
	}
	b := queue.RollbackOf(st, seen, stored)
	if b == nil {
		if st.RolledBack != nil {
			if err := f.SetRollback(ctx, run, nil); err != nil {
				return false, err
			}
			f.Logger.Info("run no longer rolled back: its accounting covers what the store saw", "run", run, "done", st.Done, "stored_pages", stored)
		}
		delete(f.rolled, run)
		return false, nil
	}
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	b.At = now()
	if err := f.SetRollback(ctx, run, b); err != nil {
		return false, err
	}
	delete(f.marks, run)
	if !f.rolled[run] {
		f.rolled[run] = true
		f.Logger.Error("run rolled back: its frontier accounting is below what the store already saw; not finished in the store (seed the run again)",
			"run", run, "done", st.Done, "dead", st.Dead, "cancelled", st.Cancelled, "seen_done", seen, "stored_pages", stored)
	}
	return true, nil
}
