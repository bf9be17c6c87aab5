package schedule

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/internal/testredis"
	"github.com/markwatch/markwatch/queue"
)

// work is a worker: it leases and acks everything ready, returning the
// tasks it crawled.
func work(ctx context.Context, f *queue.Redis) []markwatch.Task {
	var crawled []markwatch.Task
	for {
		tasks, _ := f.Lease(ctx, 10)
		if len(tasks) == 0 {
			return crawled
		}
		crawled = append(crawled, tasks...)
		f.Ack(ctx, tasks...)
	}
}

// A cancelled run stops: it is recorded cancelled, its queued tasks are
// dropped (never crawled), it is not re-seeded or marked finished, and the
// sweep's next run fires as usual.
func TestCancelledRunStops(t *testing.T) {
	h := newHarness(t, giftsYAML, "2026-09-29T23:00")
	reg := prometheus.NewRegistry()
	s := h.scheduler("a", reg, func(p *Params) { p.Canceller = h.frontier })
	ctx := context.Background()
	tick(t, s)
	h.clock.Set(h.at("2026-09-30T00:00"))
	tick(t, s)
	runs := h.history(s)
	if len(runs) != 1 || runs[0].Tasks != 4 {
		t.Fatalf("runs %+v", runs)
	}
	id := runs[0].ID
	dropped, err := s.Cancel(ctx, id)
	if err != nil || dropped != 4 {
		t.Fatalf("Cancel = %d, %v; want 4 queued tasks dropped", dropped, err)
	}
	if crawled := work(ctx, h.frontier); len(crawled) != 0 {
		t.Fatalf("worker crawled %d tasks of the cancelled run", len(crawled))
	}
	if st, err := h.frontier.Stats(ctx, id); err != nil || st.Cancelled != 4 || !st.Finished {
		t.Fatalf("frontier accounting of the cancelled run: %+v, %v; want 4 cancelled, finished", st, err)
	}
	h.clock.Advance(5 * time.Minute)
	tick(t, s)
	r, err := s.Run(ctx, id)
	if err != nil || r.State != StateCancelled || r.CancelledAt.IsZero() {
		t.Fatalf("run %+v, %v; want cancelled", r, err)
	}
	if h.seeder.calls[id] != 1 {
		t.Fatalf("cancelled run seeded %d times", h.seeder.calls[id])
	}
	if _, err := s.Cancel(ctx, id); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("second cancel: %v, want ErrNotRunning", err)
	}
	if _, err := s.Cancel(ctx, "gifts-nosuchrun"); !errors.Is(err, ErrUnknownRun) {
		t.Fatalf("cancel of unknown run: %v", err)
	}
	m := s.p.Metrics
	if v := testutil.ToFloat64(m.RunsByState.WithLabelValues("gifts", StateCancelled)); v != 1 {
		t.Fatalf("runs{state=cancelled} = %v", v)
	}
	if v := testutil.ToFloat64(m.RunsByState.WithLabelValues("gifts", StateRunning)); v != 0 {
		t.Fatalf("runs{state=running} = %v", v)
	}
	// The next slot fires and is crawled normally.
	h.clock.Set(h.at("2026-09-30T12:00"))
	tick(t, s)
	if crawled := work(ctx, h.frontier); len(crawled) != 4 {
		t.Fatalf("next run: %d tasks crawled, want 4", len(crawled))
	}
}

// The background loop: two instances, one leads; when it shuts down, the
// other takes over at once (the lease is released, not left to expire).
func TestLoopHandOver(t *testing.T) {
	h := newHarness(t, giftsYAML, "2026-09-29T23:00")
	var wg sync.WaitGroup
	a, b := h.scheduler("a", nil), h.scheduler("b", nil)
	a.Start(&wg)
	waitFor(t, "a to lead", a.IsLeader)
	b.Start(&wg)
	time.Sleep(50 * time.Millisecond)
	if b.IsLeader() {
		t.Fatal("b leads while a holds the lease")
	}
	a.Shutdown()
	waitFor(t, "b to take over", b.IsLeader)
	b.Shutdown()
	wg.Wait()
	if n, _ := h.rdb.Exists(context.Background(), leaderKey).Result(); n != 0 {
		t.Fatal("lease left behind after both shut down")
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second) // generous: a loaded machine must not fail it
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestMetricsLint(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	m.Runs.WithLabelValues("x", TriggerSchedule).Inc()
	m.RunsByState.WithLabelValues("x", StateRunning).Set(1)
	m.WindowOpen.WithLabelValues("x").Set(1)
	m.LastFired.WithLabelValues("x").Set(1)
	m.LastSuccess.WithLabelValues("x").Set(1)
	m.Progress.WithLabelValues("x").Set(1)
	m.Leader.Set(1)
	problems, err := testutil.GatherAndLint(reg)
	if err != nil || len(problems) != 0 {
		t.Fatalf("lint: %v %v", problems, err)
	}
	names := map[string]bool{}
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	for _, want := range []string{"markwatch_sweep_runs_total", "markwatch_sweep_runs", "markwatch_sweep_window_open",
		"markwatch_sweep_last_fired_timestamp_seconds", "markwatch_sweep_last_success_timestamp_seconds",
		"markwatch_sweep_run_progress_ratio", "markwatch_scheduler_leader"} {
		if !names[want] {
			t.Errorf("metric %s missing", want)
		}
	}
}

// The scheduler's keys share one hash tag: on a 3-master Cluster every
// script and command works (no CROSSSLOT), lease and fencing included.
func TestOnRedisCluster(t *testing.T) {
	f, err := Parse("sweeps.yaml", []byte(giftsYAML), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rdb := testredis.StartCluster(t, 3).Client()
	clock := NewSimClock(time.Date(2026, 9, 29, 23, 0, 0, 0, f.Location()))
	fr := queue.NewRedis(rdb, queue.Options{Now: clock.Now})
	t.Cleanup(func() { fr.Close() })
	seeder := FrontierSeeder{Frontier: fr, SearchURL: searchURL}
	mk := func(owner string) *Scheduler {
		s, err := New(Params{Redis: rdb, Sweeps: f, Seeder: seeder, Frontier: fr, Clock: clock, Owner: owner, Metrics: NewMetrics(nil)})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := mk("a"), mk("b")
	ctx := context.Background()
	tick(t, a, b)
	for _, at := range []string{"2026-09-30T00:00", "2026-09-30T12:00"} {
		v, _ := time.ParseInLocation("2006-01-02T15:04", at, f.Location())
		clock.Set(v)
		tick(t, a, b)
	}
	manual, err := a.RunNow(ctx, "gifts")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Cancel(ctx, manual.ID); err != nil {
		t.Fatal(err)
	}
	runs, err := a.History(ctx, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 3 || runs[0].State != StateCancelled || runs[1].Tasks != 4 || runs[2].Tasks != 4 {
		t.Fatalf("runs on the cluster: %+v", runs)
	}
	st, err := a.Status(ctx, runs[1].ID)
	if err != nil || st.Progress == nil || st.Progress.Queued != 4 {
		t.Fatalf("status %+v %v", st, err)
	}
	a.Shutdown()
	b.Shutdown()
}

// History is bounded: beyond MaxHistory the oldest ended runs are deleted,
// running ones kept.
func TestHistoryTrimmed(t *testing.T) {
	h := newHarness(t, giftsYAML, "2026-01-05T10:00")
	s := h.scheduler("a", nil, func(p *Params) { p.MaxHistory = 3 })
	ctx := context.Background()
	var ids []string
	for i := 0; i < 5; i++ {
		r, err := s.RunNow(ctx, "gifts")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
		h.clock.Advance(time.Minute)
	}
	for _, id := range ids[1:] {
		if _, err := s.Cancel(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	tick(t, s)
	runs, _ := s.History(ctx, "", 100)
	var got []string
	for _, r := range runs {
		got = append(got, r.ID)
	}
	// ids[0] is still running: kept although oldest; ids[1] trimmed.
	if len(got) != 4 || got[3] != ids[0] || slices.Contains(got, ids[1]) {
		t.Fatalf("history %v; want the 3 newest plus the running oldest", got)
	}
}

// A leader that dies without releasing (no Shutdown) is replaced once its
// lease expires; the newcomer's token is newer, and the dead leader, were
// it to wake up, cannot take the lease back while the newcomer renews it.
func TestLeaseExpiryHandsOver(t *testing.T) {
	h := newHarness(t, giftsYAML, "2026-09-29T23:00")
	// A lease far longer than the test, so nothing expires by accident;
	// Redis then expires it on cue.
	ttl := func(p *Params) { p.LeaseTTL = time.Minute }
	a, b := h.scheduler("a", nil, ttl), h.scheduler("b", nil, ttl)
	tick(t, a)
	tick(t, b)
	if !a.IsLeader() || b.IsLeader() {
		t.Fatalf("leaders a=%v b=%v", a.IsLeader(), b.IsLeader())
	}
	first := a.token
	// a is "dead": no tick, no release; its lease runs out.
	ctx := context.Background()
	if err := h.rdb.PExpire(ctx, leaderKey, time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a's lease to expire", func() bool { return h.rdb.Exists(ctx, leaderKey).Val() == 0 })
	tick(t, b)
	if !b.IsLeader() || b.token <= first {
		t.Fatalf("b leader=%v token %d (a had %d)", b.IsLeader(), b.token, first)
	}
	tick(t, a)
	if a.IsLeader() {
		t.Fatal("a took the lease back from a live leader")
	}
	h.clock.Set(h.at("2026-09-30T00:00"))
	tick(t, b)
	if runs := h.history(b); len(runs) != 1 || runs[0].Owner != "b" {
		t.Fatalf("runs %+v; want one run fired by b", runs)
	}
}
