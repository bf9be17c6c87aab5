package pipeline

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/crawler"
	"github.com/markwatch/markwatch/fakemarket"
	"github.com/markwatch/markwatch/internal/testredis"
	"github.com/markwatch/markwatch/queue"
)

// waitFor polls cond until it holds, failing after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A site that starts serving a slider check is blocked, not broken: two
// workers (two frontiers on one Redis, as two processes) release the
// blocked tasks without spending retries, the site pauses for the whole
// fleet (no worker leases its tasks while the pause lasts, on a clock that
// does not move), nothing is dead-lettered, and once resumed the run
// finishes.
func TestBlockedSitePausesTheFleet(t *testing.T) {
	rs := testredis.Start(t)
	client := rs.Client()
	market := fakemarket.New(fakemarket.Generate(1, fakemarket.WithListings(90)), fakemarket.Options{})
	urls, err := market.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer market.Close()
	const sliderAfter = 6
	market.SetFaults(fakemarket.FaultRule{Site: fakemarket.SiteMart, PathPrefix: "/mart/", Fault: fakemarket.Fault{Kind: fakemarket.FaultSlider, N: sliderAfter}})

	site, err := crawler.LoadSite(config.Dir("../configs/sites/fakemart.yaml"), "")
	if err != nil {
		t.Fatal(err)
	}
	if site, err = site.Rebase(urls.Mart); err != nil {
		t.Fatal(err)
	}
	var clockMu sync.Mutex
	now := time.Now()
	clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	opts := func(consumer string) queue.Options {
		return queue.Options{Now: clock, Retries: 3, PauseBase: time.Hour, PauseMax: 4 * time.Hour, Consumer: consumer}
	}
	frontiers := []*queue.Redis{queue.NewRedis(client, opts("w1")), queue.NewRedis(client, opts("w2"))}
	var crawlMetrics []*crawler.Metrics
	var workers []*Worker
	for _, f := range frontiers {
		defer f.Close()
		m := crawler.NewMetrics(nil)
		crawlMetrics = append(crawlMetrics, m)
		cr := crawler.New(config.Crawl{}, map[string]*crawler.Site{site.Name: site}, crawler.WithMetrics(m))
		w := newWorker(f, cr, &recordingSink{}, nil)
		w.Lease, w.Retries = 30*time.Second, 3
		workers = append(workers, w)
	}
	const run = "blocked-run"
	var seeds []markwatch.Task
	for _, q := range []string{"耐克", "阿迪达斯", "茅台", "李宁"} {
		seeds = append(seeds, site.SearchTask(run, q, 1))
	}
	ctx := context.Background()
	if _, err := frontiers[0].Add(ctx, seeds...); err != nil {
		t.Fatal(err)
	}

	// Phase 1: the workers run into the slider.
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() { defer wg.Done(); _ = w.Run(runCtx, nil) }()
	}
	paused := func() (queue.SiteState, bool) {
		states, err := frontiers[1].SiteStates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range states {
			if s.Site == site.Name {
				return s, s.Paused
			}
		}
		return queue.SiteState{}, false
	}
	waitFor(t, "the site to pause", func() bool { _, ok := paused(); return ok })
	waitFor(t, "the blocked tasks to be released", func() bool {
		st, err := frontiers[0].Stats(ctx, run)
		return err == nil && st.Leased == 0
	})
	// Both workers keep leasing for a while: none may take the paused
	// site's tasks (the clock does not move, so the pause cannot end).
	before := len(market.Requests())
	for _, f := range frontiers {
		for range 20 {
			tasks, err := f.Lease(ctx, 4)
			if err != nil || len(tasks) != 0 {
				t.Fatalf("leased %d tasks of a paused site (err %v)", len(tasks), err)
			}
		}
	}
	stop()
	wg.Wait()
	if after := len(market.Requests()); after != before {
		t.Fatalf("%d requests reached the site while it was paused", after-before)
	}
	state, _ := paused()
	if state.Strikes < 1 || !strings.Contains(state.Reason, "nc_1_wrapper") && !strings.Contains(state.Reason, "访问受限") {
		t.Fatalf("pause state %+v: want a strike and the marker as the reason", state)
	}
	st, err := frontiers[0].Stats(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	if st.Dead != 0 || st.Failed != 0 || st.Queued == 0 {
		t.Fatalf("run stats %+v: want nothing dead or failed, work still queued", st)
	}
	// Slider pages served: the first client requests beyond sliderAfter,
	// at most one per task in flight when the site blocked.
	blocked := 0.0
	for _, m := range crawlMetrics {
		blocked += testutil.ToFloat64(m.Blocked.WithLabelValues(site.Name))
	}
	if blocked < 1 || blocked > float64(2*workers[0].Concurrency) {
		t.Fatalf("markwatch_site_blocked_total = %v, want 1..%d", blocked, 2*workers[0].Concurrency)
	}
	reg := prometheus.NewRegistry()
	queue.NewCollector(reg, client, time.Minute, nil)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP markwatch_site_paused 1 while a site is paused fleet-wide after it served a block page (queue sites shows why), else 0.
# TYPE markwatch_site_paused gauge
markwatch_site_paused{site="fakemart"} 1
`), "markwatch_site_paused"); err != nil {
		t.Fatal(err)
	}

	// Phase 2: the slider is gone; an operator resumes the site and the run
	// finishes with nothing dead.
	market.SetFaults()
	if err := frontiers[0].ResumeSite(ctx, site.Name); err != nil {
		t.Fatal(err)
	}
	if s, ok := paused(); ok || s.Strikes != 0 {
		t.Fatalf("after resume: %+v", s)
	}
	doneCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for _, w := range workers {
		wg.Add(1)
		go func() { defer wg.Done(); _ = w.Run(doneCtx, finished(frontiers[0], run)) }()
	}
	wg.Wait()
	st, err = frontiers[0].Stats(ctx, run)
	if err != nil || !st.Finished || st.Dead != 0 || st.Failed != 0 || st.Done == 0 {
		t.Fatalf("after resume: %+v %v", st, err)
	}
}

// Each block while the breaker is open doubles the pause, up to the cap;
// a quiet spell as long as the last pause starts it again.
func TestPauseBackoff(t *testing.T) {
	rs := testredis.Start(t)
	var mu sync.Mutex
	now := time.UnixMilli(1_700_000_000_000)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	opts := queue.Options{Now: clock, PauseBase: time.Minute, PauseMax: 5 * time.Minute}
	for name, f := range map[string]queue.SitePauser{"redis": queue.NewRedis(rs.Client(), opts), "memory": queue.NewMemory(opts)} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			site := "s-" + name
			var got []time.Duration
			for range 5 {
				start := clock()
				until, _, err := f.PauseSite(ctx, site, "slider")
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, until.Sub(start))
				advance(until.Sub(start) + time.Second) // the pause ends, the next page is blocked again
			}
			want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("pauses %v, want %v", got, want)
				}
			}
			// A second report of the same block (another worker's page in
			// flight) is not a new strike.
			until, strikes, _ := f.PauseSite(ctx, site, "slider")
			if again, strikes2, _ := f.PauseSite(ctx, site, "slider"); again != until || strikes2 != strikes {
				t.Fatalf("a repeated report deepened the pause: %v/%d then %v/%d", until, strikes, again, strikes2)
			}
			advance(2*5*time.Minute + time.Second) // quiet for longer than the last pause, after it ended
			start := clock()
			until, strikes, _ = f.PauseSite(ctx, site, "slider")
			if until.Sub(start) != time.Minute || strikes != 1 {
				t.Fatalf("after a quiet spell: %v, strike %d; want 1m, 1", until.Sub(start), strikes)
			}
		})
	}
}
