package queue_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/internal/testredis"
	"github.com/markwatch/markwatch/queue"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"
)

func itemTasks(run, site string, n int) []markwatch.Task {
	out := make([]markwatch.Task, n)
	for i := range out {
		out[i] = markwatch.Task{Run: run, Site: site, Kind: markwatch.KindItem, URL: fmt.Sprintf("https://%s.example/item?id=%d", site, i)}
	}
	return out
}

func TestRedisMetrics(t *testing.T) {
	srv := testredis.Start(t)
	client := srv.Client()
	ctx := context.Background()
	reg := prometheus.NewPedanticRegistry()
	m := queue.NewMetrics(reg)
	// The token buckets run on a clock that stands still, so the slow
	// site's bucket never refills however long the test takes.
	now := time.Now()
	f := queue.NewRedis(client, queue.Options{Lease: 300 * time.Millisecond, Retries: 1, Metrics: m, Consumer: "w1",
		Now: func() time.Time { return now },
		Limit: func(site string) queue.Limit {
			if site == "slow" {
				return queue.Limit{Rate: 0.5, Burst: 1}
			}
			return queue.Limit{}
		}})
	defer f.Close()
	f.Start()
	// A minute's lease for the collector: the worker counts as alive for
	// two of them, whatever the heartbeat loop's delays under load.
	col := queue.NewCollector(reg, client, time.Minute, nil)
	if _, err := f.Add(ctx, itemTasks("r", "shop", 5)...); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Add(ctx, itemTasks("r", "slow", 3)...); err != nil {
		t.Fatal(err)
	}
	later := itemTasks("r2", "shop", 1)[0]
	later.URL += "&later=1"
	later.NotBefore = now.Add(time.Hour)
	if _, err := f.Add(ctx, later); err != nil {
		t.Fatal(err)
	}
	got, err := f.Lease(ctx, 4)
	if err != nil || len(got) != 4 {
		t.Fatalf("Lease(4) = %d tasks, %v", len(got), err)
	}
	// One shop task dies, one task is left to expire, two stay leased (extended).
	for i, g := range got {
		if g.Site == "shop" {
			got[0], got[i] = got[i], got[0]
			break
		}
	}
	if err := f.Nack(ctx, got[0], errors.New("gone"), false, 0); err != nil {
		t.Fatal(err)
	}
	// At least one: should this goroutine stall past a lease, an extended
	// task may expire too (its task is then queued again, which the
	// depths below allow for).
	waitFor(t, "lease expiry counted", 10*time.Second, func() bool {
		_ = f.Extend(ctx, got[2:]...)
		return testutil.ToFloat64(m.LeaseExpiries.WithLabelValues(got[1].Site)) >= 1
	})
	if n := testutil.ToFloat64(m.DeadLetters.WithLabelValues(got[0].Site)); n != 1 {
		t.Fatalf("dead letters counted = %v, want 1", n)
	}
	// The slow site's bucket has one token: the first lease took it (the
	// priority tie is broken at random, so lease until it is empty).
	for i := 0; i < 5; i++ {
		if _, err := f.Lease(ctx, 10); err != nil {
			t.Fatal(err)
		}
	}
	if n := testutil.ToFloat64(m.RateLimited.WithLabelValues("slow")); n < 1 {
		t.Fatalf("rate-limited lease attempts on slow = %v, want >= 1", n)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %v", problems, err)
	}
	n, err := testutil.GatherAndCount(reg, "markwatch_queue_tasks")
	if err != nil || n != 8 {
		t.Fatalf("markwatch_queue_tasks series = %d, %v; want 8 (2 sites x 4 states)", n, err)
	}
	expect := `
# HELP markwatch_queue_workers_alive Workers with a fresh heartbeat.
# TYPE markwatch_queue_workers_alive gauge
markwatch_queue_workers_alive 1
# HELP markwatch_findings_pending Findings batches published but not yet stored.
# TYPE markwatch_findings_pending gauge
markwatch_findings_pending 0
`
	if err := testutil.CollectAndCompare(col, strings.NewReader(expect), "markwatch_queue_workers_alive", "markwatch_findings_pending"); err != nil {
		t.Fatal(err)
	}
	depths, err := queue.Depths(ctx, client)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range depths {
		if d.Site == "shop" && (d.Dead != 1 || d.Delayed != 1 || d.Leased+d.Queued != 4) {
			t.Fatalf("shop depth = %+v, want dead 1, delayed 1, leased+queued 4", d)
		}
	}
}

// The run's accounting and its queued and leased tasks survive a Redis
// restart (appendonly), and leases taken before it can still be acked.
func TestRedisRestartKeepsQueue(t *testing.T) {
	srv := testredis.Start(t)
	client := srv.Client()
	ctx := context.Background()
	f := queue.NewRedis(client, queue.Options{Lease: 10 * time.Second})
	defer f.Close()
	if n, err := f.Add(ctx, itemTasks("r", "shop", 50)...); err != nil || n != 50 {
		t.Fatalf("Add = %d, %v", n, err)
	}
	held, err := f.Lease(ctx, 10)
	if err != nil || len(held) != 10 {
		t.Fatalf("Lease = %d, %v", len(held), err)
	}
	srv.Restart(t)
	var rest []markwatch.Task
	deadline := time.Now().Add(30 * time.Second) // generous: a loaded machine must not fail it
	for len(rest) < 40 && time.Now().Before(deadline) {
		got, err := f.Lease(ctx, 40)
		if err != nil {
			time.Sleep(50 * time.Millisecond) // reconnecting
			continue
		}
		rest = append(rest, got...)
	}
	if len(rest) != 40 {
		t.Fatalf("after restart leased %d tasks, want the other 40", len(rest))
	}
	if err := f.Ack(ctx, append(held, rest...)...); err != nil {
		t.Fatalf("Ack across restart: %v", err)
	}
	st, err := f.Stats(ctx, "r")
	if err != nil || st.Done != 50 || !st.Finished {
		t.Fatalf("stats after restart = %+v, %v; want 50 done, finished", st, err)
	}
	if n, _ := f.Add(ctx, itemTasks("r", "shop", 50)...); n != 0 {
		t.Fatalf("dedup lost in restart: %d tasks queued again", n)
	}
}

// A task whose payload cannot be decoded is dead-lettered, not lost and
// not handed out again and again.
func TestRedisUndecodableTask(t *testing.T) {
	srv := testredis.Start(t)
	client := srv.Client()
	ctx := context.Background()
	f := queue.NewRedis(client, queue.Options{})
	defer f.Close()
	if _, err := f.Add(ctx, itemTasks("r", "shop", 1)...); err != nil {
		t.Fatal(err)
	}
	if err := client.XAdd(ctx, &redis.XAddArgs{Stream: "mw:{s:shop}:q:0", Values: []string{"r", "r", "t", "{broken"}}).Err(); err != nil {
		t.Fatal(err)
	}
	got, err := f.Lease(ctx, 10)
	if err != nil || len(got) != 1 {
		t.Fatalf("Lease = %v, %v; want the one good task", got, err)
	}
	dead, err := f.DeadLetters(ctx, "shop")
	if err != nil || len(dead) != 1 || !strings.Contains(dead[0].Task.LastError, "undecodable") && !strings.Contains(dead[0].Task.LastError, "decode") {
		t.Fatalf("dead letters = %+v, %v; want the broken task with its decode error", dead, err)
	}
}

func TestRedisRejectsBadNames(t *testing.T) {
	srv := testredis.Start(t)
	f := queue.NewRedis(srv.Client(), queue.Options{})
	defer f.Close()
	_, err := f.Add(context.Background(), markwatch.Task{Run: "r", Site: "a}b", Kind: markwatch.KindItem, URL: "https://x/"})
	if err == nil || !strings.Contains(err.Error(), "a}b") {
		t.Fatalf("Add with site a}b: err = %v, want an error naming it", err)
	}
}

// The janitor forgets expired runs' counters and idle consumers, and keeps
// everything of a live run.
func TestRedisJanitor(t *testing.T) {
	srv := testredis.Start(t)
	client := srv.Client()
	ctx := context.Background()
	f := queue.NewRedis(client, queue.Options{Consumer: "old"})
	defer f.Close()
	for _, run := range []string{"gone", "live"} {
		if _, err := f.Add(ctx, itemTasks(run, "shop", 2)...); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := f.Lease(ctx, 4)
	var live []markwatch.Task
	for _, g := range got {
		if g.Run == "gone" {
			if err := f.Ack(ctx, g); err != nil {
				t.Fatal(err)
			}
		} else {
			live = append(live, g)
		}
	}
	if err := client.Del(ctx, "mw:{r:gone}:meta").Err(); err != nil { // as if it expired
		t.Fatal(err)
	}
	g := queue.NewRedis(client, queue.Options{Consumer: "janitor"})
	defer g.Close()
	if err := g.Janitor(ctx); err != nil {
		t.Fatalf("Janitor: %v", err)
	}
	fields, _ := client.HKeys(ctx, "mw:{s:shop}:runs").Result()
	for _, fld := range fields {
		if strings.HasPrefix(fld, "gone") {
			t.Errorf("field %q of an expired run kept", fld)
		}
	}
	if st, err := g.Stats(ctx, "live"); err != nil || st.Leased != 2 {
		t.Fatalf("live run after janitor: %+v, %v", st, err)
	}
	if runs, _ := g.Runs(ctx); len(runs) != 1 || runs[0] != "live" {
		t.Errorf("runs after janitor = %v, want [live]", runs)
	}
	// "old" still holds leases: it must stay a consumer.
	cs, _ := client.XInfoConsumers(ctx, "mw:{s:shop}:q:0", "mw").Result()
	if len(cs) != 1 || cs[0].Name != "old" {
		t.Errorf("consumers after janitor = %+v, want old (it holds leases)", cs)
	}
	if err := f.Ack(ctx, live...); err != nil {
		t.Fatal(err)
	}
}
