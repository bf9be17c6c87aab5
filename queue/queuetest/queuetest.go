// Package queuetest is the behaviour suite every queue.Frontier must pass.
// The in-process and the Redis frontier (single server and Cluster) run the
// same cases, so "passes the suite" means "keeps the frontier's promises":
// at-least-once delivery with leases, dedup per run on canonical URLs,
// priorities, not-before, retries and dead letters, release, per-site
// token buckets, run accounting, and run cancellation.
//
// Not-before times, nack delays and token buckets run on a manual clock
// (Options.Now) that a case moves when it needs time to pass, so no outcome
// depends on how fast the machine is. Lease expiry runs on the real clock
// with short leases, since Redis measures lease age on its own clock, which
// a test cannot move: those cases measure from before the lease and wait on
// conditions with generous deadlines. Each case takes a few seconds at most.
package queuetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/queue"
)

// Factory returns a fresh, empty frontier built with opts. It must also
// implement queue.Inspector and Canceller.
type Factory func(t *testing.T, opts queue.Options) queue.Frontier

// Canceller is the run cancellation every frontier offers (`markwatch
// sweep cancel` type-asserts it).
type Canceller interface {
	CancelRun(ctx context.Context, run string) (dropped int, err error)
}

// Lease is the lease length the suite uses.
const Lease = 600 * time.Millisecond

// Run runs every case as a subtest.
func Run(t *testing.T, newFrontier Factory) {
	cases := []struct {
		name string
		fn   func(*testing.T, Factory)
	}{
		{"AddLeaseAck", testAddLeaseAck},
		{"Dedup", testDedup},
		{"Priorities", testPriorities},
		{"NotBefore", testNotBefore},
		{"LeaseExpiry", testLeaseExpiry},
		{"Extend", testExtend},
		{"RetriesAndDeadLetters", testRetries},
		{"NackDelay", testNackDelay},
		{"Release", testRelease},
		{"RateLimit", testRateLimit},
		{"Record", testRecord},
		{"Concurrent", testConcurrent},
		{"CancelRun", testCancelRun},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, newFrontier) })
	}
}

func opts() queue.Options {
	return queue.Options{Lease: Lease, Retries: 3}
}

// clock is a manual clock for Options.Now, starting at the real time (so
// that Redis stream ids and the clock's times stay comparable).
type clock struct {
	mu sync.Mutex
	at time.Time
}

func newClock() *clock { return &clock{at: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = c.at.Add(d)
}

// patience is how long a case waits for something that should happen soon
// (a recovered lease, a task come due) before it fails: generous, so that
// a loaded machine only makes the suite slower.
const patience = 30 * time.Second

func task(run, site, url string, prio int) markwatch.Task {
	return markwatch.Task{Run: run, Site: site, Kind: markwatch.KindItem, URL: url, Priority: prio}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func mustAdd(t *testing.T, f queue.Frontier, want int, tasks ...markwatch.Task) {
	t.Helper()
	n, err := f.Add(ctx(t), tasks...)
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	if n != want {
		t.Fatalf("Add queued %d tasks, want %d", n, want)
	}
}

func lease(t *testing.T, f queue.Frontier, max int) []markwatch.Task {
	t.Helper()
	got, err := f.Lease(ctx(t), max)
	if err != nil {
		t.Fatalf("Lease(%d): %v", max, err)
	}
	if len(got) > max {
		t.Fatalf("Lease(%d) returned %d tasks", max, len(got))
	}
	return got
}

// leaseWithin polls until at least one task is leased or d passes.
func leaseWithin(t *testing.T, f queue.Frontier, max int, d time.Duration) []markwatch.Task {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		if got := lease(t, f, max); len(got) > 0 || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func stats(t *testing.T, f queue.Frontier, run string) queue.RunStats {
	t.Helper()
	st, err := f.Stats(ctx(t), run)
	if err != nil {
		t.Fatalf("Stats(%s): %v", run, err)
	}
	return st
}

type counts struct{ queued, leased, done, failed, dead int64 }

func wantCounts(t *testing.T, f queue.Frontier, run string, want counts) queue.RunStats {
	t.Helper()
	st := stats(t, f, run)
	got := counts{st.Queued, st.Leased, st.Done, st.Failed, st.Dead}
	if got != want {
		t.Fatalf("run %s counts {queued leased done failed dead} = %v, want %v", run, got, want)
	}
	return st
}

func urls(tasks []markwatch.Task) []string {
	out := make([]string, len(tasks))
	for i, t := range tasks {
		out[i] = t.URL
	}
	return out
}

func testAddLeaseAck(t *testing.T, newFrontier Factory) {
	f := newFrontier(t, opts())
	c := ctx(t)
	in := []markwatch.Task{
		{Run: "r1", Sweep: "holiday", Site: "shop", Kind: markwatch.KindSearch, URL: "https://shop.example/s?q=a&page=1", Query: "a", Page: 1, MaxPages: 5},
		task("r1", "shop", "https://shop.example/i?id=1", 0),
		task("r1", "shop", "https://shop.example/i?id=2", 0),
	}
	price := 9.5
	in[1].Listing = &markwatch.Listing{ID: "1", Title: "耐克 高仿", Price: &price}
	mustAdd(t, f, 3, in...)
	if _, err := f.Stats(c, "nope"); !errors.Is(err, queue.ErrUnknownRun) {
		t.Fatalf("Stats of unknown run: err = %v, want ErrUnknownRun", err)
	}
	st := wantCounts(t, f, "r1", counts{queued: 3})
	if st.Finished || st.Started.IsZero() {
		t.Fatalf("fresh run: Finished=%v Started=%v, want false and set", st.Finished, st.Started)
	}
	got := lease(t, f, 10)
	if len(got) != 3 {
		t.Fatalf("Lease(10) got %d tasks, want 3", len(got))
	}
	ids := map[string]bool{}
	for _, g := range got {
		if g.ID == "" || ids[g.ID] {
			t.Fatalf("task ids must be set and distinct, got %q in %v", g.ID, ids)
		}
		ids[g.ID] = true
		if g.Run != "r1" || g.Site != "shop" || g.Attempt != 0 {
			t.Fatalf("leased task %+v lost its run/site/attempt", g)
		}
		if g.Kind == markwatch.KindSearch && (g.Sweep != "holiday" || g.Query != "a" || g.Page != 1 || g.MaxPages != 5) {
			t.Fatalf("search task fields lost in transit: %+v", g)
		}
		if g.URL == in[1].URL && (g.Listing == nil || g.Listing.Title != "耐克 高仿" || g.Listing.Price == nil || *g.Listing.Price != 9.5) {
			t.Fatalf("item task listing lost in transit: %+v", g.Listing)
		}
	}
	if again := lease(t, f, 10); len(again) != 0 {
		t.Fatalf("leased tasks must be invisible, second Lease got %v", urls(again))
	}
	wantCounts(t, f, "r1", counts{leased: 3})
	if err := f.Ack(c, got[0]); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	if st := wantCounts(t, f, "r1", counts{leased: 2, done: 1}); st.Finished {
		t.Fatal("run with leased tasks reported finished")
	}
	if err := f.Ack(c, got[1:]...); err != nil {
		t.Fatalf("Ack batch: %v", err)
	}
	st = wantCounts(t, f, "r1", counts{done: 3})
	if !st.Finished || st.FinishedAt.IsZero() {
		t.Fatalf("all acked: Finished=%v FinishedAt=%v, want true and set", st.Finished, st.FinishedAt)
	}
	if err := f.Ack(c, got[0]); !errors.Is(err, queue.ErrLeaseLost) {
		t.Fatalf("second Ack of one task: err = %v, want ErrLeaseLost", err)
	}
	wantCounts(t, f, "r1", counts{done: 3})
}

func testDedup(t *testing.T, newFrontier Factory) {
	o := opts()
	o.TrackingParams = func(site string) []string {
		if site == "shop" {
			return []string{"pvid"}
		}
		return nil
	}
	f := newFrontier(t, o)
	mustAdd(t, f, 1,
		task("r1", "shop", "https://Shop.Example/i?id=1&utm_source=x#reviews", 0),
		task("r1", "shop", "https://shop.example/i?id=1", 0),
		task("r1", "shop", "https://shop.example/i?spm=a.b&id=1&scm=9", 0),
		task("r1", "shop", "https://shop.example/i?pvid=77&id=1", 0),
	)
	// pvid is tracking only for shop; for another site it is significant.
	mustAdd(t, f, 2,
		task("r1", "other", "https://shop.example/i?pvid=1&id=1", 0),
		task("r1", "other", "https://shop.example/i?pvid=2&id=1", 0),
	)
	mustAdd(t, f, 1, task("r2", "shop", "https://shop.example/i?id=1", 0))
	mustAdd(t, f, 1, task("r1", "shop", "https://shop.example/i?id=2", 0), task("r1", "shop", "https://shop.example/i?id=2#x", 0))
	got := lease(t, f, 10)
	if len(got) != 5 {
		t.Fatalf("leased %d tasks, want 5: %v", len(got), urls(got))
	}
	if err := f.Ack(ctx(t), got...); err != nil {
		t.Fatal(err)
	}
	// Still a duplicate once done: a sweep fetches each page once.
	mustAdd(t, f, 0, task("r1", "shop", "https://shop.example/i?id=1", 0))
	wantCounts(t, f, "r1", counts{done: 4})
}

func testPriorities(t *testing.T, newFrontier Factory) {
	f := newFrontier(t, opts())
	mustAdd(t, f, 4,
		task("r", "shop", "https://shop.example/a", 0),
		task("r", "shop", "https://shop.example/b", 0),
		task("r", "shop", "https://shop.example/c", 5),
		task("r", "shop", "https://shop.example/d", 1),
	)
	var order []string
	for i := 0; i < 4; i++ {
		got := lease(t, f, 1)
		if len(got) != 1 {
			t.Fatalf("Lease(1) #%d got %d tasks", i, len(got))
		}
		order = append(order, got[0].URL[len("https://shop.example/"):])
	}
	if fmt.Sprint(order) != "[c d a b]" {
		t.Fatalf("lease order = %v, want [c d a b] (priority high first, FIFO within one)", order)
	}
	// Across sites: the site with the higher-priority work goes first.
	g := newFrontier(t, opts())
	mustAdd(t, g, 1, task("r", "routine", "https://r.example/1", 0))
	mustAdd(t, g, 1, task("r", "holiday", "https://h.example/1", 3))
	got := lease(t, g, 1)
	if len(got) != 1 || got[0].Site != "holiday" {
		t.Fatalf("Lease(1) across sites got %v, want the holiday site's task", urls(got))
	}
}

func testNotBefore(t *testing.T, newFrontier Factory) {
	clk := newClock()
	o := opts()
	o.Now = clk.Now
	f := newFrontier(t, o)
	later := task("r", "shop", "https://shop.example/later", 9)
	later.NotBefore = clk.Now().Add(400 * time.Millisecond)
	mustAdd(t, f, 2, later, task("r", "shop", "https://shop.example/now", 0))
	got := lease(t, f, 10)
	if len(got) != 1 || got[0].URL != "https://shop.example/now" {
		t.Fatalf("before not-before: leased %v, want only /now", urls(got))
	}
	wantCounts(t, f, "r", counts{queued: 1, leased: 1})
	if err := f.Ack(ctx(t), got...); err != nil {
		t.Fatal(err)
	}
	clk.Advance(300 * time.Millisecond) // still 100ms early
	if early := lease(t, f, 10); len(early) != 0 {
		t.Fatalf("leased %v before its not-before time", urls(early))
	}
	clk.Advance(200 * time.Millisecond) // 100ms past it
	got = leaseWithin(t, f, 10, patience)
	if len(got) != 1 || got[0].URL != "https://shop.example/later" {
		t.Fatalf("after not-before: leased %v, want /later", urls(got))
	}
}

func testLeaseExpiry(t *testing.T, newFrontier Factory) {
	f := newFrontier(t, opts())
	mustAdd(t, f, 1, task("r", "shop", "https://shop.example/1", 0))
	start := time.Now() // before the lease: its expiry cannot come sooner than Lease after this
	first := lease(t, f, 1)
	if len(first) != 1 {
		t.Fatal("nothing leased")
	}
	again := leaseWithin(t, f, 1, patience)
	if len(again) != 1 {
		t.Fatalf("expired lease not redelivered within %v", patience)
	}
	if el := time.Since(start); el < Lease*8/10 {
		t.Fatalf("redelivered after %v, before the lease of %v expired", el, Lease)
	}
	if again[0].URL != first[0].URL || again[0].Attempt != 0 {
		t.Fatalf("redelivered %s attempt %d, want %s attempt 0 (a crash spends no retry)", again[0].URL, again[0].Attempt, first[0].URL)
	}
	wantCounts(t, f, "r", counts{leased: 1})
	// The stalled worker wakes up: its ack must not count twice.
	if err := f.Ack(ctx(t), first[0]); !errors.Is(err, queue.ErrLeaseLost) && again[0].ID != first[0].ID {
		t.Fatalf("ack of an expired, redelivered lease: err = %v, want ErrLeaseLost", err)
	}
	_ = f.Ack(ctx(t), again[0])
	wantCounts(t, f, "r", counts{done: 1})
}

func testExtend(t *testing.T, newFrontier Factory) {
	// A lease far longer than the gap between extensions: only a stall of
	// the whole test for most of it could let the task expire.
	const lease2 = 2 * time.Second
	o := opts()
	o.Lease = lease2
	f := newFrontier(t, o)
	mustAdd(t, f, 1, task("r", "shop", "https://shop.example/1", 0))
	got := lease(t, f, 1)
	if len(got) != 1 {
		t.Fatal("nothing leased")
	}
	end := time.Now().Add(lease2 + lease2/4) // longer than one lease, extended throughout
	for time.Now().Before(end) {
		time.Sleep(100 * time.Millisecond)
		if err := f.Extend(ctx(t), got...); err != nil {
			t.Fatalf("Extend: %v", err)
		}
		if other := lease(t, f, 1); len(other) != 0 {
			t.Fatalf("task redelivered while its lease was being extended")
		}
	}
	if err := f.Ack(ctx(t), got...); err != nil {
		t.Fatalf("Ack after extends: %v", err)
	}
	if err := f.Extend(ctx(t), got...); !errors.Is(err, queue.ErrLeaseLost) {
		t.Fatalf("Extend of an acked task: err = %v, want ErrLeaseLost", err)
	}
}

func testRetries(t *testing.T, newFrontier Factory) {
	o := opts()
	o.Retries = 2
	f := newFrontier(t, o)
	insp := f.(queue.Inspector)
	c := ctx(t)
	mustAdd(t, f, 2, task("r", "shop", "https://shop.example/flaky", 0), task("r", "shop", "https://shop.example/gone", 0))
	got := lease(t, f, 2)
	if len(got) != 2 {
		t.Fatalf("leased %d, want 2", len(got))
	}
	var flaky markwatch.Task
	for _, g := range got {
		if g.URL == "https://shop.example/gone" {
			if err := f.Nack(c, g, errors.New("status 404"), false, 0); err != nil {
				t.Fatalf("Nack(no retry): %v", err)
			}
		} else {
			flaky = g
		}
	}
	for attempt := 1; attempt <= 3; attempt++ {
		if err := f.Nack(c, flaky, fmt.Errorf("timeout %d", attempt), true, 0); err != nil {
			t.Fatalf("Nack #%d: %v", attempt, err)
		}
		if attempt == 3 {
			break
		}
		next := leaseWithin(t, f, 1, patience)
		if len(next) != 1 {
			t.Fatalf("retry %d not delivered", attempt)
		}
		flaky = next[0]
		if flaky.Attempt != attempt || flaky.LastError != fmt.Sprintf("timeout %d", attempt) {
			t.Fatalf("retry %d: Attempt=%d LastError=%q", attempt, flaky.Attempt, flaky.LastError)
		}
	}
	if more := lease(t, f, 5); len(more) != 0 {
		t.Fatalf("dead task delivered again: %v", urls(more))
	}
	st := wantCounts(t, f, "r", counts{failed: 4, dead: 2})
	if !st.Finished {
		t.Fatal("run with only dead tasks left should be finished")
	}
	dead, err := insp.DeadLetters(c, "")
	if err != nil {
		t.Fatalf("DeadLetters: %v", err)
	}
	byURL := map[string]queue.DeadLetter{}
	for _, d := range dead {
		byURL[d.Task.URL] = d
	}
	if len(dead) != 2 || byURL["https://shop.example/flaky"].Task.LastError != "timeout 3" ||
		byURL["https://shop.example/gone"].Task.LastError != "status 404" || byURL["https://shop.example/gone"].DiedAt.IsZero() {
		t.Fatalf("dead letters = %+v, want flaky (timeout 3) and gone (status 404)", dead)
	}
	if other, _ := insp.DeadLetters(c, "elsewhere"); len(other) != 0 {
		t.Fatalf("DeadLetters(elsewhere) = %v, want none", other)
	}
	n, err := insp.Requeue(c, "shop", byURL["https://shop.example/gone"].Task.ID)
	if err != nil || n != 1 {
		t.Fatalf("Requeue one: %d, %v; want 1", n, err)
	}
	back := lease(t, f, 5)
	if len(back) != 1 || back[0].URL != "https://shop.example/gone" || back[0].Attempt != 0 {
		t.Fatalf("requeued: %+v, want /gone with attempt 0", back)
	}
	wantCounts(t, f, "r", counts{leased: 1, failed: 4, dead: 1})
	if n, err := insp.Requeue(c, ""); err != nil || n != 1 {
		t.Fatalf("Requeue all: %d, %v; want 1", n, err)
	}
	if dead, _ := insp.DeadLetters(c, ""); len(dead) != 0 {
		t.Fatalf("dead letters after requeue: %v", dead)
	}
	runs, err := insp.Runs(c)
	if err != nil || len(runs) != 1 || runs[0] != "r" {
		t.Fatalf("Runs = %v, %v; want [r]", runs, err)
	}
}

func testNackDelay(t *testing.T, newFrontier Factory) {
	clk := newClock()
	o := opts()
	o.Lease = 10 * time.Second
	o.Now = clk.Now
	f := newFrontier(t, o)
	mustAdd(t, f, 1, task("r", "shop", "https://shop.example/1", 0))
	got := lease(t, f, 1)
	if err := f.Nack(ctx(t), got[0], errors.New("429"), true, 400*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	wantCounts(t, f, "r", counts{queued: 1, failed: 1})
	clk.Advance(300 * time.Millisecond) // 100ms before the backoff ends
	if early := lease(t, f, 1); len(early) != 0 {
		t.Fatal("nacked task delivered before its backoff")
	}
	clk.Advance(200 * time.Millisecond) // 100ms after
	next := leaseWithin(t, f, 1, patience)
	if len(next) != 1 || next[0].Attempt != 1 {
		t.Fatalf("after backoff got %+v, want the task with attempt 1", next)
	}
}

func testRelease(t *testing.T, newFrontier Factory) {
	f := newFrontier(t, opts())
	mustAdd(t, f, 2, task("r", "shop", "https://shop.example/1", 0), task("r", "shop", "https://shop.example/2", 0))
	got := lease(t, f, 2)
	if err := f.Release(ctx(t), got...); err != nil {
		t.Fatalf("Release: %v", err)
	}
	wantCounts(t, f, "r", counts{queued: 2})
	back := lease(t, f, 2)
	if len(back) != 2 || back[0].Attempt != 0 || back[1].Attempt != 0 {
		t.Fatalf("released tasks: %+v, want both back at attempt 0", back)
	}
	if err := f.Release(ctx(t), got[0]); !errors.Is(err, queue.ErrLeaseLost) && got[0].ID != back[0].ID && got[0].ID != back[1].ID {
		t.Fatalf("second Release: err = %v, want ErrLeaseLost", err)
	}
	wantCounts(t, f, "r", counts{leased: 2})
}

func testRateLimit(t *testing.T, newFrontier Factory) {
	clk := newClock()
	o := opts()
	o.Lease = 10 * time.Second
	o.Now = clk.Now
	o.Limit = func(site string) queue.Limit {
		if site == "slow" {
			return queue.Limit{Rate: 5, Burst: 2}
		}
		return queue.Limit{}
	}
	f := newFrontier(t, o)
	var tasks []markwatch.Task
	for i := 0; i < 30; i++ {
		tasks = append(tasks, task("r", "slow", fmt.Sprintf("https://slow.example/%d", i), 9))
	}
	for i := 0; i < 5; i++ {
		tasks = append(tasks, task("r", "fast", fmt.Sprintf("https://fast.example/%d", i), 0))
	}
	mustAdd(t, f, 35, tasks...)
	// The slow site has the higher priority but only its burst of tokens:
	// the rest of the lease is the fast site's work, not a wait.
	got := lease(t, f, 10)
	perSite := map[string]int{}
	for _, g := range got {
		perSite[g.Site]++
	}
	if perSite["slow"] != 2 || perSite["fast"] != 5 {
		t.Fatalf("first lease per site = %v, want slow:2 (burst) fast:5", perSite)
	}
	// While the clock stands still the bucket stays empty, however often
	// it is asked.
	for range 3 {
		if more := lease(t, f, 10); len(more) != 0 {
			t.Fatalf("leased %v from an empty bucket", urls(more))
		}
	}
	// Each 220ms of the clock refills 1.1 tokens (rate 5/s): one task per
	// step, the fractions adding up to half a token after five steps, never
	// reaching a whole one.
	for step := 1; step <= 5; step++ {
		clk.Advance(220 * time.Millisecond)
		// This process may skip the site for a moment (real time) after
		// finding its bucket empty: wait for the token's task.
		got := leaseWithin(t, f, 10, patience)
		if len(got) != 1 || got[0].Site != "slow" {
			t.Fatalf("step %d: leased %v after 1.1 tokens' worth of time, want one slow task", step, urls(got))
		}
		if more := lease(t, f, 10); len(more) != 0 {
			t.Fatalf("step %d: leased %v more, past the bucket", step, urls(more))
		}
	}
}

func testRecord(t *testing.T, newFrontier Factory) {
	f := newFrontier(t, opts())
	mustAdd(t, f, 1, task("r", "shop", "https://shop.example/1", 0))
	c := ctx(t)
	for _, p := range []queue.Progress{{Pages: 1, Listings: 40, Suspects: 3}, {Pages: 1, Listings: 12}} {
		if err := f.Record(c, "r", p); err != nil {
			t.Fatalf("Record: %v", err)
		}
	}
	st := stats(t, f, "r")
	if st.Pages != 2 || st.Listings != 52 || st.Suspects != 3 {
		t.Fatalf("pages/listings/suspects = %d/%d/%d, want 2/52/3", st.Pages, st.Listings, st.Suspects)
	}
}

func testConcurrent(t *testing.T, newFrontier Factory) {
	o := opts()
	o.Lease = 20 * time.Second
	f := newFrontier(t, o)
	const n = 300
	var tasks []markwatch.Task
	for i := 0; i < n; i++ {
		tasks = append(tasks, task("r", fmt.Sprintf("site%d", i%3), fmt.Sprintf("https://s.example/%d", i), i%4))
	}
	mustAdd(t, f, n, tasks...)
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := context.Background()
			for {
				got, err := f.Lease(c, 7)
				if err != nil {
					errs <- err
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, g := range got {
					seen[g.URL]++
				}
				mu.Unlock()
				if err := f.Ack(c, got...); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != n {
		t.Fatalf("delivered %d distinct tasks, want %d", len(seen), n)
	}
	for u, c := range seen {
		if c != 1 {
			t.Fatalf("%s delivered %d times, want once", u, c)
		}
	}
	if st := wantCounts(t, f, "r", counts{done: n}); !st.Finished {
		t.Fatal("run not finished after all acks")
	}
}

// A cancelled run's queued and delayed tasks are dropped at once on every
// site, its leased ones finish, nothing of it is queued again (new tasks,
// releases, retries, dead-letter requeues), the run finishes when its last
// leased task is acked, and other runs on the same sites are untouched.
func testCancelRun(t *testing.T, newFrontier Factory) {
	clk := newClock()
	o := opts()
	o.Lease = 10 * time.Second
	o.Now = clk.Now
	f := newFrontier(t, o)
	cf, ok := f.(Canceller)
	if !ok {
		t.Fatalf("%T has no CancelRun", f)
	}
	insp := f.(queue.Inspector)
	c := ctx(t)
	// Leased before the cancel: one task per site, one more to nack, one
	// to release, one that dies.
	mustAdd(t, f, 5,
		task("r1", "shop", "https://shop.example/leased", 0),
		task("r1", "shop", "https://shop.example/nacked", 0),
		task("r1", "mall", "https://mall.example/leased", 0),
		task("r1", "mall", "https://mall.example/released", 0),
		task("r1", "mall", "https://mall.example/dead", 0),
	)
	held := lease(t, f, 10)
	if len(held) != 5 {
		t.Fatalf("leased %d, want 5", len(held))
	}
	byURL := map[string]markwatch.Task{}
	for _, h := range held {
		byURL[h.URL] = h
	}
	if err := f.Nack(c, byURL["https://mall.example/dead"], errors.New("status 404"), false, 0); err != nil {
		t.Fatal(err)
	}
	// Queued at the cancel: ready on both sites and in two bands, delayed
	// (due soon), and another run's tasks on the same sites.
	soon := task("r1", "shop", "https://shop.example/soon", 0)
	soon.NotBefore = clk.Now().Add(300 * time.Millisecond)
	mustAdd(t, f, 8,
		task("r1", "shop", "https://shop.example/q1", 0),
		task("r1", "shop", "https://shop.example/q2", 7),
		task("r1", "mall", "https://mall.example/q1", 0),
		soon,
		task("r2", "shop", "https://shop.example/q1", 0),
		task("r2", "mall", "https://mall.example/q1", 3),
		task("r1", "shop", "https://shop.example/q3", 0),
		task("r2", "shop", "https://shop.example/q2", 0),
	)
	wantCounts(t, f, "r1", counts{queued: 5, leased: 4, failed: 1, dead: 1})

	dropped, err := cf.CancelRun(c, "r1")
	if err != nil || dropped != 5 {
		t.Fatalf("CancelRun(r1) = %d, %v; want 5 queued and delayed tasks dropped", dropped, err)
	}
	st := wantCounts(t, f, "r1", counts{leased: 4, failed: 1, dead: 1})
	if st.Cancelled != 5 || st.Finished || st.CancelledAt.IsZero() {
		t.Fatalf("after cancel: Cancelled=%d Finished=%v CancelledAt=%v; want 5, false (tasks still leased), set", st.Cancelled, st.Finished, st.CancelledAt)
	}
	if again, err := cf.CancelRun(c, "r1"); err != nil || again != 0 {
		t.Fatalf("second CancelRun(r1) = %d, %v; want 0, nil", again, err)
	}
	// New work of the run (next pages, item pages) is refused, on a known
	// site and on a new one; another run's tasks in the same call are not.
	mustAdd(t, f, 1,
		task("r1", "shop", "https://shop.example/next-page", 9),
		task("r1", "elsewhere", "https://elsewhere.example/1", 0),
		task("r2", "shop", "https://shop.example/q3", 0),
	)
	// Only the other run's tasks are handed out, also after the delayed
	// task would have been due.
	clk.Advance(400 * time.Millisecond)
	var others []markwatch.Task
	for {
		got := lease(t, f, 10)
		if len(got) == 0 {
			break
		}
		for _, g := range got {
			if g.Run != "r2" {
				t.Fatalf("leased %s of cancelled run %s", g.URL, g.Run)
			}
		}
		others = append(others, got...)
	}
	if len(others) != 4 {
		t.Fatalf("leased %d tasks of run r2, want 4: %v", len(others), urls(others))
	}
	if err := f.Ack(c, others...); err != nil {
		t.Fatal(err)
	}
	if st := wantCounts(t, f, "r2", counts{done: 4}); st.Cancelled != 0 || !st.CancelledAt.IsZero() {
		t.Fatalf("run r2 touched by r1's cancel: %+v", st)
	}
	// Leased tasks finish: acks count, a retry or a release is dropped.
	if err := f.Nack(c, byURL["https://shop.example/nacked"], errors.New("timeout"), true, 0); err != nil {
		t.Fatalf("Nack of a cancelled run's task: %v", err)
	}
	if err := f.Release(c, byURL["https://mall.example/released"]); err != nil {
		t.Fatalf("Release of a cancelled run's task: %v", err)
	}
	if err := f.Ack(c, byURL["https://shop.example/leased"]); err != nil {
		t.Fatalf("Ack of a cancelled run's leased task: %v", err)
	}
	if st := wantCounts(t, f, "r1", counts{leased: 1, done: 1, failed: 2, dead: 1}); st.Finished || st.Cancelled != 7 {
		t.Fatalf("one task still leased: Finished=%v Cancelled=%d, want false, 7", st.Finished, st.Cancelled)
	}
	if err := f.Ack(c, byURL["https://mall.example/leased"]); err != nil {
		t.Fatal(err)
	}
	st = wantCounts(t, f, "r1", counts{done: 2, failed: 2, dead: 1})
	if !st.Finished || st.FinishedAt.IsZero() || st.Cancelled != 7 {
		t.Fatalf("last leased task acked: Finished=%v FinishedAt=%v Cancelled=%d; want finished, 7 cancelled", st.Finished, st.FinishedAt, st.Cancelled)
	}
	// Every task the run queued is accounted for exactly once.
	if sum := st.Done + st.Dead + st.Cancelled; sum != 10 {
		t.Fatalf("done+dead+cancelled = %d, want the 10 tasks r1 queued", sum)
	}
	if got := lease(t, f, 10); len(got) != 0 {
		t.Fatalf("leased %v after the cancel", urls(got))
	}
	// Its dead letters stay dead.
	if n, err := insp.Requeue(c, ""); err != nil || n != 0 {
		t.Fatalf("Requeue of a cancelled run's dead letters = %d, %v; want 0", n, err)
	}
	if dead, _ := insp.DeadLetters(c, "mall"); len(dead) != 1 {
		t.Fatalf("dead letters of the cancelled run = %v, want the one kept", dead)
	}
	// A run cancelled before it has any task refuses them all.
	if n, err := cf.CancelRun(c, "r3"); err != nil || n != 0 {
		t.Fatalf("CancelRun of an unknown run = %d, %v; want 0, nil", n, err)
	}
	mustAdd(t, f, 0, task("r3", "shop", "https://shop.example/r3", 0))
}
