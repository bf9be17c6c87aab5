package queue_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/markwatch/markwatch/fakemarket"
	"github.com/markwatch/markwatch/internal/testredis"
	"github.com/markwatch/markwatch/queue"
	"github.com/redis/go-redis/v9"
)

// Failover drills: real `markwatch worker` processes crawl the fake
// marketplace through a Redis Cluster (3 masters, 3 replicas) or a
// Sentinel setup (master, replica, 3 sentinels) while the master holding
// the run's keys, or the findings stream, is SIGKILLed; some drills first
// hold the replica's link back so that the master's last writes die with
// it. Each run must end with every task done, no seed lost, every expected
// finding in the real store (the fake marketplace's ground truth), at most
// 1% of pages fetched twice, and the workers working again soon after the
// failover. The numbers are logged (go test -v -run Failover ./queue/).

const (
	siteRunsKey = "mw:{s:fakemart}:runs" // the slot of the site's queue and the runs' counters
	findingsKey = "mw:{findings}:stream"
	// resumeBound is how soon after the failover the workers must work
	// again: the 10s, measured from when the drill saw the
	// failover done (a generous bound for a loaded machine is not needed:
	// the workers' retry backoff is at most 1s).
	resumeBound = 10 * time.Second
)

// backend is the Redis deployment under a drill.
type backend interface {
	masterOf(t *testing.T, key string) *testredis.Server
	replicaOf(t *testing.T, master *testredis.Server) *testredis.Server
	// waitFailover waits until key's slot has another live master and
	// the deployment is healthy (cluster_state:ok, sentinels agree).
	waitFailover(t *testing.T, key string, old *testredis.Server) time.Time
	// rejoin restarts a killed node as a replica and waits until every
	// master has its replica again.
	rejoin(t *testing.T, old *testredis.Server)
	// promotable waits until killing r's master will fail over to r,
	// whose link has been held back for heldFor (0: not held); the
	// returned func undoes what it changed, once the failover is done.
	promotable(t *testing.T, r *testredis.Server, heldFor time.Duration) (undo func())
}

type clusterBackend struct{ cl *testredis.Cluster }

func (b clusterBackend) masterOf(t *testing.T, key string) *testredis.Server {
	return b.cl.MasterOf(t, key, 30*time.Second)
}
func (b clusterBackend) replicaOf(t *testing.T, m *testredis.Server) *testredis.Server {
	return b.cl.ReplicaOf(t, m)
}
func (b clusterBackend) waitFailover(t *testing.T, key string, old *testredis.Server) time.Time {
	_, at := b.cl.WaitFailover(t, key, old, 60*time.Second)
	return at
}
func (b clusterBackend) rejoin(t *testing.T, old *testredis.Server) {
	old.Restart(t)
	b.cl.WaitReplicated(t, 1, 60*time.Second)
}

// promotable: the Cluster's replicas are always eligible
// (cluster-replica-validity-factor 0), however long they were held.
func (b clusterBackend) promotable(*testing.T, *testredis.Server, time.Duration) func() {
	return func() {}
}

type sentinelBackend struct{ s *testredis.Sentinel }

func (b sentinelBackend) masterOf(t *testing.T, _ string) *testredis.Server {
	return b.s.Master(t, 30*time.Second)
}
func (b sentinelBackend) replicaOf(t *testing.T, m *testredis.Server) *testredis.Server {
	for _, n := range b.s.Data {
		if n != m && n.Alive() {
			return n
		}
	}
	t.Fatal("no live replica")
	return nil
}
func (b sentinelBackend) waitFailover(t *testing.T, _ string, old *testredis.Server) time.Time {
	deadline := time.Now().Add(60 * time.Second)
	for b.s.Master(t, time.Until(deadline)) == old {
		time.Sleep(20 * time.Millisecond)
	}
	return time.Now()
}
func (b sentinelBackend) rejoin(t *testing.T, old *testredis.Server) {
	old.RestartAsReplicaOf(t, b.s.Master(t, 30*time.Second))
	b.s.Replicated(t, 1, 60*time.Second)
}

// promotable: every Sentinel must see r healthy, and a held link must be
// within Sentinel's replica validity window (else no failover ever comes).
func (b sentinelBackend) promotable(t *testing.T, r *testredis.Server, heldFor time.Duration) func() {
	return b.s.ReadyToPromote(t, r, heldFor, 30*time.Second)
}

// foDrill is a drill on a failing-over backend.
type foDrill struct {
	*drill
	be      backend
	st      *drillStore
	f       *queue.Redis
	pages   int64 // pages of a whole run (learnt from the first run)
	workers []*worker
	// longestHold is the longest a replica was held back before its
	// master's kill, since the drill last reset it.
	longestHold time.Duration
}

func newFailoverDrill(t *testing.T, be backend, url string, listings int) *foDrill {
	client, err := queue.DialWith(url, queue.DialOptions{FailoverBudget: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	// The drill's own reads never wait for replicas.
	queue.SetDurability(client, queue.Durability{})
	// A rate that makes a run last a few seconds, so that a kill lands
	// mid-crawl whatever the machine's speed.
	d := newDrillOn(t, url, client, listings, "{requests_per_second: 120, burst: 20}")
	x := &foDrill{drill: d, be: be}
	x.st = d.consume()
	x.f = queue.NewRedis(client, queue.Options{})
	t.Cleanup(func() { x.f.Close() })
	return x
}

// durabilityOff makes every later markwatch command run with durability
// off (a config file saying replicas: 0).
func (x *foDrill) durabilityOff() {
	root, err := filepath.Abs("..")
	if err != nil {
		x.t.Fatal(err)
	}
	file := filepath.Join(x.t.TempDir(), "markwatch.yaml")
	text := fmt.Sprintf("marks: %s\nsignals: %s\nsweeps: %s\ndurability: {replicas: 0}\n",
		filepath.Join(root, "configs", "marks"), filepath.Join(root, "configs", "signals.yaml"), filepath.Join(root, "configs", "sweeps.yaml"))
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		x.t.Fatal(err)
	}
	x.globals = []string{"--config", file}
}

func (x *foDrill) startWorkers() {
	for i := 0; i < 2; i++ {
		x.workers = append(x.workers, x.startWorker("--concurrency", "4", "--lease", "20s"))
	}
}

func (x *foDrill) stopWorkers() {
	for i, w := range x.workers {
		var errs []string
		for _, line := range strings.Split(w.logText(), "\n") {
			if strings.Contains(line, `"level":"ERROR"`) || strings.Contains(line, `"level":"WARN"`) {
				errs = append(errs, line)
			}
		}
		x.t.Logf("worker %d: %d warnings and errors:\n%s", i, len(errs), strings.Join(errs[:min(len(errs), 40)], "\n"))
		x.sigterm(w, 60*time.Second)
	}
	x.workers = nil
}

// enqueueQuery seeds one query; it returns the command's error (a seed
// that could not be confirmed exits non-zero).
func (x *foDrill) enqueueQuery(run string, queries ...string) error {
	args := append(append([]string{"--sites", x.sites, "--log-level", "warn"}, x.globals...),
		"enqueue", "--redis", x.url, "--site", "fakemart", "--run", run)
	for _, q := range queries {
		args = append(args, "--query", q)
	}
	out, err := exec.Command(x.bin, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// seed enqueues every query, one call each, re-running a call that exited
// non-zero (safe: dedup); it returns how many calls exited non-zero.
// between runs after the i-th call.
func (x *foDrill) seed(run string, between func(i int)) (failed int) {
	for i, q := range x.cat.Queries() {
		for attempt := 0; ; attempt++ {
			err := x.enqueueQuery(run, q)
			if err == nil {
				break
			}
			failed++
			x.t.Logf("enqueue %q exited non-zero (re-running it): %v", q, err)
			if attempt == 3 {
				x.t.Fatalf("enqueue %q failed 4 times", q)
			}
		}
		if between != nil {
			between(i)
		}
	}
	return failed
}

func (x *foDrill) done(run string) int64 {
	st, err := x.f.Stats(context.Background(), run)
	if err != nil {
		return 0
	}
	return st.Done
}

func (x *foDrill) waitDone(run string, at int64) {
	waitFor(x.t, fmt.Sprintf("run %s at %d pages", run, at), 120*time.Second, func() bool { return x.done(run) >= at })
}

// kill SIGKILLs the master of key (holding its replica's link back first
// when hold is set, then running held while the writes pile up on the
// master alone), waits for the failover and restarts the killed node as a
// replica; it returns when the failover was seen done, and a wait for the
// rejoin.
func (x *foDrill) kill(key string, hold bool, held func(master *testredis.Server)) (okAt time.Time, rejoined func()) {
	t := x.t
	m := x.be.masterOf(t, key)
	r := x.be.replicaOf(t, m)
	var heldSince time.Time
	if hold {
		heldSince = time.Now()
		r.HoldReplication(t)
		if held != nil {
			held(m)
		}
	}
	var heldFor time.Duration
	if hold {
		heldFor = time.Since(heldSince)
	}
	readyFrom := time.Now()
	undo := x.be.promotable(t, r, heldFor)
	ready := time.Since(readyFrom)
	lag := replicationLag(m, r)
	killedAt := time.Now()
	m.Kill()
	if hold {
		x.longestHold = max(x.longestHold, killedAt.Sub(heldSince))
	}
	okAt = x.be.waitFailover(t, key, m)
	undo()
	if hold {
		r.LetReplicate(t)
	}
	t.Logf("killed master %s of %s at %s (replica %s bytes behind just before, held back for %v, promotable after %v); failover done after %v", m.Addr, key, killedAt.Format("15:04:05.000"), lag, heldFor.Round(time.Millisecond), ready.Round(time.Millisecond), okAt.Sub(killedAt).Round(time.Millisecond))
	done := make(chan struct{})
	go func() { defer close(done); x.be.rejoin(t, m) }()
	return okAt, func() { <-done }
}

// replicationLag is how far the replica's offset was behind the master's
// (both read just before a kill: the drill's report of the window).
func replicationLag(m, r *testredis.Server) string {
	off := func(s *testredis.Server, field string) string {
		c := redis.NewClient(&redis.Options{Addr: s.Addr})
		defer c.Close()
		info, _ := c.Info(context.Background(), "replication").Result()
		for _, line := range strings.Split(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
				return v
			}
		}
		return "?"
	}
	mo, ro := off(m, "master_repl_offset"), off(r, "slave_repl_offset")
	var a, b int64
	if _, err := fmt.Sscan(mo, &a); err != nil {
		return "?"
	}
	if _, err := fmt.Sscan(ro, &b); err != nil {
		return "?"
	}
	return fmt.Sprint(a - b)
}

// watchResume starts watching, right after the failover was seen done at
// okAt, for the run's next progress; the returned func waits for it and
// says how long after okAt it came.
func (x *foDrill) watchResume(run string, okAt time.Time) func() time.Duration {
	return x.watchResumeFrom(run, okAt, x.done(run))
}

// watchResumeFrom is watchResume from a count of done pages read before.
func (x *foDrill) watchResumeFrom(run string, okAt time.Time, base int64) func() time.Duration {
	ch := make(chan time.Duration, 1)
	go func() {
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			if x.done(run) > base {
				ch <- time.Since(okAt)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		ch <- -1
	}()
	return func() time.Duration {
		d := <-ch
		if d < 0 {
			st, err := x.f.Stats(context.Background(), run)
			x.t.Fatalf("run %s made no progress within 60s of the failover: %+v %v\n%s", run, st, err, x.workerLogs())
		}
		return d
	}
}

// runApart returns a run id whose own slot (where its seeds are recorded)
// is on another master than the site's queue, when the deployment has
// several masters: a seed lost with the site's master is then detected
// (seeds.go). With one master (Sentinel) it returns base.
func (x *foDrill) runApart(base string) string {
	cb, ok := x.be.(clusterBackend)
	if !ok {
		return base
	}
	site := cb.cl.MasterOf(x.t, siteRunsKey, 30*time.Second)
	for i := 0; ; i++ {
		run := fmt.Sprintf("%s%d", base, i)
		if cb.cl.MasterOf(x.t, "mw:{r:"+run+"}:seeds", 30*time.Second) != site {
			return run
		}
	}
}

// refetchBound is how many pages a run may fetch twice: the 1%,
// on a Cluster and with Sentinel alike. (A lease or an ack the master
// answered just before it died is confirmed with WAIT, or checked on the
// promoted replica: durable.go.)
func (x *foDrill) refetchBound(pages int64) int64 {
	return pages / 100
}

// resumeBound is how soon after the failover the workers must work again:
// the 10s, on a Cluster and with Sentinel alike.
func (x *foDrill) resumeBound() time.Duration {
	return resumeBound
}

// signalWorkers sends sig to every worker process (SIGSTOP, SIGCONT).
func (x *foDrill) signalWorkers(sig syscall.Signal) {
	for _, w := range x.workers {
		if err := w.cmd.Process.Signal(sig); err != nil {
			x.t.Errorf("signal %v to worker %d: %v", sig, w.cmd.Process.Pid, err)
		}
	}
}

func (x *foDrill) multiMaster() bool { _, ok := x.be.(clusterBackend); return ok }

// workerLogs returns the tail of each worker's log.
func (x *foDrill) workerLogs() string {
	var b strings.Builder
	for i, w := range x.workers {
		lines := strings.Split(strings.TrimSpace(w.logText()), "\n")
		fmt.Fprintf(&b, "--- worker %d (%d lines), last lines:\n%s\n", i, len(lines), strings.Join(lines[max(0, len(lines)-30):], "\n"))
	}
	return b.String()
}

// waitIdle waits until nothing of the run is queued or leased.
func (x *foDrill) waitIdle(run string) {
	waitFor(x.t, "run "+run+" idle", 120*time.Second, func() bool {
		st, err := x.f.Stats(context.Background(), run)
		return err == nil && st.Queued == 0 && st.Leased == 0 && st.Done > 0
	})
}

// outcome is what a drill run measured.
type outcome struct {
	name                 string
	pages, refetched     int64
	lostSeeds, enqFailed int64
	seedsRolledBack      int64 // seeds queue stats reported lost before re-seeding
	resume               []time.Duration
	expected, stored     int
	lostBatches          int
}

// finish waits for the run, checks the store and returns the numbers.
// strict: every expected finding must be stored and refetches at most 1%.
func (x *foDrill) finish(o *outcome, run string, since int, strict bool, boundRefetch ...bool) {
	t := x.t
	t.Helper()
	// The next run gets a store of its own (checkStored wants one verdict
	// per listing).
	defer func() { x.st.pause(); x.st = x.consume() }()
	st := x.waitFinished(x.f, run, 180*time.Second)
	o.pages, o.lostSeeds = st.Done, st.LostSeeds
	if st.Queued != 0 || st.Leased != 0 || st.Dead != 0 || st.LostSeeds != 0 {
		t.Errorf("%s: run ended with queued %d leased %d dead %d lost seeds %d", o.name, st.Queued, st.Leased, st.Dead, st.LostSeeds)
	}
	if x.pages == 0 {
		x.pages = st.Done
	} else if st.Done != x.pages {
		t.Errorf("%s: %d pages done, the catalogue has %d", o.name, st.Done, x.pages)
	}
	// Every page of the run fetched, at most 1% twice.
	// seen: each page's fetch times.
	seen := map[string][]string{}
	for _, r := range x.market.Requests()[since:] {
		if r.Site == "mart" && r.Path != "/robots.txt" {
			seen[r.URI] = append(seen[r.URI], r.Time.Format("15:04:05.000"))
		}
	}
	var twice []string
	for uri, at := range seen {
		o.refetched += int64(len(at) - 1)
		if len(at) > 1 {
			twice = append(twice, fmt.Sprintf("%s at %s", uri, strings.Join(at, ", ")))
		}
	}
	if len(twice) > 0 {
		sort.Strings(twice)
		t.Logf("%s: fetched more than once: %s", o.name, strings.Join(twice[:min(len(twice), 20)], "; "))
	}
	if int64(len(seen)) != st.Done {
		t.Errorf("%s: %d distinct pages fetched, %d done", o.name, len(seen), st.Done)
	}
	if (len(boundRefetch) == 0 && strict || len(boundRefetch) > 0 && boundRefetch[0]) && o.refetched > x.refetchBound(st.Done) {
		t.Errorf("%s: %d of %d pages fetched twice, want at most %d", o.name, o.refetched, st.Done, x.refetchBound(st.Done))
	}
	want, _ := x.reachable()
	expect := x.expectFindings(context.Background(), want)
	x.waitConsumed(5 * time.Minute) // only against a hang
	o.expected = len(expect)
	if strict {
		o.stored, _ = x.st.checkStored(t, context.Background(), run, expect)
	} else {
		r, err := x.st.st.Run(context.Background(), run)
		if err != nil {
			t.Fatal(err)
		}
		o.stored = r.Findings
	}
	for _, d := range o.resume {
		if d > x.resumeBound() {
			t.Errorf("%s: workers resumed %v after the failover, want within %v", o.name, d, x.resumeBound())
		}
	}
}

func (o outcome) String() string {
	rs := make([]string, len(o.resume))
	for i, d := range o.resume {
		rs[i] = d.Round(10 * time.Millisecond).String()
	}
	return fmt.Sprintf("%-34s pages %4d refetched %2d (%.2f%%) resume after failover %v; enqueue non-zero %d; seeds rolled back %d, lost at the end %d; findings stored %d of %d; batches published in the lag lost %d",
		o.name, o.pages, o.refetched, 100*float64(o.refetched)/float64(max(o.pages, 1)), rs, o.enqFailed, o.seedsRolledBack, o.lostSeeds, o.stored, o.expected, o.lostBatches)
}

// heldBatches returns the "run task" of the findings batches on master's
// stream after id from.
func heldBatches(t *testing.T, master *testredis.Server, from string) map[string]bool {
	c := redis.NewClient(&redis.Options{Addr: master.Addr})
	defer c.Close()
	msgs, err := c.XRange(context.Background(), findingsKey, "("+from, "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, m := range msgs {
		raw, _ := m.Values["b"].(string)
		var b struct{ Run, Task string }
		if err := json.Unmarshal([]byte(raw), &b); err == nil {
			out[b.Run+" "+b.Task] = true
		}
	}
	return out
}

func lastID(t *testing.T, master *testredis.Server, key string) string {
	c := redis.NewClient(&redis.Options{Addr: master.Addr})
	defer c.Close()
	msgs, err := c.XRevRangeN(context.Background(), key, "+", "-", 1).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) == 0 {
		return "0-0"
	}
	return msgs[0].ID
}

// seenCount is how many dedup hashes of run the master holds.
func seenCount(master *testredis.Server, run string) int64 {
	c := redis.NewClient(&redis.Options{Addr: master.Addr})
	defer c.Close()
	n, _ := c.SCard(context.Background(), "mw:{s:fakemart}:seen:"+run).Result()
	return n
}

// Plain kills: the run's master during seeding, mid-crawl and near the
// end, and the findings master mid-crawl.
func (x *foDrill) plainKills(prefix string, findingsToo bool) []outcome {
	var out []outcome
	// Run 1: the site's master dies during seeding (and, on a Cluster,
	// the findings master mid-crawl).
	{
		o := outcome{name: prefix + " kill during seeding"}
		run := prefix + "-seeding"
		since := len(x.market.Requests())
		// The findings master dies a little later, still during seeding
		// (the first queries' pages are being crawled meanwhile).
		if findingsToo {
			o.name += ", findings master mid-crawl"
		}
		var rejoined func()
		var resumed []func() time.Duration
		o.enqFailed = int64(x.seed(run, func(i int) {
			switch {
			case i == 2, i == 5 && findingsToo:
				if rejoined != nil {
					rejoined()
				}
				key := siteRunsKey
				if i == 5 {
					key = findingsKey
				}
				var okAt time.Time
				okAt, rejoined = x.kill(key, false, nil)
				resumed = append(resumed, x.watchResume(run, okAt))
			}
		}))
		for _, r := range resumed {
			o.resume = append(o.resume, r())
		}
		rejoined()
		x.finish(&o, run, since, true)
		out = append(out, o)
	}
	// Run 2: the site's master dies mid-crawl, then (its replica promoted,
	// the old one back as a replica) the new one near the end.
	{
		o := outcome{name: prefix + " kill mid-crawl and near the end"}
		run := prefix + "-crawl"
		since := len(x.market.Requests())
		// One enqueue: the whole run is queued at once, so that the crawl
		// lasts long enough for both kills.
		if err := x.enqueueQuery(run, x.cat.Queries()...); err != nil {
			x.t.Fatal(err)
		}
		x.waitDone(run, x.pages*4/10)
		okAt, rejoined := x.kill(siteRunsKey, false, nil)
		o.resume = append(o.resume, x.watchResume(run, okAt)())
		rejoined()
		x.waitDone(run, x.pages*8/10)
		okAt, rejoined = x.kill(siteRunsKey, false, nil)
		// One read decides and is the base of the watch: read twice, the
		// run could finish in between and never progress past the base.
		// (done reads 0 when Stats fails just after a failover: retry.)
		var base int64
		waitFor(x.t, "run "+run+" stats after the failover", 30*time.Second, func() bool {
			st, err := x.f.Stats(context.Background(), run)
			base = st.Done
			return err == nil
		})
		if base < x.pages {
			o.resume = append(o.resume, x.watchResumeFrom(run, okAt, base)())
		} else {
			x.t.Logf("%s: the run finished before the second kill took effect (a slow machine)", o.name)
		}
		rejoined()
		x.finish(&o, run, since, true)
		out = append(out, o)
	}
	return out
}

// laggedKills holds the replica back before the kill: of the site's master
// while seeds are written, and of the findings master while findings are
// published (the store's consumer paused, as a serve that lags). With
// durability on nothing is lost; with it off the drill shows the risk the
// README states: seeds written in the window vanish (and queue stats says
// so: lost_seeds, not finished, until they are seeded again) and findings
// batches published in the window vanish (their tasks acked: not
// detected).
func (x *foDrill) laggedKills(prefix string, durable bool) outcome {
	t := x.t
	o := outcome{name: prefix + " lagged replica"}
	x.longestHold = 0
	run := x.runApart(prefix + "-lag")
	since := len(x.market.Requests())
	queries := x.cat.Queries()
	// Seeds: the first half normally (crawled before the lag, so that
	// no lease or ack dies with the master), then one more while the
	// replica is held, killed as soon as the master has it.
	half := len(queries) / 2
	for _, q := range queries[:half] {
		if err := x.enqueueQuery(run, q); err != nil {
			t.Fatal(err)
		}
	}
	x.waitIdle(run)
	var heldErr error
	heldDone := make(chan struct{})
	_, rejoined := x.kill(siteRunsKey, true, func(m *testredis.Server) {
		before := seenCount(m, run)
		go func() { defer close(heldDone); heldErr = x.enqueueQuery(run, queries[half]) }()
		waitFor(t, "the held seed to reach the master", 30*time.Second, func() bool { return seenCount(m, run) > before })
	})
	<-heldDone
	rejoined()
	if heldErr != nil {
		o.enqFailed++
		t.Logf("%s: held enqueue exited non-zero: %v", o.name, heldErr)
	}
	// With durability on, the held seed's WAIT either outlives the kill
	// (the client repeats the write on the promoted replica: exit 0) or
	// times out first, when the kill comes later than the durability
	// timeout (a loaded machine): then enqueue must say the seed is not
	// durable, and the documented remedy (run the same enqueue again)
	// must succeed. Either way no seed may be lost.
	if durable && heldErr != nil {
		if !strings.Contains(heldErr.Error(), "no replica confirmed them") {
			t.Errorf("%s: with durability on the held seed failed for another reason than an unconfirmed write: %v", o.name, heldErr)
		}
		if err := x.enqueueQuery(run, queries[half]); err != nil {
			t.Errorf("%s: re-running the unconfirmed enqueue after the failover: %v", o.name, err)
		}
	}
	st, err := x.f.Stats(context.Background(), run)
	if err != nil {
		t.Fatal(err)
	}
	o.seedsRolledBack = st.LostSeeds
	switch {
	case durable && st.LostSeeds != 0:
		t.Errorf("%s: with durability on %d seeds are lost; want 0", o.name, st.LostSeeds)
	case !durable && x.multiMaster() && heldErr == nil && st.LostSeeds != 1:
		t.Errorf("%s: with durability off the seed written during the lag was confirmed (exit 0); queue stats says %d seeds lost, want 1 (the README's stated risk, detected)", o.name, st.LostSeeds)
	}
	if !durable && x.multiMaster() && st.Finished {
		t.Errorf("%s: a run with lost seeds reported finished: %+v", o.name, st)
	}
	// The workers are stopped (SIGSTOP) from before the re-seeding until
	// the findings replica below is held: else a fast crawl can finish
	// the re-seeded half before the hold is in place, and no batch is left
	// to publish during the lag. A stop of a few seconds is well within
	// the workers' 20s lease.
	x.signalWorkers(syscall.SIGSTOP)
	defer x.signalWorkers(syscall.SIGCONT) // also when the drill fails meanwhile
	// Re-seeding every query is safe and puts a lost seed back (one call,
	// so that the run has pages left to crawl once it returns).
	if err := x.enqueueQuery(run, queries[half:]...); err != nil {
		t.Fatal(err)
	}
	// Findings: hold the findings master's replica mid-crawl, with the
	// store's consumer paused, until several batches are on the master
	// alone; kill it.
	// (The re-seeded half is still to crawl when the workers go on, so
	// they are publishing.)
	x.st.pause()
	// Item pages answer slowly until the kill, so that pages leased (and
	// confirmed) before the hold are in flight during it and publish
	// their findings batches on the held master alone. Pages leased
	// during the hold wait for the replica (up to 2 s, queue/durable.go):
	// a lag shorter than that redoes nothing; work leased after the wait
	// gave up dies with the master and is done again.
	x.market.SetFaults(fakemarket.FaultRule{Site: "mart", PathPrefix: "/mart/item/",
		Fault: fakemarket.Fault{Kind: fakemarket.FaultSlow, Delay: time.Second}})
	defer x.market.SetFaults() // also when the drill fails meanwhile
	inFlightFrom := len(x.market.Requests())
	x.signalWorkers(syscall.SIGCONT)
	waitFor(t, "item pages in flight before the hold", 60*time.Second, func() bool {
		n := 0
		for _, r := range x.market.Requests()[inFlightFrom:] {
			if r.Status == 0 && strings.HasPrefix(r.Path, "/mart/item/") {
				n++
			}
		}
		return n >= 4
	})
	var held map[string]bool
	okAt, rejoined := x.kill(findingsKey, true, func(m *testredis.Server) {
		from := lastID(t, m, findingsKey)
		deadline := time.Now().Add(60 * time.Second)
		for held = heldBatches(t, m, from); len(held) < 3; held = heldBatches(t, m, from) {
			if time.Now().After(deadline) {
				st, err := x.f.Stats(context.Background(), run)
				t.Fatalf("%s: %d findings batches published on %s during the lag after 60s (from %s), want 3; run %+v %v\n%s",
					o.name, len(held), m.Addr, from, st, err, x.workerLogs())
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	x.market.SetFaults()
	resumed := x.watchResume(run, okAt)
	x.st.resume()
	o.resume = append(o.resume, resumed())
	rejoined()
	store := x.st
	// Work the workers did on the held master during the lag (the held
	// seed leased and crawled, its follow-ups; with Sentinel, or when the
	// findings master also holds the site's queue, every lease and ack of
	// the lag) dies with it and is done again: reported, not bounded.
	// With durability on, a lease or an ack waits up to 2 s for the
	// replica: when every hold was shorter (with a margin), nothing leased
	// during a lag was worked unconfirmed, and at most 1 % of pages may be
	// fetched twice. A longer hold (a loaded machine) is reported only.
	bound := durable && x.longestHold < 1800*time.Millisecond
	t.Logf("%s: longest hold %v; refetches bounded: %v", o.name, x.longestHold.Round(time.Millisecond), bound)
	x.finish(&o, run, since, durable, bound)
	store.mu.Lock()
	for task := range held {
		if !store.tasks[task] {
			o.lostBatches++
		}
	}
	store.mu.Unlock()
	if durable && o.lostBatches != 0 {
		t.Errorf("%s: %d of the %d findings batches published during the lag were never stored", o.name, o.lostBatches, len(held))
	}
	if !durable && o.lostBatches == 0 {
		t.Errorf("%s: with durability off none of the %d batches published during the lag was lost; the drill did not reproduce the README's risk", o.name, len(held))
	}
	return o
}

func TestFailoverDrillCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("failover drill; skipped with -short")
	}
	t.Parallel()
	cl := testredis.StartClusterWith(t, testredis.ClusterOptions{Masters: 3, Replicas: 1, NodeTimeout: time.Second})
	url := "redis://" + strings.Join(cl.Addrs, ",redis://")
	x := newFailoverDrill(t, clusterBackend{cl}, url, 1000)
	start := time.Now()
	x.startWorkers()
	var all []outcome
	all = append(all, x.plainKills("cluster", true)...)
	all = append(all, x.laggedKills("cluster durable", true))
	x.stopWorkers()
	x.durabilityOff()
	x.startWorkers()
	all = append(all, x.laggedKills("cluster not durable", false))
	x.stopWorkers()
	report(t, all, start)
}

func TestFailoverDrillSentinel(t *testing.T) {
	if testing.Short() {
		t.Skip("failover drill; skipped with -short")
	}
	t.Parallel()
	s := testredis.StartSentinel(t, 1, 3, 500*time.Millisecond)
	// A larger catalogue than the Cluster's: the Sentinels take seconds to
	// list a rejoined node as promotable again, and a shorter run would
	// finish before the near-the-end kill.
	x := newFailoverDrill(t, sentinelBackend{s}, s.URL(), 1500)
	start := time.Now()
	x.startWorkers()
	all := x.plainKills("sentinel", false)
	all = append(all, x.laggedKills("sentinel durable", true))
	x.stopWorkers()
	x.durabilityOff()
	x.startWorkers()
	x.rollbackReported("sentinel not durable")
	x.stopWorkers()
	report(t, all, start)
}

// rollbackReported: with durability off on one master (Sentinel), a seed
// enqueued while the replica is held back is crawled and its findings
// stored by serve before the master dies. Everything of it rolls back
// together (its seed record, dedup hash, counters, findings entries), so
// inside Redis the run looks finished as before the seed. serve's store
// saw more: a higher done (read during the lag, as serve's pass over the
// runs would) and pages whose findings it holds. The check serve runs
// (queue.RollbackOf on what its store recorded) marks the run, and
// `queue stats` reports it rolled back, not finished.
func (x *foDrill) rollbackReported(name string) {
	t := x.t
	ctx := context.Background()
	run := x.runApart(name + "-rb")
	queries := x.cat.Queries()
	if err := x.enqueueQuery(run, queries[0]); err != nil {
		t.Fatal(err)
	}
	x.waitIdle(run)
	st := x.st.st
	storedBefore, err := st.RunPages(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	doneBefore := x.done(run)
	var seen int64
	_, rejoined := x.kill(siteRunsKey, true, func(*testredis.Server) {
		if err := x.enqueueQuery(run, queries[1]); err != nil {
			t.Fatalf("%s: enqueue during the lag: %v", name, err)
		}
		waitFor(t, "pages of the seed enqueued during the lag done and stored by serve", 60*time.Second, func() bool {
			n, err := st.RunPages(ctx, run)
			return err == nil && n > storedBefore && x.done(run) > doneBefore
		})
		s, err := x.f.Stats(ctx, run)
		if err != nil {
			t.Fatal(err)
		}
		if seen, err = st.ObserveDone(ctx, run, s.Done); err != nil {
			t.Fatal(err)
		}
	})
	rejoined()
	x.waitIdle(run)
	s, err := x.f.Stats(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := st.RunPages(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	if s.Done >= seen {
		t.Fatalf("%s: done %d after the failover, %d read during the lag: nothing rolled back, the drill did not reproduce the risk", name, s.Done, seen)
	}
	if !s.Finished || s.LostSeeds != 0 {
		t.Errorf("%s: inside Redis the rolled back run should look finished with no lost seed (the gap serve closes): %+v", name, s)
	}
	b := queue.RollbackOf(s, seen, stored)
	if b == nil {
		t.Fatalf("%s: rollback not detected: %+v, done read during the lag %d, pages stored %d", name, s, seen, stored)
	}
	t.Logf("%s: rolled back from done %d (read during the lag) to %d; pages stored %d against %d settled tasks (the stored-pages check alone %s)",
		name, seen, s.Done, stored, s.Done+s.Dead+s.Cancelled, map[bool]string{true: "would have caught it", false: "would not: pages without findings outnumber the rolled back pages with"}[queue.RollbackOf(s, 0, stored) != nil])
	if err := x.f.SetRollback(ctx, run, b); err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{"--sites", x.sites, "--log-level", "warn"}, x.globals...), "queue", "stats", "--redis", x.url, "--run", run)
	out, err := exec.Command(x.bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("queue stats: %v: %s", err, out)
	}
	if !strings.Contains(string(out), "rolled back: frontier done") {
		t.Errorf("%s: queue stats does not report the rollback:\n%s", name, out)
	}
}

var reportMu sync.Mutex

func report(t *testing.T, all []outcome, start time.Time) {
	reportMu.Lock()
	defer reportMu.Unlock()
	lines := make([]string, len(all))
	for i, o := range all {
		lines[i] = o.String()
	}
	sort.Strings(lines)
	t.Logf("failover drill results (%v):\n%s", time.Since(start).Round(time.Second), strings.Join(lines, "\n"))
}
