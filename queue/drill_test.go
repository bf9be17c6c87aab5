package queue_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/markwatch/markwatch/configs"
	"github.com/markwatch/markwatch/fakemarket"
	"github.com/markwatch/markwatch/internal/testredis"
	"github.com/markwatch/markwatch/queue"
	"github.com/redis/go-redis/v9"
)

// The drills run real `markwatch worker` processes against a private
// redis-server and the fake marketplace, and check what the issue promises:
// a SIGKILLed worker loses nothing, a Redis restart loses nothing (both
// checked on the real store the findings consumer writes: every expected
// finding stored, exactly once, nothing else), a fleet stays under a
// site's rate, and an item page is fetched once.

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// markwatchBinary builds cmd/markwatch once per test process, without the
// race detector: the drills test the processes' behaviour, and an
// instrumented binary crawls five times slower. MARKWATCH_BIN names a
// prebuilt binary instead.
func markwatchBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("MARKWATCH_BIN"); p != "" {
		return p
	}
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "markwatch-drill-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "markwatch")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/markwatch/markwatch/cmd/markwatch").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build markwatch: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// drill is one fake marketplace, one redis-server and a sites directory
// whose fakemart adapter points at the fake marketplace.
type drill struct {
	t      *testing.T
	bin    string
	redis  *testredis.Server // nil for drills on a Cluster or Sentinel
	url    string            // the Redis URL workers and commands get
	client redis.UniversalClient
	// globals are extra global flags for every markwatch command (--config).
	globals []string
	market  *fakemarket.Server
	cat     *fakemarket.Catalogue
	sites   string // directory with fakemart.yaml
	mu      sync.Mutex
	procs   []*worker
}

type worker struct {
	cmd  *exec.Cmd
	done chan error
	log  *bytes.Buffer
	mu   *sync.Mutex
}

func newDrill(t *testing.T, listings int, rate string, market ...fakemarket.Options) *drill {
	if testing.Short() {
		t.Skip("drill runs worker processes; skipped with -short")
	}
	// Every drill has its own redis-server, fake marketplace and worker
	// processes: they run beside each other (and beside the failover
	// drills, which mostly wait for failovers).
	t.Parallel()
	srv := testredis.Start(t)
	d := newDrillOn(t, srv.URL(), srv.Client(), listings, rate, market...)
	d.redis = srv
	return d
}

// newDrillOn is newDrill on a Redis of the test's choosing.
func newDrillOn(t *testing.T, url string, client redis.UniversalClient, listings int, rate string, market ...fakemarket.Options) *drill {
	if testing.Short() {
		t.Skip("drill runs worker processes; skipped with -short")
	}
	d := &drill{t: t, bin: markwatchBinary(t), url: url, client: client}
	d.cat = fakemarket.Generate(7, fakemarket.WithListings(listings))
	var mo fakemarket.Options
	if len(market) > 0 {
		mo = market[0]
	}
	d.market = fakemarket.New(d.cat, mo)
	urls, err := d.market.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.market.Close() })
	adapter, err := configs.FS.ReadFile("sites/fakemart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := regexp.MustCompile(`(?m)^base_url: .*$`).ReplaceAllString(string(adapter), "base_url: "+urls.Mart)
	text = regexp.MustCompile(`(?m)^rate: .*$`).ReplaceAllString(text, "rate: "+rate)
	d.sites = t.TempDir()
	if err := os.WriteFile(filepath.Join(d.sites, "fakemart.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.stopAll)
	return d
}

// run runs a markwatch command to completion and returns its stdout.
func (d *drill) run(args ...string) string {
	d.t.Helper()
	cmd := exec.Command(d.bin, append(append([]string{"--sites", d.sites, "--log-level", "warn"}, d.globals...), args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		d.t.Fatalf("markwatch %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String()
}

// startWorker starts `markwatch worker` as a process.
func (d *drill) startWorker(extra ...string) *worker {
	d.t.Helper()
	args := append(append([]string{"--sites", d.sites, "--log-level", "info"}, d.globals...), "worker", "--redis", d.url, "--metrics", "")
	args = append(args, extra...)
	cmd := exec.Command(d.bin, args...)
	w := &worker{cmd: cmd, done: make(chan error, 1), log: &bytes.Buffer{}, mu: &sync.Mutex{}}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = io.Discard, pw
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			w.mu.Lock()
			if w.log.Len() < 1<<20 {
				w.log.WriteString(sc.Text() + "\n")
			}
			w.mu.Unlock()
		}
	}()
	if err := cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	go func() { err := cmd.Wait(); pw.Close(); w.done <- err }()
	d.mu.Lock()
	d.procs = append(d.procs, w)
	d.mu.Unlock()
	// Wait until it is leasing (adapters and marks loaded, signals handled).
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(w.logText(), "worker started") {
		select {
		case err := <-w.done:
			d.t.Fatalf("worker exited at start: %v\n%s", err, w.logText())
		default:
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("worker not started after 60s:\n%s", w.logText())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return w
}

func (w *worker) logText() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.log.String()
}

func (d *drill) stopAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, w := range d.procs {
		_ = w.cmd.Process.Signal(syscall.SIGKILL)
	}
}

// queries seeds a run with every catalogue query through `markwatch enqueue`.
func (d *drill) enqueue(run string) {
	args := []string{"enqueue", "--redis", d.url, "--site", "fakemart", "--run", run}
	for _, q := range d.cat.Queries() {
		args = append(args, "--query", q)
	}
	if got := strings.TrimSpace(d.run(args...)); got != run {
		d.t.Fatalf("enqueue printed %q, want the run id %q", got, run)
	}
}

// waitFinished polls the run's stats until it is finished.
func (d *drill) waitFinished(f *queue.Redis, run string, timeout time.Duration) queue.RunStats {
	d.t.Helper()
	deadline := time.Now().Add(timeout)
	var st queue.RunStats
	for time.Now().Before(deadline) {
		var err error
		st, err = f.Stats(context.Background(), run)
		if err == nil && st.Finished && st.Done > 0 {
			return st
		}
		time.Sleep(100 * time.Millisecond)
	}
	d.t.Fatalf("run %s not finished after %v: %+v", run, timeout, st)
	return st
}

// itemPages counts fetches of item pages by path.
func (d *drill) itemFetches() map[string]int {
	out := map[string]int{}
	for path, n := range d.market.PathHitCounts() {
		if strings.Contains(path, "/item/") {
			out[path] += n
		}
	}
	return out
}

func TestDrillCrashWorker(t *testing.T) {
	// Long enough that the survivors' heartbeats (every third of it) keep
	// their leases on a loaded machine: only the killed worker's tasks may
	// be fetched twice.
	const lease = 10 * time.Second
	d := newDrill(t, 3000, "{requests_per_second: 5000, burst: 50}")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := d.consume()
	f := queue.NewRedis(d.client, queue.Options{})
	defer f.Close()
	const run = "crash-drill"
	d.enqueue(run)
	var workers []*worker
	for i := 0; i < 3; i++ {
		workers = append(workers, d.startWorker("--concurrency", "4", "--lease", lease.String()))
	}
	// Kill one worker with SIGKILL mid-run, while it holds leases.
	victim := workers[0]
	var killedAt time.Time
	deadline := time.Now().Add(60 * time.Second)
	for {
		s, err := f.Stats(ctx, run)
		if err == nil && s.Done >= 300 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("run made no progress: %+v %v\n%s", s, err, victim.logText())
		}
		time.Sleep(20 * time.Millisecond)
	}
	pending := func(pid int) int64 {
		var total int64
		for b := 0; b <= queue.MaxPriority; b++ {
			stream := fmt.Sprintf("mw:{s:fakemart}:q:%d", b)
			res, err := d.client.XPending(ctx, stream, "mw").Result()
			if err != nil {
				continue
			}
			for c, n := range res.Consumers {
				if strings.Contains(c, fmt.Sprintf("-%d-", pid)) {
					total += n
				}
			}
		}
		return total
	}
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killedAt = time.Now()
	<-victim.done
	// Counted once the victim is dead: counted before the kill, a lease
	// taken in between would be missed.
	held := pending(victim.cmd.Process.Pid)
	// How soon the leases come back depends on the surviving workers'
	// recoverer loops and on the machine's load, so it is logged, not
	// asserted; that they come back at all is, with a generous deadline.
	var recovered time.Duration
	for time.Since(killedAt) < 30*lease {
		if pending(victim.cmd.Process.Pid) == 0 {
			recovered = time.Since(killedAt)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if recovered == 0 {
		t.Fatalf("the killed worker's %d leases were not recovered within %v", held, 30*lease)
	}
	final := d.waitFinished(f, run, 180*time.Second)
	t.Logf("killed worker held %d leases; recovered after %v (lease %v, about one lease expected on a quiet machine); run: %+v", held, recovered, lease, final)
	// Every page acknowledged, none lost, none dead.
	if final.Queued != 0 || final.Leased != 0 || final.Dead != 0 || final.Failed != 0 {
		t.Fatalf("run ended with queued %d leased %d dead %d failed %d", final.Queued, final.Leased, final.Dead, final.Failed)
	}
	items := d.itemFetches()
	if final.Done < 900 {
		t.Fatalf("drill crawled %d pages, want at least 900", final.Done)
	}
	search := final.Done - int64(len(items))
	if search <= 0 {
		t.Fatalf("done %d pages, %d item pages: no search pages?", final.Done, len(items))
	}
	// Each item page was fetched once, except those the killed worker had
	// in flight (fetched again after recovery).
	twice := 0
	for path, n := range items {
		if n > 1 {
			twice++
			if n > 2 {
				t.Errorf("%s fetched %d times", path, n)
			}
		}
	}
	if int64(twice) > held {
		t.Errorf("%d item pages fetched twice, but the killed worker held only %d leases", twice, held)
	}
	// Every listing with a finding is stored exactly once by the real
	// store, whatever was delivered twice: exactly the expected listings,
	// one verdict of the run each.
	reachable, _ := d.reachable()
	for path := range reachable {
		if items[path] == 0 {
			t.Errorf("%s never fetched: lost with the killed worker", path)
		}
	}
	consumeStart := time.Now()
	d.waitConsumed(5 * time.Minute) // only against a hang: the store consumes slowly on a loaded machine
	checkStart := time.Now()
	stored, _ := st.checkStored(t, ctx, run, d.expectFindings(ctx, reachable))
	t.Logf("findings consumed %v after the run finished; store checked in %v", checkStart.Sub(consumeStart), time.Since(checkStart))
	for _, w := range workers[1:] {
		_ = w.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-w.done:
			if err != nil {
				t.Errorf("worker exit after SIGTERM: %v\n%s", err, w.logText())
			}
		case <-time.After(60 * time.Second):
			t.Errorf("worker did not exit within 60s of SIGTERM")
		}
	}
	t.Logf("pages %d (search %d, items %d); store counted %d findings of the run from %d deliveries in %d batches; cpus %d",
		final.Done, search, len(items), stored, st.deliveries.Load(), st.batches.Load(), runtime.NumCPU())
}

// reachable returns the item paths of the mart listings the catalogue's
// queries find, and how many (query, listing) discoveries lead to them.
func (d *drill) reachable() (map[string]bool, int) {
	paths := map[string]bool{}
	for _, l := range d.cat.Reachable(fakemarket.SiteMart, d.cat.Queries()...) {
		paths["/mart/item/"+l.ID+".html"] = true
	}
	discoveries := 0
	for _, q := range d.cat.Queries() {
		discoveries += min(len(d.cat.Search(fakemarket.SiteMart, q)), 20*fakemarket.PageSize)
	}
	return paths, discoveries
}

func (d *drill) sigterm(w *worker, within time.Duration) {
	d.t.Helper()
	start := time.Now()
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-w.done:
		if err != nil {
			d.t.Errorf("worker exit after SIGTERM: %v\n%s", err, w.logText())
		}
		d.t.Logf("worker exited %v after SIGTERM", time.Since(start).Round(time.Millisecond))
	case <-time.After(within):
		d.t.Errorf("worker did not exit within %v of SIGTERM", within)
	}
}

// Dedup: listings found by several queries (and a run seeded twice) are
// fetched once each.
func TestDrillDedup(t *testing.T) {
	d := newDrill(t, 900, "{requests_per_second: 5000, burst: 50}")
	f := queue.NewRedis(d.client, queue.Options{})
	defer f.Close()
	const run = "dedup-drill"
	d.enqueue(run)
	d.enqueue(run) // the same seeds again: all dropped
	w1 := d.startWorker("--concurrency", "4", "--lease", "60s")
	w2 := d.startWorker("--concurrency", "4", "--lease", "60s")
	final := d.waitFinished(f, run, 180*time.Second)
	want, discoveries := d.reachable()
	if discoveries <= len(want) {
		t.Fatalf("catalogue gives %d discoveries of %d listings: no overlap, the drill proves nothing", discoveries, len(want))
	}
	items := d.itemFetches()
	for path := range want {
		if items[path] != 1 {
			t.Errorf("%s fetched %d times, want once", path, items[path])
		}
	}
	if len(items) != len(want) {
		t.Errorf("fetched %d distinct item pages, want the %d reachable", len(items), len(want))
	}
	if final.Done != int64(len(items))+int64(final.Pages-int64(len(items))) || final.Dead != 0 {
		t.Errorf("run stats %+v", final)
	}
	mem, err := d.client.MemoryUsage(context.Background(), "mw:{s:fakemart}:seen:"+run, 0).Result()
	if err != nil {
		t.Fatal(err)
	}
	ttl := d.client.PTTL(context.Background(), "mw:{s:fakemart}:seen:"+run).Val()
	if ttl <= 0 {
		t.Errorf("dedup set has no expiry (PTTL %v): it would grow without bound", ttl)
	}
	t.Logf("%d discoveries of %d item pages, each fetched once; dedup set %d entries, %d bytes (%.1f B/entry), expires in %v",
		discoveries, len(want), final.Done, mem, float64(mem)/float64(final.Done), ttl.Round(time.Hour))
	d.sigterm(w1, 60*time.Second)
	d.sigterm(w2, 60*time.Second)
}

// Redis restart: redis-server (appendonly) is restarted mid-run; the
// workers and the store's findings consumer reconnect, the run finishes
// with every page done and every finding stored exactly once.
func TestDrillRedisRestart(t *testing.T) {
	d := newDrill(t, 1200, "{requests_per_second: 5000, burst: 50}")
	st := d.consume()
	f := queue.NewRedis(d.client, queue.Options{})
	defer f.Close()
	const run = "restart-drill"
	d.enqueue(run)
	w1 := d.startWorker("--concurrency", "4", "--lease", "2s")
	w2 := d.startWorker("--concurrency", "4", "--lease", "2s")
	waitFor(t, "progress before the restart", 60*time.Second, func() bool {
		s, err := f.Stats(context.Background(), run)
		return err == nil && s.Done >= 100
	})
	before, _ := f.Stats(context.Background(), run)
	d.redis.Restart(t)
	t.Logf("redis-server restarted at %d pages done", before.Done)
	final := d.waitFinished(f, run, 180*time.Second)
	want, _ := d.reachable()
	items := d.itemFetches()
	for path := range want {
		if items[path] == 0 {
			t.Errorf("%s never fetched: lost in the restart", path)
		}
	}
	if final.Dead != 0 || final.Queued != 0 || final.Leased != 0 {
		t.Errorf("run ended with dead %d queued %d leased %d", final.Dead, final.Queued, final.Leased)
	}
	twice := 0
	for _, n := range items {
		if n > 1 {
			twice++
		}
	}
	// The store's consumer read through the restart too: every expected
	// finding is stored exactly once.
	ctx := context.Background()
	d.waitConsumed(5 * time.Minute) // only against a hang: the store consumes slowly on a loaded machine
	stored, _ := st.checkStored(t, ctx, run, d.expectFindings(ctx, want))
	t.Logf("run %+v; %d item pages, %d fetched more than once (in flight during the restart); store counted %d findings of the run from %d deliveries in %d batches",
		final, len(items), twice, stored, st.deliveries.Load(), st.batches.Load())
	d.sigterm(w1, 60*time.Second)
	d.sigterm(w2, 60*time.Second)
}

// Politeness: 4 workers against a site limited to 20 requests/s (burst 5)
// stay, together, under 20 + 5 requests in any one-second window.
func TestDrillPoliteness(t *testing.T) {
	const rate, burst = 20, 5
	d := newDrill(t, 900, fmt.Sprintf("{requests_per_second: %d, burst: %d}", rate, burst))
	const run = "polite-drill"
	d.enqueue(run)
	var ws []*worker
	for i := 0; i < 4; i++ {
		ws = append(ws, d.startWorker("--concurrency", "4", "--lease", "5s"))
	}
	// Work until the fleet has made enough requests to measure, however
	// slowly the workers start on a loaded machine.
	const want = 4 * rate
	waitRequests := time.Now().Add(60 * time.Second)
	for countMart(d.market.Requests()) < want {
		if time.Now().After(waitRequests) {
			t.Fatalf("only %d requests in 60s: the fleet did not work", countMart(d.market.Requests()))
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, w := range ws {
		d.sigterm(w, 60*time.Second)
	}
	var times []time.Time
	for _, r := range d.market.Requests() {
		if r.Site == fakemarket.SiteMart && r.URI != "/robots.txt" {
			times = append(times, r.Time)
		}
	}
	// The bucket grants at most rate a second plus the burst, fleet-wide.
	// The server sees each request some time after its grant, and that
	// delay grows with the machine's load, so a one-second window of
	// arrivals can hold more than a second's grants; the whole run's count
	// cannot, give or take one second of delays at its ends. Without the
	// fleet-wide bucket each process allows rate+burst on its own: 4
	// workers would reach about 4x.
	span := times[len(times)-1].Sub(times[0])
	limit := int(float64(rate)*(span.Seconds()+1)) + burst
	if len(times) > limit {
		t.Fatalf("%d requests in %v, limit %d (rate %d/s over the span plus a second, burst %d)", len(times), span, limit, rate, burst)
	}
	best, lo := 0, 0
	for hi := range times {
		for times[hi].Sub(times[lo]) >= time.Second {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	t.Logf("%d requests in %v (limit %d); busiest one-second window of arrivals %d (rate %d + burst %d)", len(times), span.Round(time.Millisecond), limit, best, rate, burst)
}

func countMart(reqs []fakemarket.Request) int {
	n := 0
	for _, r := range reqs {
		if r.Site == fakemarket.SiteMart && r.URI != "/robots.txt" {
			n++
		}
	}
	return n
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}
