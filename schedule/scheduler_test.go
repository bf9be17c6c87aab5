package schedule

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/internal/testredis"
	"github.com/markwatch/markwatch/queue"
	"github.com/markwatch/markwatch/schedule/calendar"
)

// giftsYAML: a window around National Day 2026 (days off 10-01 – 10-07),
// opened a day early: [09-30 00:00, 10-08 00:00) Shanghai, a run every 12h:
// 16 runs, 2 sites × 2 queries = 4 seed tasks each.
const giftsYAML = `
sweeps:
  - name: gifts
    sites: [mart, gbkmart]
    queries: [阳澄湖大闸蟹, 月饼]
    window: {around: national_day, before: 1d}
    every: 12h
    outside: never
    priority: 5
    max_pages: 3
`

func searchURL(site, query string, page int) (string, error) {
	return fmt.Sprintf("http://%s.test/search?q=%s&page=%d", site, url.QueryEscape(query), page), nil
}

// countingSeeder counts Seed calls per run on top of a real seeder.
type countingSeeder struct {
	Seeder
	mu    sync.Mutex
	calls map[string]int
	fail  int // fail this many calls first
}

func (c *countingSeeder) Seed(ctx context.Context, tasks []markwatch.Task) (int, error) {
	c.mu.Lock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	if len(tasks) > 0 {
		c.calls[tasks[0].Run]++
	}
	fail := c.fail > 0
	if fail {
		c.fail--
	}
	c.mu.Unlock()
	if fail {
		return 0, errors.New("frontier unavailable")
	}
	return c.Seeder.Seed(ctx, tasks)
}

type harness struct {
	t        *testing.T
	rdb      redis.UniversalClient
	clock    *SimClock
	file     *File
	frontier *queue.Redis
	seeder   *countingSeeder
}

func newHarness(t *testing.T, yaml string, start string) *harness {
	t.Helper()
	f, err := Parse("sweeps.yaml", []byte(yaml), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv := testredis.Start(t)
	rdb := srv.Client()
	at, err := time.ParseInLocation("2006-01-02T15:04", start, f.Location())
	if err != nil {
		t.Fatal(err)
	}
	clock := NewSimClock(at)
	fr := queue.NewRedis(rdb, queue.Options{Now: clock.Now})
	t.Cleanup(func() { fr.Close() })
	return &harness{t: t, rdb: rdb, clock: clock, file: f, frontier: fr,
		seeder: &countingSeeder{Seeder: FrontierSeeder{Frontier: fr, SearchURL: searchURL}}}
}

func (h *harness) scheduler(owner string, reg prometheus.Registerer, tweak ...func(*Params)) *Scheduler {
	h.t.Helper()
	p := Params{
		Redis: h.rdb, Sweeps: h.file, Seeder: h.seeder, Frontier: h.frontier, Clock: h.clock,
		Owner: owner, Metrics: NewMetrics(reg), Interval: 10 * time.Millisecond,
	}
	for _, f := range tweak {
		f(&p)
	}
	s, err := New(p)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

func (h *harness) at(s string) time.Time {
	h.t.Helper()
	v, err := time.ParseInLocation("2006-01-02T15:04", s, h.file.Location())
	if err != nil {
		h.t.Fatal(err)
	}
	return v
}

// planned returns the plan's run times of the first sweep in [from, to].
func (h *harness) planned(from, to time.Time) []time.Time {
	h.t.Helper()
	p, err := h.file.Plan(&calendar.Lunar{}, from, to)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []time.Time
	for _, w := range p.Sweeps[0].Windows {
		out = append(out, w.Runs...)
	}
	return append(out, p.Sweeps[0].OutsideRuns...)
}

func (h *harness) history(s *Scheduler) []Run {
	h.t.Helper()
	runs, err := s.History(context.Background(), "", 1000)
	if err != nil {
		h.t.Fatal(err)
	}
	slices.Reverse(runs) // oldest first
	return runs
}

func tick(t *testing.T, ss ...*Scheduler) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(ss))
	for i, s := range ss {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = s.Tick(context.Background()) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// A window's runs fire at the plan's times, on time, each seeded once with
// its site × query search tasks.
func TestWindowRunsFireOnTime(t *testing.T) {
	h := newHarness(t, giftsYAML, "2026-09-29T00:00")
	s := h.scheduler("a", prometheus.NewRegistry())
	ctx := context.Background()
	tick(t, s) // first sight
	start := h.clock.Now()
	fired := 0
	for h.clock.Now().Before(h.at("2026-10-09T00:00")) {
		now := h.clock.Advance(time.Hour)
		tick(t, s)
		runs := h.history(s)
		switch {
		case len(runs) == fired:
		case len(runs) == fired+1:
			r := runs[fired]
			if r.Planned.After(now) || now.Sub(r.Planned) >= time.Hour || !r.Fired.Equal(now) {
				t.Fatalf("run %s planned %s fired %s: not at its time", r.ID, r.Planned, r.Fired)
			}
			fired++
		default:
			t.Fatalf("%d runs appeared in one tick at %s", len(runs)-fired, now)
		}
	}
	want := h.planned(start, h.clock.Now())
	runs := h.history(s)
	if len(runs) != 16 || len(want) != 16 {
		t.Fatalf("%d runs fired, plan has %d; want 16", len(runs), len(want))
	}
	for i, r := range runs {
		if !r.Planned.Equal(want[i]) || r.Trigger != TriggerSchedule || r.Window != "national_day/2026" || !r.Seeded || r.Tasks != 4 {
			t.Fatalf("run %d = %+v; want planned %s, trigger schedule, window national_day/2026, 4 tasks seeded", i, r, want[i])
		}
		st, err := h.frontier.Stats(ctx, r.ID)
		if err != nil || st.Queued != 4 {
			t.Fatalf("frontier stats of %s: %+v, %v; want 4 queued", r.ID, st, err)
		}
		if h.seeder.calls[r.ID] != 1 {
			t.Fatalf("run %s seeded %d times", r.ID, h.seeder.calls[r.ID])
		}
	}
	if first := runs[0]; first.ID != "gifts-20260930T0000" || first.Planned.Format(time.RFC3339) != "2026-09-30T00:00:00+08:00" {
		t.Fatalf("first run %s planned %s", first.ID, first.Planned.Format(time.RFC3339))
	}
}

// Two schedulers on one Redis, ticking at the same moments: each run fires
// once, and only one of them is ever the leader. Halfway the leader shuts
// down; the other takes over without a gap or a repeat.
func TestTwoSchedulersFireEachRunOnce(t *testing.T) {
	h := newHarness(t, giftsYAML, "2026-09-29T00:00")
	regA, regB := prometheus.NewRegistry(), prometheus.NewRegistry()
	a, b := h.scheduler("a", regA), h.scheduler("b", regB)
	metricsA, metricsB := a.p.Metrics, b.p.Metrics
	tick(t, a, b)
	start := h.clock.Now()
	stopped := false
	for h.clock.Now().Before(h.at("2026-10-09T00:00")) {
		now := h.clock.Advance(time.Hour)
		if !stopped && !now.Before(h.at("2026-10-04T00:00")) {
			leader := a
			if b.IsLeader() {
				leader = b
			}
			leader.Shutdown() // releases the lease
			stopped = true
			if leader == a {
				a = b
			}
			tick(t, a)
			continue
		}
		if stopped {
			tick(t, a)
		} else {
			tick(t, a, b)
			if a.IsLeader() == b.IsLeader() {
				t.Fatalf("at %s leader a=%v b=%v: want exactly one", now, a.IsLeader(), b.IsLeader())
			}
		}
	}
	runs := h.history(a)
	want := h.planned(start, h.clock.Now())
	if len(runs) != len(want) {
		t.Fatalf("%d runs, want %d", len(runs), len(want))
	}
	owners := map[string]int{}
	for i, r := range runs {
		if !r.Planned.Equal(want[i]) {
			t.Fatalf("run %d planned %s, want %s", i, r.Planned, want[i])
		}
		if n := h.seeder.calls[r.ID]; n != 1 {
			t.Fatalf("run %s seeded %d times", r.ID, n)
		}
		owners[r.Owner]++
	}
	if len(owners) != 2 {
		t.Fatalf("runs by owner %v: want both schedulers to have fired (before and after the hand-over)", owners)
	}
	total := testutil.ToFloat64(metricsA.Runs.WithLabelValues("gifts", TriggerSchedule)) +
		testutil.ToFloat64(metricsB.Runs.WithLabelValues("gifts", TriggerSchedule))
	if int(total) != len(want) {
		t.Fatalf("runs_total summed over both schedulers = %v, want %d", total, len(want))
	}
}

// A scheduler whose lease expired cannot write: the fencing token it holds
// is stale, so its run record is refused even though it still believes it
// leads.
func TestFencingTokenGuardsRunRecord(t *testing.T) {
	h := newHarness(t, giftsYAML, "2026-09-29T00:00")
	ctx := context.Background()
	a, b := h.scheduler("a", nil), h.scheduler("b", nil)
	tick(t, a)
	tokenA := a.token
	if tokenA == 0 {
		t.Fatal("a did not take the lease")
	}
	h.rdb.Del(ctx, leaderKey) // a's lease expires (a paused, say)
	tick(t, b)
	if !b.IsLeader() || b.token <= tokenA {
		t.Fatalf("b leader=%v token %d; want a newer token than %d", b.IsLeader(), b.token, tokenA)
	}
	run := Run{ID: "gifts-x", Sweep: "gifts", Trigger: TriggerSchedule, Planned: h.at("2026-09-30T00:00"),
		Fired: h.clock.Now(), State: StateRunning, Owner: "a", Fence: tokenA}
	if res, err := a.store.fire(ctx, tokenA, run); err != nil || res != -1 {
		t.Fatalf("fire with stale token: %d, %v; want -1 (fenced)", res, err)
	}
	if _, err := a.store.get(ctx, "gifts-x"); !errors.Is(err, ErrUnknownRun) {
		t.Fatalf("stale write landed: %v", err)
	}
	// a's next tick finds the lease taken and stands by.
	tick(t, a)
	if a.IsLeader() {
		t.Fatal("a still leader")
	}
	// Even the leader cannot record one slot twice.
	run.Owner, run.Fence, run.ID = "b", b.token, "gifts-y"
	if res, _ := b.store.fire(ctx, b.token, run); res != 1 {
		t.Fatalf("first fire: %d", res)
	}
	run.ID = "gifts-z"
	if res, _ := b.store.fire(ctx, b.token, run); res != -2 {
		t.Fatalf("second fire of the same slot: %d, want -2", res)
	}
}

// Down for a day inside the window: on return the missed slots fire once,
// as one catch-up run, then the schedule carries on.
func TestCatchUpAfterDowntimeFiresOnce(t *testing.T) {
	h := newHarness(t, strings.Replace(giftsYAML, "every: 12h", "every: 4h", 1), "2026-09-29T00:00")
	s := h.scheduler("a", prometheus.NewRegistry())
	tick(t, s)
	h.clock.Set(h.at("2026-10-02T09:00"))
	tick(t, s) // on time run for 08:00
	if runs := h.history(s); len(runs) != 1 {
		t.Fatalf("%d runs, want 1", len(runs))
	}
	h.clock.Set(h.at("2026-10-03T10:30")) // down from 10-02 09:00: 6 slots missed (12:00 … 08:00)
	tick(t, s)
	tick(t, s)
	runs := h.history(s)
	if len(runs) != 2 {
		t.Fatalf("%d runs after downtime, want 2 (one catch-up)", len(runs))
	}
	if r := runs[1]; r.Trigger != TriggerCatchUp || !r.Planned.Equal(h.at("2026-10-03T08:00")) || r.Tasks != 4 {
		t.Fatalf("catch-up run %+v; want trigger catchup for the 08:00 slot, seeded", r)
	}
	h.clock.Set(h.at("2026-10-03T12:00"))
	tick(t, s)
	if runs := h.history(s); len(runs) != 3 || runs[2].Trigger != TriggerSchedule {
		t.Fatalf("after catch-up the schedule must carry on: %+v", runs)
	}
}

// A whole window missed (a scheduler down for the day of a one-day
// window): on return the window is run once; a window older than the
// catch-up horizon is dropped.
func TestMissedWindowRunsOnce(t *testing.T) {
	const yaml = `
sweeps:
  - name: campaign
    sites: [mart]
    queries: [杭州亚运会]
    window: {from: 2026-03-10, to: 2026-03-10}
    every: 4h
`
	h := newHarness(t, yaml, "2026-03-09T12:00")
	s := h.scheduler("a", prometheus.NewRegistry(), func(p *Params) { p.CatchUp = 72 * time.Hour })
	tick(t, s)
	h.clock.Set(h.at("2026-03-11T08:00"))
	tick(t, s)
	tick(t, s)
	runs := h.history(s)
	if len(runs) != 1 || runs[0].Trigger != TriggerCatchUp || !runs[0].Planned.Equal(h.at("2026-03-10T20:00")) {
		t.Fatalf("runs %+v; want one catch-up run for the window's last slot", runs)
	}
	// Next year's window, missed by more than the horizon: dropped.
	h.clock.Set(h.at("2027-03-20T00:00"))
	tick(t, s)
	if runs := h.history(s); len(runs) != 1 {
		t.Fatalf("%d runs; a window older than the catch-up horizon must not fire", len(runs))
	}
}

// A run whose seeding failed (or whose firer died before seeding) is seeded
// by the leader after SeedRetry, once.
func TestUnseededRunIsSeededLater(t *testing.T) {
	h := newHarness(t, giftsYAML, "2026-09-29T23:00")
	h.seeder.fail = 1
	s := h.scheduler("a", nil)
	tick(t, s)
	h.clock.Set(h.at("2026-09-30T00:00"))
	if err := s.Tick(context.Background()); err == nil || !strings.Contains(err.Error(), "frontier unavailable") {
		t.Fatalf("tick error %v, want the seeding failure", err)
	}
	r := h.history(s)[0]
	if r.Seeded || !strings.Contains(r.Error, "frontier unavailable") {
		t.Fatalf("run %+v; want unseeded with the error recorded", r)
	}
	h.clock.Set(h.at("2026-09-30T00:00").Add(30 * time.Second))
	tick(t, s)
	if r := h.history(s)[0]; r.Seeded {
		t.Fatal("re-seeded before SeedRetry")
	}
	h.clock.Set(h.at("2026-09-30T00:02"))
	tick(t, s)
	if r := h.history(s)[0]; !r.Seeded || r.Tasks != 4 || r.Error != "" {
		t.Fatalf("run %+v; want seeded with 4 tasks", r)
	}
}

// The run is finished when the frontier has nothing queued or leased;
// status shows progress, rate and the estimated finish on the way.
func TestRunFinishesAndStatus(t *testing.T) {
	h := newHarness(t, giftsYAML, "2026-09-29T00:00")
	reg := prometheus.NewRegistry()
	s := h.scheduler("a", reg)
	ctx := context.Background()
	run, err := s.RunNow(ctx, "gifts")
	if err != nil || run.Tasks != 4 || run.Trigger != TriggerManual {
		t.Fatalf("RunNow = %+v, %v", run, err)
	}
	h.clock.Advance(10 * time.Minute)
	tasks, err := h.frontier.Lease(ctx, 2)
	if err != nil || len(tasks) == 0 {
		t.Fatalf("lease: %v %v", tasks, err)
	}
	if err := h.frontier.Ack(ctx, tasks...); err != nil {
		t.Fatal(err)
	}
	st, err := s.Status(ctx, run.ID)
	if err != nil || st.Progress == nil {
		t.Fatalf("status %+v %v", st, err)
	}
	if st.Progress.Done != int64(len(tasks)) || st.Rate <= 0 || st.EstimatedFinish.IsZero() {
		t.Fatalf("status %+v; want done %d, a rate and an estimated finish", st, len(tasks))
	}
	tick(t, s)
	if r, _ := s.Run(ctx, run.ID); r.State != StateRunning {
		t.Fatalf("state %s with tasks left", r.State)
	}
	for {
		more, _ := h.frontier.Lease(ctx, 10)
		if len(more) == 0 {
			break
		}
		h.frontier.Ack(ctx, more...)
	}
	tick(t, s)
	if r, _ := s.Run(ctx, run.ID); r.State != StateFinished || r.FinishedAt.IsZero() {
		t.Fatalf("run %+v; want finished", r)
	}
	m := s.p.Metrics
	if v := testutil.ToFloat64(m.RunsByState.WithLabelValues("gifts", StateFinished)); v != 1 {
		t.Fatalf("runs{state=finished} = %v", v)
	}
	if v := testutil.ToFloat64(m.LastSuccess.WithLabelValues("gifts")); v <= 0 {
		t.Fatalf("last success = %v", v)
	}
	if v := testutil.ToFloat64(m.Progress.WithLabelValues("gifts")); v != 1 {
		t.Fatalf("progress = %v", v)
	}
	if v := testutil.ToFloat64(m.Runs.WithLabelValues("gifts", TriggerManual)); v != 1 {
		t.Fatalf("runs_total{manual} = %v", v)
	}
	if _, err := s.Cancel(ctx, run.ID); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("cancel of a finished run: %v", err)
	}
}
