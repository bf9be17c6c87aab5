package schedule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/queue"
	"github.com/markwatch/markwatch/schedule/calendar"
)

// Params configure a Scheduler. Redis, Sweeps and Seeder are required (a
// Scheduler used only for history, status and cancel may leave Seeder
// nil); the other fields have the defaults stated.
type Params struct {
	// Redis holds the lease, the run records and the high-water marks.
	Redis redis.UniversalClient
	// Sweeps is the loaded sweeps.yaml.
	Sweeps *File
	// Calendar is the official calendar. Default &calendar.Lunar{}.
	Calendar Calendar
	// Seeder queues a run's seed tasks.
	Seeder Seeder
	// Frontier gives run progress (queue.Frontier.Stats); without it runs
	// are never seen to finish.
	Frontier RunStatser
	// Canceller drops a cancelled run's queued tasks; optional.
	Canceller Canceller
	// Marks gives queries for sweeps with `marks:`; optional (such a sweep
	// then fails to seed with a clear error).
	Marks Marks
	// Clock tells the time. Default SystemClock.
	Clock Clock
	// Logger receives one line per event. Default: discard.
	Logger *slog.Logger
	// Metrics; nil: not counted.
	Metrics *Metrics
	// Owner names this instance in the lease and in run records (no
	// spaces). Default hostname-pid-random.
	Owner string
	// Interval is how often the background loop ticks (real time).
	// Default 5s.
	Interval time.Duration
	// LeaseTTL is how long the lease outlives its holder's last tick; a
	// standby takes over within about LeaseTTL of the leader's death.
	// Default 15s (3 ticks).
	LeaseTTL time.Duration
	// CatchUp bounds catch-up: after downtime, a missed slot older than
	// CatchUp is dropped (logged), a newer one fires once. Default 72h.
	CatchUp time.Duration
	// Grace is how late a run may fire and still count as on time
	// (trigger schedule rather than catchup). Default 1m.
	Grace time.Duration
	// MaxHistory is how many run records are kept; older finished or
	// cancelled ones are deleted. Default 10000.
	MaxHistory int
	// SeedRetry is how long a run may stay unseeded (its seeding failed,
	// or its firer died) before the leader seeds it again. Default 1m.
	SeedRetry time.Duration
}

// Scheduler fires due sweep runs. Run it on as many machines as you like:
// the instance holding the Redis lease fires, each slot at most once (the
// record is written only with the current fencing token and only past the
// sweep's high-water mark); the others stand by.
//
// Its background loop has the usual shape: New, Start(wg), Shutdown().
// Tick runs one round by hand (tests drive it on a SimClock).
type Scheduler struct {
	p     Params
	store store
	cal   Calendar
	log   *slog.Logger

	mu     sync.Mutex
	token  int64
	warned map[string]bool // estimated windows already warned about

	done    chan struct{}
	stopped chan struct{}
	once    sync.Once
	started atomic.Bool
}

// New checks params and fills defaults.
func New(p Params) (*Scheduler, error) {
	if p.Redis == nil || p.Sweeps == nil {
		return nil, errors.New("schedule: New needs Redis and Sweeps")
	}
	if p.Calendar == nil {
		p.Calendar = &calendar.Lunar{}
	}
	if p.Clock == nil {
		p.Clock = SystemClock{}
	}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.Owner == "" {
		p.Owner = defaultOwner()
	}
	p.Owner = strings.ReplaceAll(p.Owner, " ", "_")
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&p.Interval, 5*time.Second)
	def(&p.LeaseTTL, 15*time.Second)
	def(&p.CatchUp, 72*time.Hour)
	def(&p.Grace, time.Minute)
	def(&p.SeedRetry, time.Minute)
	if p.MaxHistory <= 0 {
		p.MaxHistory = 10000
	}
	return &Scheduler{
		p: p, store: store{p.Redis, p.Sweeps.Location()}, cal: p.Sweeps.Calendar(p.Calendar),
		log: p.Logger.With("component", "scheduler", "owner", p.Owner), warned: map[string]bool{},
		done: make(chan struct{}), stopped: make(chan struct{}),
	}, nil
}

func defaultOwner() string {
	host, _ := os.Hostname()
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Owner is this instance's name in the lease.
func (s *Scheduler) Owner() string { return s.p.Owner }

// Start runs the loop until Shutdown.
func (s *Scheduler) Start(wg *sync.WaitGroup) {
	s.started.Store(true)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(s.stopped)
		s.log.Info("scheduler started", "interval", s.p.Interval.String(), "lease", s.p.LeaseTTL.String(), "sweeps", len(s.p.Sweeps.Sweeps))
		t := time.NewTicker(s.p.Interval)
		defer t.Stop()
		for {
			s.tickOnce()
			select {
			case <-s.done:
				s.release()
				s.log.Info("scheduler stopped")
				return
			case <-t.C:
			}
		}
	}()
}

// Shutdown stops the loop after its current tick and gives the lease up,
// so that a standby takes over at once. It returns when the loop is done
// (at once if Start was never called).
func (s *Scheduler) Shutdown() {
	s.once.Do(func() { close(s.done) })
	if !s.started.Load() {
		s.release()
		return
	}
	<-s.stopped
}

func (s *Scheduler) tickOnce() {
	ctx, cancel := context.WithTimeout(context.Background(), max(4*s.p.Interval, 30*time.Second))
	defer cancel()
	if err := s.Tick(ctx); err != nil {
		s.log.Error("scheduler tick", "err", err)
	}
}

func (s *Scheduler) release() {
	s.mu.Lock()
	token := s.token
	s.token = 0
	s.mu.Unlock()
	s.setLeader(0)
	if token == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.store.release(ctx, s.p.Owner, token); err != nil {
		s.log.Warn("release lease", "err", err)
	}
}

// IsLeader reports whether the last tick held the lease.
func (s *Scheduler) IsLeader() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token > 0
}

func (s *Scheduler) setLeader(token int64) {
	s.mu.Lock()
	was := s.token
	s.token = token
	s.mu.Unlock()
	if (was > 0) != (token > 0) {
		if token > 0 {
			s.log.Info("scheduler lease taken", "fence", token)
		} else {
			s.log.Info("scheduler lease lost or released", "fence", was)
		}
	}
	if m := s.p.Metrics; m != nil {
		m.Leader.Set(b2f(token > 0))
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Tick runs one round: take or renew the lease; if held, fire every due
// sweep once, seed runs left unseeded, and mark finished runs; then
// refresh the metrics.
func (s *Scheduler) Tick(ctx context.Context) error {
	now := s.p.Clock.Now()
	token, err := s.store.acquire(ctx, s.p.Owner, s.p.LeaseTTL)
	if err != nil {
		s.setLeader(0)
		return err
	}
	s.setLeader(token)
	var errs []error
	if token > 0 {
		state, err := s.store.sweepState(ctx)
		if err != nil {
			return err
		}
		for _, sw := range s.p.Sweeps.Sweeps {
			if sw.Disabled {
				continue
			}
			if err := s.fireDue(ctx, token, sw, state[sw.Name], now); err != nil {
				errs = append(errs, err)
				if errors.Is(err, ErrFenced) {
					s.setLeader(0)
					return errors.Join(errs...)
				}
			}
		}
		if err := s.maintain(ctx, now); err != nil {
			errs = append(errs, err)
		}
	}
	s.refreshMetrics(ctx, now)
	return errors.Join(errs...)
}

// fireDue fires the sweep's latest due slot, once, if any slot passed
// since its high-water mark. Slots missed while no scheduler ran collapse
// into that one run (trigger catchup when it is late).
func (s *Scheduler) fireDue(ctx context.Context, token int64, sw *Sweep, state map[string]string, now time.Time) error {
	log := s.log.With("sweep", sw.Name)
	plannedMS, seen := state["planned"]
	if !seen {
		// First sight: start from now, no burst of old runs.
		if _, err := s.advanceOrFence(ctx, token, sw.Name, now); err != nil {
			return err
		}
		log.Info("sweep first seen: runs start from now")
		return nil
	}
	n, _ := strconv.ParseInt(plannedMS, 10, 64)
	from := fromMS(n).Add(time.Millisecond)
	loc := s.p.Sweeps.Location()
	if horizon := now.Add(-s.p.CatchUp); from.Before(horizon) {
		if missed, _, err := sw.Slots(s.cal, loc, from, horizon); err == nil && len(missed) > 0 {
			log.Warn("runs missed beyond the catch-up horizon are dropped", "missed", len(missed),
				"first", missed[0].Time, "last", missed[len(missed)-1].Time, "catch_up", s.p.CatchUp.String())
		}
		from = horizon
		if _, err := s.advanceOrFence(ctx, token, sw.Name, horizon); err != nil {
			return err
		}
	}
	slots, _, err := sw.Slots(s.cal, loc, from, now)
	if err != nil {
		return err
	}
	if len(slots) == 0 {
		return nil
	}
	slot := slots[len(slots)-1]
	trigger := TriggerSchedule
	if now.Sub(slot.Time) > s.p.Grace {
		trigger = TriggerCatchUp
	}
	run := Run{
		ID: ScheduledRunID(sw.Name, slot.Time, loc), Sweep: sw.Name, Trigger: trigger, Planned: slot.Time,
		Fired: now, State: StateRunning, Window: s.windowLabel(slot.Window, log), Owner: s.p.Owner, Fence: token,
	}
	switch res, err := s.store.fire(ctx, token, run); {
	case err != nil:
		return err
	case res == -1:
		return fmt.Errorf("fire %s: %w", run.ID, ErrFenced)
	case res == -2:
		return nil // another scheduler fired it first
	case res == -3:
		log.Warn("run already recorded; moving the high-water mark past it", "run", run.ID)
		_, err := s.advanceOrFence(ctx, token, sw.Name, slot.Time)
		return err
	}
	if m := s.p.Metrics; m != nil {
		m.Runs.WithLabelValues(sw.Name, trigger).Inc()
	}
	log.Info("sweep run fired", "run", run.ID, "trigger", trigger, "planned", slot.Time, "window", run.Window, "skipped_slots", len(slots)-1)
	if _, err := s.seed(ctx, run); err != nil {
		return err
	}
	return nil
}

func (s *Scheduler) advanceOrFence(ctx context.Context, token int64, sweep string, t time.Time) (int64, error) {
	n, err := s.store.advance(ctx, token, s.p.Owner, sweep, t)
	if err == nil && n == -1 {
		err = fmt.Errorf("advance %s: %w", sweep, ErrFenced)
	}
	return n, err
}

func (s *Scheduler) windowLabel(w *Window, log *slog.Logger) string {
	if w == nil {
		return ""
	}
	label := w.Holiday
	if label == "" {
		label = "range"
	}
	if w.Year != 0 {
		label += "/" + strconv.Itoa(w.Year)
	}
	if w.Estimated {
		label += " (estimated)"
		s.mu.Lock()
		first := !s.warned[label]
		s.warned[label] = true
		s.mu.Unlock()
		if first {
			log.Warn("window dates estimated: no official holiday arrangement for the year", "holiday", w.Holiday, "year", w.Year)
		}
	}
	return label
}

// ScheduledRunID is the id of a scheduled run: the sweep and its slot in
// local time, so that one slot can only ever be one run.
func ScheduledRunID(sweep string, slot time.Time, loc *time.Location) string {
	return sweep + "-" + slot.In(loc).Format("20060102T1504")
}

// seed queues the run's seed tasks and marks it seeded. A failure is
// recorded on the run and retried by the leader after SeedRetry.
func (s *Scheduler) seed(ctx context.Context, run Run) (int, error) {
	log := s.log.With("sweep", run.Sweep, "run", run.ID)
	sw := s.p.Sweeps.Sweep(run.Sweep)
	var n int
	var err error
	switch {
	case sw == nil:
		err = fmt.Errorf("%w %q (removed from sweeps.yaml?)", ErrUnknownSweep, run.Sweep)
	case s.p.Seeder == nil:
		err = errors.New("no seeder wired")
	default:
		var tasks []markwatch.Task
		tasks, err = sw.SeedTasks(run.ID, s.p.Marks)
		if err == nil {
			n, err = s.p.Seeder.Seed(ctx, tasks)
		}
	}
	if err != nil {
		err = fmt.Errorf("seed run %s: %w", run.ID, err)
		log.Error("seeding failed; retried later", "err", err)
		if _, _, err2 := s.store.transition(ctx, run.ID, StateRunning, StateRunning, "error", err.Error()); err2 != nil {
			log.Error("record seeding error", "err", err2)
		}
		return 0, err
	}
	ok, state, err := s.store.transition(ctx, run.ID, StateRunning, StateRunning, "seeded", "1", "error", "")
	if err != nil {
		return n, err
	}
	if err := s.p.Redis.HIncrBy(ctx, runKey(run.ID), "tasks", int64(n)).Err(); err != nil {
		return n, fmt.Errorf("schedule: run %s: count tasks: %w", run.ID, err)
	}
	log.Info("sweep run seeded", "tasks", n)
	if !ok && state == StateCancelled {
		// Cancelled while seeding: drop what was just queued.
		s.dropQueued(ctx, run.ID)
	}
	return n, nil
}

// maintain seeds runs left unseeded and marks finished runs.
func (s *Scheduler) maintain(ctx context.Context, now time.Time) error {
	ids, err := s.store.active(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range ids {
		r, err := s.store.get(ctx, id)
		if errors.Is(err, ErrUnknownRun) {
			s.p.Redis.SRem(ctx, activeKey, id)
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if r.State != StateRunning {
			continue
		}
		if !r.Seeded {
			if now.Sub(r.Fired) >= s.p.SeedRetry {
				if _, err := s.seed(ctx, r); err != nil {
					errs = append(errs, err)
				}
			}
			continue
		}
		if s.p.Frontier == nil {
			continue
		}
		st, err := s.p.Frontier.Stats(ctx, id)
		switch {
		case errors.Is(err, queue.ErrUnknownRun):
			// Nothing was queued (no queries), or the frontier's accounting
			// of the run expired: nothing is left to wait for.
			if r.Tasks > 0 {
				s.log.Warn("the frontier has no accounting for this run (expired?); marking it finished", "sweep", r.Sweep, "run", id)
			}
			st = queue.RunStats{Run: id, Finished: true, Dead: -1}
		case err != nil:
			errs = append(errs, fmt.Errorf("schedule: stats of run %s: %w", id, err))
			continue
		}
		if !st.Finished {
			continue
		}
		finished := st.FinishedAt
		if finished.IsZero() {
			finished = now
		}
		ok, _, err := s.store.transition(ctx, id, StateRunning, StateFinished, "finished_at", ms(finished), "dead", max(st.Dead, 0))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			s.log.Info("sweep run finished", "sweep", r.Sweep, "run", id, "done", st.Done, "dead", st.Dead, "listings", st.Listings, "suspects", st.Suspects)
			if st.Dead == 0 {
				s.p.Redis.HSet(ctx, sweepsKey, sweepField(r.Sweep, "ok"), ms(finished))
			}
		}
	}
	if err := s.store.trim(ctx, s.p.MaxHistory); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (s *Scheduler) dropQueued(ctx context.Context, id string) int {
	if s.p.Canceller == nil {
		s.log.Warn("run cancelled but no canceller wired: its queued tasks stay queued", "run", id)
		return -1
	}
	n, err := s.p.Canceller.CancelRun(ctx, id)
	if err != nil {
		s.log.Error("drop queued tasks of cancelled run", "run", id, "err", err)
		return -1
	}
	s.log.Info("queued tasks of cancelled run dropped", "run", id, "dropped", n)
	return n
}

func (s *Scheduler) refreshMetrics(ctx context.Context, now time.Time) {
	m := s.p.Metrics
	if m == nil {
		return
	}
	state, err := s.store.sweepState(ctx)
	if err != nil {
		s.log.Warn("refresh metrics", "err", err)
		return
	}
	loc := s.p.Sweeps.Location()
	for _, sw := range s.p.Sweeps.Sweeps {
		st := state[sw.Name]
		num := func(k string) float64 { v, _ := strconv.ParseFloat(st[k], 64); return v }
		for _, k := range []string{StateRunning, StateFinished, StateCancelled} {
			m.RunsByState.WithLabelValues(sw.Name, k).Set(num(k))
		}
		if v := num("fired"); v > 0 {
			m.LastFired.WithLabelValues(sw.Name).Set(v / 1000)
		}
		if v := num("ok"); v > 0 {
			m.LastSuccess.WithLabelValues(sw.Name).Set(v / 1000)
		}
		open := 0.0
		if ws, err := sw.Windows(s.cal, loc, now, now); err == nil && len(ws) > 0 && ws[0].Contains(now) {
			open = 1
		}
		m.WindowOpen.WithLabelValues(sw.Name).Set(open)
		if newest := st["newest"]; newest != "" && s.p.Frontier != nil {
			if rs, err := s.p.Frontier.Stats(ctx, newest); err == nil {
				m.Progress.WithLabelValues(sw.Name).Set(progressRatio(rs))
			}
		}
	}
}

func progressRatio(st queue.RunStats) float64 {
	total := st.Done + st.Queued + st.Leased
	if total == 0 {
		return 1
	}
	return float64(st.Done) / float64(total)
}
