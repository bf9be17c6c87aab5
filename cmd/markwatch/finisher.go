package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/markwatch/markwatch/queue"
	"github.com/markwatch/markwatch/store"
)

// runFinisher records in the store the runs that the frontier reports
// finished, so that takedown-requested listings a run no longer found are
// marked removed (store.FinishRun) without anyone calling the API. A run is
// finished in the store only when no task of it died or was cancelled (it
// may not have seen everything) and every finding published before it
// finished has been consumed.
type runFinisher struct {
	Store *store.Store
	// Stats is the frontier's run accounting.
	Stats func(ctx context.Context, run string) (queue.RunStats, error)
	// Consumed reports whether the findings published before t are stored.
	Consumed func(ctx context.Context, t time.Time) (bool, error)
	Every    time.Duration
	Logger   *slog.Logger

	skipped map[string]bool // runs not to finish, logged once
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

// Once checks the store's unfinished runs.
func (f *runFinisher) Once(ctx context.Context) error {
	if f.skipped == nil {
		f.skipped = map[string]bool{}
	}
	runs, err := f.Store.Runs(ctx, 200)
	if err != nil {
		return err
	}
	for _, r := range runs {
		if !r.FinishedAt.IsZero() || f.skipped[r.ID] {
			continue
		}
		st, err := f.Stats(ctx, r.ID)
		if errors.Is(err, queue.ErrUnknownRun) {
			continue // an imported run, or one whose accounting expired
		}
		if err != nil {
			return err
		}
		if !st.Finished {
			continue
		}
		if st.Dead > 0 || st.Cancelled > 0 {
			f.skipped[r.ID] = true
			f.Logger.Warn("run not finished in the store: tasks died or were cancelled, so removals cannot be told", "run", r.ID, "sweep", r.Sweep, "dead", st.Dead, "cancelled", st.Cancelled)
			continue
		}
		if ok, err := f.Consumed(ctx, st.FinishedAt); err != nil || !ok {
			if err != nil {
				return err
			}
			continue // findings still on their way
		}
		if err := f.Store.FinishRun(ctx, r.ID, nil); err != nil {
			return err
		}
		f.Logger.Info("run finished", "run", r.ID, "sweep", r.Sweep, "pages", st.Pages, "listings", st.Listings)
	}
	return nil
}
