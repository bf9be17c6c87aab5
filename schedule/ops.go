package schedule

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/markwatch/markwatch/queue"
)

// RunNow fires sweep name at once, by hand (trigger manual): it needs no
// lease and leaves the sweep's schedule alone.
func (s *Scheduler) RunNow(ctx context.Context, name string) (Run, error) {
	sw := s.p.Sweeps.Sweep(name)
	if sw == nil {
		return Run{}, fmt.Errorf("%w %q (known: %v)", ErrUnknownSweep, name, s.p.Sweeps.SweepNames())
	}
	now := s.p.Clock.Now()
	loc := s.p.Sweeps.Location()
	run := Run{Sweep: name, Trigger: TriggerManual, Planned: now, Fired: now, State: StateRunning, Owner: "manual"}
	if ws, err := sw.Windows(s.cal, loc, now, now); err == nil && len(ws) > 0 && ws[0].Contains(now) {
		run.Window = s.windowLabel(&ws[0], s.log.With("sweep", name))
	}
	base := name + "-" + now.In(loc).Format("20060102T150405") + "-manual"
	for i := 1; ; i++ {
		run.ID = base
		if i > 1 {
			run.ID += "-" + strconv.Itoa(i)
		}
		res, err := s.store.record(ctx, run)
		if err != nil {
			return Run{}, err
		}
		if res == 1 {
			break
		}
		if i == 100 {
			return Run{}, fmt.Errorf("schedule: no free run id for %s", base)
		}
	}
	if m := s.p.Metrics; m != nil {
		m.Runs.WithLabelValues(name, TriggerManual).Inc()
	}
	s.log.Info("sweep run fired", "sweep", name, "run", run.ID, "trigger", TriggerManual, "window", run.Window)
	n, err := s.seed(ctx, run)
	if err != nil {
		return run, err
	}
	run.Seeded, run.Tasks = true, n
	return run, nil
}

// Cancel records run id as cancelled and has the frontier drop its queued
// tasks (leased ones finish). dropped is -1 when no Canceller is wired.
func (s *Scheduler) Cancel(ctx context.Context, id string) (dropped int, err error) {
	ok, state, err := s.store.transition(ctx, id, StateRunning, StateCancelled, "cancelled_at", ms(s.p.Clock.Now()))
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("%w: run %s is %s", ErrNotRunning, id, state)
	}
	s.log.Info("sweep run cancelled", "run", id)
	return s.dropQueued(ctx, id), nil
}

// Run returns the record of run id.
func (s *Scheduler) Run(ctx context.Context, id string) (Run, error) { return s.store.get(ctx, id) }

// History returns up to limit runs, newest first; sweep "" for all sweeps.
func (s *Scheduler) History(ctx context.Context, sweep string, limit int) ([]Run, error) {
	return s.store.history(ctx, sweep, limit)
}

// RunStatus is a run's record with its progress from the frontier.
type RunStatus struct {
	Run Run `json:"run"`
	// Progress is the frontier's accounting (nil when the frontier has
	// none for the run, e.g. it was never seeded or has expired).
	Progress *queue.RunStats `json:"progress,omitempty"`
	// Rate is tasks done (or dead) per minute since the run started.
	Rate float64 `json:"rate_per_minute"`
	// EstimatedFinish extrapolates Rate over what is queued and leased;
	// zero when the run is not running or nothing is done yet.
	EstimatedFinish time.Time `json:"estimated_finish,omitzero"`
}

// Status returns run id's record and progress.
func (s *Scheduler) Status(ctx context.Context, id string) (RunStatus, error) {
	r, err := s.store.get(ctx, id)
	if err != nil {
		return RunStatus{}, err
	}
	out := RunStatus{Run: r}
	if s.p.Frontier == nil {
		return out, nil
	}
	st, err := s.p.Frontier.Stats(ctx, id)
	if errors.Is(err, queue.ErrUnknownRun) {
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("schedule: progress of run %s: %w", id, err)
	}
	out.Progress = &st
	now := s.p.Clock.Now()
	start := st.Started
	if start.IsZero() {
		start = r.Fired
	}
	end := now
	if st.Finished && !st.FinishedAt.IsZero() {
		end = st.FinishedAt
	}
	processed := st.Done + st.Dead
	if minutes := end.Sub(start).Minutes(); minutes > 0 {
		out.Rate = float64(processed) / minutes
	}
	if remaining := st.Queued + st.Leased; r.State == StateRunning && remaining > 0 && out.Rate > 0 {
		out.EstimatedFinish = now.Add(time.Duration(float64(remaining) / out.Rate * float64(time.Minute))).Truncate(time.Second)
	}
	return out, nil
}

// Statuses returns the status of the newest runs, up to limit, newest
// first.
func (s *Scheduler) Statuses(ctx context.Context, limit int) ([]RunStatus, error) {
	runs, err := s.store.history(ctx, "", limit)
	if err != nil {
		return nil, err
	}
	var out []RunStatus
	for _, r := range runs {
		st, err := s.Status(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}
