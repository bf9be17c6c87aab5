package queue_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/fakemarket"
	"github.com/markwatch/markwatch/queue"
)

// The operator commands, run as the markwatch binary: queue stats, queue
// dead, queue requeue, and a worker's SIGTERM with pages still in flight.
func TestCommandsQueue(t *testing.T) {
	d := newDrill(t, 900, "{requests_per_second: 5000, burst: 50}", fakemarket.Options{Latency: 20 * time.Second})
	ctx := context.Background()
	f := queue.NewRedis(d.client, queue.Options{})
	defer f.Close()

	// Two dead letters in their own run.
	if _, err := f.Add(ctx, itemTasks("ops", "fakemart", 3)...); err != nil {
		t.Fatal(err)
	}
	got, err := f.Lease(ctx, 3)
	if err != nil || len(got) != 3 {
		t.Fatalf("Lease = %d, %v", len(got), err)
	}
	for _, g := range got[:2] {
		if err := f.Nack(ctx, g, errors.New("status 404 for "+g.URL), false, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Ack(ctx, got[2]); err != nil {
		t.Fatal(err)
	}
	if err := f.Record(ctx, "ops", queue.Progress{Pages: 1, Listings: 40, Suspects: 2}); err != nil {
		t.Fatal(err)
	}

	out := d.run("queue", "stats", "--redis", d.redis.URL(), "--run", "ops", "--json")
	var st map[string]any
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("queue stats --json: %v\n%s", err, out)
	}
	for _, k := range []string{"run", "queued", "leased", "done", "failed", "dead", "pages", "listings", "suspects", "finished"} {
		if _, ok := st[k]; !ok {
			t.Errorf("queue stats --json has no %q: %s", k, out)
		}
	}
	if st["run"] != "ops" || st["dead"] != 2.0 || st["done"] != 1.0 || st["failed"] != 2.0 || st["listings"] != 40.0 || st["finished"] != true {
		t.Errorf("queue stats --json = %s", out)
	}
	table := d.run("queue", "stats", "--redis", d.redis.URL())
	if !strings.Contains(table, "RUN") || !strings.Contains(table, "ops") {
		t.Errorf("queue stats table:\n%s", table)
	}

	out = d.run("queue", "dead", "--redis", d.redis.URL(), "--json")
	var dead []queue.DeadLetter
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var dl queue.DeadLetter
		if err := json.Unmarshal([]byte(line), &dl); err != nil {
			t.Fatalf("queue dead --json line %q: %v", line, err)
		}
		dead = append(dead, dl)
	}
	if len(dead) != 2 || !strings.HasPrefix(dead[0].Task.LastError, "status 404") || dead[0].Task.Site != "fakemart" {
		t.Fatalf("queue dead --json = %s", out)
	}
	if text := d.run("queue", "dead", "--redis", d.redis.URL(), "--site", "fakemart"); !strings.Contains(text, "status 404") {
		t.Errorf("queue dead table has no last error:\n%s", text)
	}
	if out := d.run("queue", "requeue", "--redis", d.redis.URL(), dead[0].Task.ID); !strings.Contains(out, "requeued 1 task") {
		t.Errorf("queue requeue ID: %q", out)
	}
	if out := d.run("queue", "requeue", "--redis", d.redis.URL(), "--site", "fakemart"); !strings.Contains(out, "requeued 1 task") {
		t.Errorf("queue requeue --site: %q", out)
	}
	s, _ := f.Stats(ctx, "ops")
	if s.Dead != 0 || s.Queued != 2 {
		t.Errorf("after requeue: %+v, want dead 0 queued 2", s)
	}

	// SIGTERM with every page taking 20s: the worker stops leasing, waits
	// --grace, releases what is still in flight and exits; nothing stays
	// leased until a lease expiry.
	const run = "sigterm"
	d.enqueue(run)
	w := d.startWorker("--concurrency", "3", "--lease", "60s", "--grace", "1s")
	waitFor(t, "tasks in flight", 30*time.Second, func() bool {
		s, err := f.Stats(ctx, run)
		return err == nil && s.Leased == 3
	})
	start := time.Now()
	d.sigterm(w, 30*time.Second)
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("worker took %v to exit with --grace 1s", el)
	}
	s, err = f.Stats(ctx, run)
	if err != nil || s.Leased != 0 || s.Queued != int64(len(d.cat.Queries())) {
		t.Fatalf("after SIGTERM: %+v, %v; want nothing leased and all %d seeds queued again", s, err, len(d.cat.Queries()))
	}
	released, err := f.Lease(ctx, 100)
	if err != nil || len(released) != len(d.cat.Queries()) {
		t.Fatalf("released tasks leasable: %d, %v", len(released), err)
	}
	for _, r := range released {
		if r.Attempt != 0 || r.Kind != markwatch.KindSearch {
			t.Fatalf("released task %+v: a shutdown must not spend a retry", r)
		}
	}
}

// runFail runs a markwatch command that must fail and returns its stderr.
func (d *drill) runFail(args ...string) string {
	d.t.Helper()
	cmd := exec.Command(d.bin, append([]string{"--sites", d.sites, "--log-level", "warn"}, args...)...)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Run(); err == nil {
		d.t.Fatalf("markwatch %s succeeded, want it refused", strings.Join(args, " "))
	}
	return errOut.String()
}

// `markwatch queue lease` and the worker's lease check, as an operator
// meets them: the first worker records the fleet's lease, a worker with
// another --lease is refused with the fix, one without --lease takes the
// fleet's, and --set is refused while a worker is alive unless --force.
func TestCommandQueueLease(t *testing.T) {
	d := newDrill(t, 50, "{requests_per_second: 5000, burst: 50}")
	url := d.redis.URL()
	if out := d.run("queue", "lease", "--redis", url); !strings.Contains(out, "none recorded") || !strings.Contains(out, "live workers: 0") {
		t.Fatalf("queue lease on an empty Redis:\n%s", out)
	}
	if out := d.run("queue", "lease", "--redis", url, "--set", "2m"); !strings.Contains(out, "fleet lease: 2m0s (none recorded)") {
		t.Fatalf("queue lease --set 2m:\n%s", out)
	}
	msg := d.runFail("worker", "--redis", url, "--metrics", "", "--lease", "30s")
	for _, want := range []string{"30s", "2m0s", "markwatch queue lease --set 30s"} {
		if !strings.Contains(msg, want) {
			t.Errorf("worker --lease 30s against a 2m fleet: error does not say %q:\n%s", want, msg)
		}
	}
	w := d.startWorker() // no --lease: takes the fleet's
	if log := w.logText(); !strings.Contains(log, `"lease":120000000000`) {
		t.Errorf("worker without --lease did not take the fleet's 2m lease:\n%s", log)
	}
	out := d.run("queue", "lease", "--redis", url)
	if !strings.Contains(out, "fleet lease: 2m0s") || !strings.Contains(out, "live workers: 1") {
		t.Errorf("queue lease with a worker running:\n%s", out)
	}
	if msg := d.runFail("queue", "lease", "--redis", url, "--set", "1m"); !strings.Contains(msg, "1 worker(s) alive") || !strings.Contains(msg, "force") {
		t.Errorf("queue lease --set with a live worker:\n%s", msg)
	}
	if out := d.run("queue", "lease", "--redis", url, "--set", "1m", "--force"); !strings.Contains(out, "fleet lease: 1m0s (was 2m0s)") {
		t.Errorf("queue lease --set 1m --force:\n%s", out)
	}
	d.sigterm(w, 60*time.Second)
	if out := d.run("queue", "lease", "--redis", url, "--set", "45s"); !strings.Contains(out, "was 1m0s") {
		t.Errorf("queue lease --set after the worker stopped:\n%s", out)
	}
}

// `markwatch queue dead --findings` shows what the findings consumer gave
// up on, and `queue requeue --findings` publishes it again.
func TestCommandFindingsDeadLetters(t *testing.T) {
	d := newDrill(t, 50, "{requests_per_second: 5000, burst: 50}")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := queue.NewFindingsPublisher(d.client).Put(ctx, page("r9", "https://shop.example/i/9", []byte("x")), []markwatch.Finding{finding("r9", "9", true)}); err != nil {
		t.Fatal(err)
	}
	fc := &queue.FindingsConsumer{Client: d.client, Group: "store", Consumer: "c", MaxDeliveries: 1, Block: 50 * time.Millisecond,
		Handle: func(context.Context, queue.FindingsBatch) error { return errors.New("disk full") }}
	go fc.Run(ctx)
	waitFor(t, "the batch dead-lettered", 10*time.Second, func() bool { return d.client.XLen(ctx, "mw:{findings}:dead").Val() == 1 })
	cancel()

	out := d.run("queue", "dead", "--findings", "--json", "--redis", d.redis.URL())
	var dl queue.FindingsDeadLetter
	if err := json.Unmarshal([]byte(out), &dl); err != nil {
		t.Fatalf("queue dead --findings --json: %v\n%s", err, out)
	}
	if dl.Run != "r9" || dl.Site != "shop" || dl.URL != "https://shop.example/i/9" || dl.Error != "disk full" || dl.Deliveries != 1 || dl.ID == "" {
		t.Fatalf("queue dead --findings --json = %s", out)
	}
	if table := d.run("queue", "dead", "--findings", "--redis", d.redis.URL()); !strings.Contains(table, "disk full") || !strings.Contains(table, "r9") {
		t.Errorf("queue dead --findings table:\n%s", table)
	}
	if out := d.run("queue", "requeue", "--findings", "--redis", d.redis.URL(), dl.ID); !strings.Contains(out, "requeued 1 findings batch") {
		t.Errorf("queue requeue --findings: %q", out)
	}
	bg := context.Background()
	if n, dead := d.client.XLen(bg, findingsStream).Val(), d.client.XLen(bg, "mw:{findings}:dead").Val(); n != 1 || dead != 0 {
		t.Errorf("after requeue: findings stream %d, dead %d; want 1, 0", n, dead)
	}
}
