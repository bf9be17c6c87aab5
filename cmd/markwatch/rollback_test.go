package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/internal/testredis"
	"github.com/markwatch/markwatch/queue"
	"github.com/markwatch/markwatch/store"
	"github.com/markwatch/markwatch/store/storetest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"
)

// snapshot is every key of a Redis server with its TTL, as DUMP gives it:
// restore plays a failover to a replica that had replicated up to the
// snapshot (or a restart from it), where everything in the server goes
// back together.
type snapshot map[string]struct {
	dump string
	ttl  time.Duration
}

func takeSnapshot(t *testing.T, ctx context.Context, c redis.UniversalClient) snapshot {
	t.Helper()
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	s := snapshot{}
	for _, k := range keys {
		d, err := c.Dump(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		ttl, err := c.PTTL(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		s[k] = struct {
			dump string
			ttl  time.Duration
		}{d, max(ttl, 0)}
	}
	return s
}

func (s snapshot) restore(t *testing.T, ctx context.Context, c redis.UniversalClient) {
	t.Helper()
	if err := c.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	for k, v := range s {
		if err := c.RestoreReplace(ctx, k, v.ttl, v.dump).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// crawl leases every ready task, stores a finding per page through serve's
// findings handler (twice for the first page: a redelivered batch), records
// its progress and acks it, as a worker and serve would.
func crawl(t *testing.T, ctx context.Context, f *queue.Redis, st *store.Store) int {
	return crawlUpTo(t, ctx, f, st, -1)
}

// crawlUpTo is crawl for at most limit pages (negative: all).
func crawlUpTo(t *testing.T, ctx context.Context, f *queue.Redis, st *store.Store, limit int) int {
	t.Helper()
	handle := StoreFindingsBatches(st)
	n := 0
	for n != limit {
		tasks, err := f.Lease(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(tasks) == 0 {
			return n
		}
		for _, task := range tasks {
			b := queue.FindingsBatch{Run: task.Run, Site: task.Site, Task: task.ID, Page: queue.PageMeta{URL: task.URL, Status: 200},
				Findings: []markwatch.Finding{storetest.Finding(task.Run, task.Site, "L-"+task.URL, "Nike", "", 59, time.Now())}}
			batches := []queue.FindingsBatch{b}
			if n == 0 {
				batches = append(batches, b)
			}
			if err := handle(ctx, batches); err != nil {
				t.Fatal(err)
			}
			if err := f.Record(ctx, task.Run, queue.Progress{Pages: 1, Listings: 1, Suspects: 1}); err != nil {
				t.Fatal(err)
			}
			if err := f.Ack(ctx, task); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	return n
}

// rollbackRig is a redis-server, a frontier on it, a store and serve's
// run finisher over both (the findings stream taken as consumed), logging
// to the returned buffer.
func rollbackRig(t *testing.T) (*testredis.Server, redis.UniversalClient, *queue.Redis, *store.Store, *runFinisher, *bytes.Buffer) {
	srv := testredis.Start(t)
	client := srv.Client()
	t.Cleanup(func() { client.Close() })
	f := queue.NewRedis(client, queue.Options{Consumer: "w", Lease: time.Minute})
	t.Cleanup(func() { f.Close() })
	st, err := store.Open(context.Background(), t.TempDir(), store.WithBcryptCost(4))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	logs := &bytes.Buffer{}
	fin := &runFinisher{
		Store: st, Runs: f.Runs, Stats: f.Stats, Every: time.Hour, Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Mark:            func(context.Context) (string, error) { return "1-0", nil },
		ConsumedThrough: func(context.Context, string) (bool, error) { return true, nil },
		SetAside:        func(context.Context) (map[string]bool, error) { return nil, nil },
		SetRollback:     f.SetRollback,
	}
	return srv, client, f, st, fin, logs
}

func seeds(run string, from, to int) []markwatch.Task {
	var out []markwatch.Task
	for i := from; i < to; i++ {
		out = append(out, markwatch.Task{Run: run, Site: "shop", Kind: markwatch.KindSearch, Page: 1,
			URL: fmt.Sprintf("https://shop.example/search?q=q%d", i)})
	}
	return out
}

// A run whose accounting went back with everything else in one Redis
// (seeds added and crawled after the point the server went back to) looks
// finished to the frontier; serve's store has seen more of it, so the run
// is not finished in the store, one line is logged, the gauge counts it,
// `queue stats` says so (text and JSON), the marker comes back when it is
// itself lost, and seeding the run again and crawling it through clears it.
func TestRunFinisherTellsARollback(t *testing.T) {
	ctx := context.Background()
	srv, client, f, st, fin, logs := rollbackRig(t)

	// "ok" is crawled through and never rolled back; "rb" has 3 seeds
	// crawled before the snapshot and 2 after.
	for _, run := range []string{"ok", "rb"} {
		if _, err := f.Add(ctx, seeds(run, 0, 3)...); err != nil {
			t.Fatal(err)
		}
	}
	if n := crawl(t, ctx, f, st); n != 6 {
		t.Fatalf("crawled %d pages, want 6", n)
	}
	snap := takeSnapshot(t, ctx, client)
	if _, err := f.Add(ctx, seeds("rb", 3, 5)...); err != nil {
		t.Fatal(err)
	}
	if n := crawl(t, ctx, f, st); n != 2 {
		t.Fatalf("crawled %d pages after the snapshot, want 2", n)
	}
	snap.restore(t, ctx, client)

	// The gap this closes: inside Redis nothing tells.
	if s, err := f.Stats(ctx, "rb"); err != nil || !s.Finished || s.Done != 3 || s.LostSeeds != 0 {
		t.Fatalf("rolled back run before the check: %+v, %v; want finished with done 3 and no lost seed (the silent case)", s, err)
	}

	gauge := prometheus.NewGauge(prometheus.GaugeOpts{Name: "markwatch_runs_rolled_back"})
	fin.RolledBack = gauge
	finished := func(run string) bool { return finishedInStore(t, st, run) }
	for range 3 {
		if err := fin.Once(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if !finished("ok") {
		t.Error("a run that was not rolled back (one batch stored twice) was not finished")
	}
	if finished("rb") {
		t.Fatal("a rolled back run was finished in the store")
	}
	if got := testutil.ToFloat64(gauge); got != 1 {
		t.Errorf("gauge %v, want 1", got)
	}
	if n := strings.Count(logs.String(), "run rolled back"); n != 1 || !strings.Contains(logs.String(), "stored_pages=5") {
		t.Errorf("want one log line for the rollback with stored_pages=5 over three passes, got %d:\n%s", n, logs.String())
	}

	stats := func(asJSON bool) string {
		g, out, _ := sweepGlobals()
		if err := (&QueueStatsCmd{Redis: srv.URL(), RunID: "rb", JSON: asJSON}).Run(g); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	const want = "rolled back: frontier done 3 < 5 pages already stored by serve"
	if out := stats(false); !strings.Contains(out, want) {
		t.Errorf("queue stats:\n%s\nwant %q", out, want)
	}
	var js queue.RunStats
	if err := json.Unmarshal([]byte(stats(true)), &js); err != nil {
		t.Fatal(err)
	}
	if js.Finished || js.RolledBack == nil || js.RolledBack.Done != 3 || js.RolledBack.Stored != 5 {
		t.Errorf("queue stats --json: %+v (rolled back %+v); want not finished, rolled back 3 < 5", js, js.RolledBack)
	}

	// The marker itself lost in a second rollback: the next pass writes
	// it again.
	snap.restore(t, ctx, client)
	if s, _ := f.Stats(ctx, "rb"); s.RolledBack != nil || !s.Finished {
		t.Fatalf("the snapshot had no marker: %+v", s)
	}
	if err := fin.Once(ctx); err != nil {
		t.Fatal(err)
	}
	if s, err := f.Stats(ctx, "rb"); err != nil || s.Finished || s.RolledBack == nil {
		t.Fatalf("after the marker was lost and the store checked again: %+v, %v; want it marked again", s, err)
	}
	if finished("rb") {
		t.Fatal("a rolled back run was finished in the store")
	}

	// Seeding the run again puts the lost seeds back; once they are
	// crawled (the same pages: the store's count does not grow) the run
	// accounts for what was stored and finishes.
	if n, err := f.Add(ctx, seeds("rb", 0, 5)...); err != nil || n != 2 {
		t.Fatalf("seeding again queued %d, %v; want the 2 rolled back", n, err)
	}
	if err := fin.Once(ctx); err != nil {
		t.Fatal(err)
	}
	if s, _ := f.Stats(ctx, "rb"); s.RolledBack == nil {
		t.Fatal("the marker was cleared before the run accounted for the stored pages")
	}
	if n := crawl(t, ctx, f, st); n != 2 {
		t.Fatalf("crawled %d pages, want 2", n)
	}
	for range 3 {
		if err := fin.Once(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if s, err := f.Stats(ctx, "rb"); err != nil || s.RolledBack != nil || s.Done != 5 {
		t.Fatalf("after seeding again: %+v, %v; want done 5 and no marker", s, err)
	}
	if !finished("rb") {
		t.Error("the run was not finished once it accounted for every stored page")
	}
	if got := testutil.ToFloat64(gauge); got != 0 {
		t.Errorf("gauge %v, want 0", got)
	}
}

// A run that goes back mid-crawl, after serve read a higher done: the
// marker says so while work is still queued, and goes once the run is
// crawled past it again.
func TestRunFinisherTellsARollbackMidCrawl(t *testing.T) {
	ctx := context.Background()
	srv, client, f, st, fin, logs := rollbackRig(t)
	if _, err := f.Add(ctx, seeds("mid", 0, 6)...); err != nil {
		t.Fatal(err)
	}
	crawlUpTo(t, ctx, f, st, 2)
	snap := takeSnapshot(t, ctx, client)
	crawlUpTo(t, ctx, f, st, 2)
	if err := fin.Once(ctx); err != nil { // reads done 4
		t.Fatal(err)
	}
	snap.restore(t, ctx, client)
	if err := fin.Once(ctx); err != nil {
		t.Fatal(err)
	}
	s, err := f.Stats(ctx, "mid")
	if err != nil || s.RolledBack == nil || s.RolledBack.Done != 2 || s.RolledBack.SeenDone != 4 {
		t.Fatalf("after going back from done 4 to 2: %+v (marker %+v), %v; want marked 2 < 4", s, s.RolledBack, err)
	}
	g, out, _ := sweepGlobals()
	if err := (&QueueStatsCmd{Redis: srv.URL(), RunID: "mid"}).Run(g); err != nil {
		t.Fatal(err)
	}
	if want := "rolled back: frontier done 2 < 4 seen by serve before"; !strings.Contains(out.String(), want) {
		t.Errorf("queue stats:\n%s\nwant %q", out, want)
	}
	// The rolled back tasks were queued again with the rest: crawled
	// through, the run accounts for everything and finishes.
	if n := crawl(t, ctx, f, st); n != 4 {
		t.Fatalf("crawled %d pages after the rollback, want 4", n)
	}
	for range 3 {
		if err := fin.Once(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if s, err := f.Stats(ctx, "mid"); err != nil || s.RolledBack != nil || !s.Finished || s.Done != 6 {
		t.Fatalf("crawled through: %+v, %v; want finished, done 6, no marker", s, err)
	}
	if r, err := st.Run(ctx, "mid"); err != nil || r.FinishedAt.IsZero() {
		t.Fatalf("run in the store: %+v, %v; want finished", r, err)
	}
	if n := strings.Count(logs.String(), "run rolled back"); n != 1 {
		t.Errorf("%d rollback log lines, want 1:\n%s", n, logs.String())
	}
}
