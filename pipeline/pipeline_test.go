package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/crawler"
	"github.com/markwatch/markwatch/queue"
)

// scriptedCrawler answers each URL with a scripted sequence of results, one
// per call; the last entry repeats.
type scriptedCrawler struct {
	mu     sync.Mutex
	script map[string][]result
	calls  map[string]int
	delay  time.Duration
}

type result struct {
	ex  *markwatch.Extracted
	err error
}

func (c *scriptedCrawler) Crawl(ctx context.Context, t markwatch.Task) (*markwatch.Extracted, error) {
	if c.delay > 0 {
		time.Sleep(c.delay)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	steps, ok := c.script[t.URL]
	if !ok {
		return nil, fmt.Errorf("unscripted URL %s", t.URL)
	}
	n := c.calls[t.URL]
	c.calls[t.URL]++
	r := steps[min(n, len(steps)-1)]
	if r.ex != nil {
		ex := *r.ex
		ex.Page = &markwatch.Page{Task: t, URL: t.URL, Status: 200}
		return &ex, nil
	}
	return nil, r.err
}

func (c *scriptedCrawler) count(url string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[url]
}

// suspectIf flags listings whose title contains 高仿 and hits on 耐克.
var suspectIf = MatcherFunc(func(_ context.Context, l markwatch.Listing) (markwatch.Verdict, error) {
	v := markwatch.Verdict{ID: l.ID}
	if i := strings.Index(l.Title, "耐克"); i >= 0 {
		v.Hits = append(v.Hits, markwatch.Hit{Mark: "nike", Kind: markwatch.Trademark, Field: "title", Text: "耐克"})
	}
	if strings.Contains(l.Title, "高仿") && len(v.Hits) > 0 {
		v.Suspect, v.Score = true, 0.9
	}
	return v, nil
})

type recordingSink struct {
	mu       sync.Mutex
	findings []markwatch.Finding
	pages    int
	fail     int // fail this many calls first
}

func (s *recordingSink) Put(_ context.Context, page *markwatch.Page, fs []markwatch.Finding) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail > 0 {
		s.fail--
		return errors.New("disk full")
	}
	if page != nil {
		s.pages++
	}
	s.findings = append(s.findings, fs...)
	return nil
}

func newWorker(f queue.Frontier, c Crawler, s Sink, reg prometheus.Registerer) *Worker {
	return &Worker{
		Frontier: f, Crawler: c, Matcher: suspectIf, Sink: s,
		Concurrency: 4, Lease: time.Second, Idle: 5 * time.Millisecond,
		Backoff: func(int, time.Duration) time.Duration { return 10 * time.Millisecond },
		Metrics: NewMetrics(reg),
	}
}

func finished(f queue.Frontier, run string) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		st, err := f.Stats(ctx, run)
		return st.Finished, err
	}
}

func run(t *testing.T, w *Worker, f queue.Frontier, seeds ...markwatch.Task) queue.RunStats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // generous: a loaded machine only makes it slower
	defer cancel()
	if _, err := f.Add(ctx, seeds...); err != nil {
		t.Fatal(err)
	}
	if err := w.Run(ctx, finished(f, seeds[0].Run)); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatal("run did not finish in time")
	}
	st, err := f.Stats(context.Background(), seeds[0].Run)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestFollowUpsFindingsAndAccounting(t *testing.T) {
	f := queue.NewMemory(queue.Options{})
	search := markwatch.Task{Run: "r1", Sweep: "national_day", Site: "mart", Kind: markwatch.KindSearch, URL: "http://m/s?p=1", Priority: 5}
	c := &scriptedCrawler{calls: map[string]int{}, script: map[string][]result{
		search.URL: {{ex: &markwatch.Extracted{Follow: []markwatch.Task{
			{Site: "mart", Kind: markwatch.KindItem, URL: "http://m/i/1", Listing: &markwatch.Listing{ID: "1", Title: "耐克 高仿 跑鞋"}},
			{Site: "mart", Kind: markwatch.KindItem, URL: "http://m/i/2", Listing: &markwatch.Listing{ID: "2", Title: "耐克 正品"}},
			{Site: "mart", Kind: markwatch.KindItem, URL: "http://m/i/3", Listing: &markwatch.Listing{ID: "3", Title: "保温杯"}},
			{Site: "mart", Kind: markwatch.KindSearch, URL: "http://m/s?p=2"},
		}}}},
		"http://m/i/1":   {{ex: &markwatch.Extracted{Listings: []markwatch.Listing{{ID: "1", Site: "mart", Title: "耐克 高仿 跑鞋"}}}}},
		"http://m/i/2":   {{ex: &markwatch.Extracted{Listings: []markwatch.Listing{{ID: "2", Site: "mart", Title: "耐克 正品"}}}}},
		"http://m/i/3":   {{ex: &markwatch.Extracted{Listings: []markwatch.Listing{{ID: "3", Site: "mart", Title: "保温杯"}}}}},
		"http://m/s?p=2": {{ex: &markwatch.Extracted{}}},
	}}
	var seen []markwatch.Task
	var mu sync.Mutex
	spy := spyFrontier{Frontier: f, added: func(ts []markwatch.Task) { mu.Lock(); seen = append(seen, ts...); mu.Unlock() }}
	sink := &recordingSink{}
	w := newWorker(spy, c, sink, nil)
	st := run(t, w, spy, search)

	if st.Pages != 5 || st.Listings != 3 || st.Suspects != 1 || st.Done != 5 || st.Dead != 0 {
		t.Fatalf("stats %+v, want 5 pages, 3 listings, 1 suspect, 5 done", st)
	}
	for _, tk := range seen[1:] { // seen[0] is the seed
		if tk.Run != "r1" || tk.Sweep != "national_day" {
			t.Errorf("follow-up %s lost its run/sweep: %q %q", tk.URL, tk.Run, tk.Sweep)
		}
		want := 5
		if tk.Kind == markwatch.KindItem {
			want = 6
		}
		if tk.Priority != want {
			t.Errorf("follow-up %s (%s) has priority %d, want %d", tk.URL, tk.Kind, tk.Priority, want)
		}
	}
	// Only listings with hits become findings: 1 (suspect) and 2 (mention).
	if len(sink.findings) != 2 {
		t.Fatalf("findings %d, want 2 (listings with a hit)", len(sink.findings))
	}
	for _, fd := range sink.findings {
		if fd.Run != "r1" || fd.Sweep != "national_day" || fd.Listing.ID != fd.Verdict.ID {
			t.Errorf("finding %+v lacks run, sweep or listing", fd)
		}
	}
	if got := testutil.ToFloat64(w.Metrics.Suspects); got != 1 {
		t.Errorf("suspects metric %v, want 1", got)
	}
}

type spyFrontier struct {
	queue.Frontier
	added func([]markwatch.Task)
}

func (s spyFrontier) Add(ctx context.Context, ts ...markwatch.Task) (int, error) {
	s.added(ts)
	return s.Frontier.Add(ctx, ts...)
}

func TestFailureClassification(t *testing.T) {
	tmp := &crawler.FetchError{URL: "x", Status: 503, Temporary: true}
	cases := []struct {
		name      string
		steps     []result
		wantCalls int
		wantDone  int64
		wantDead  int64
	}{
		{"temporary then ok is retried", []result{{err: tmp}, {err: tmp}, {ex: &markwatch.Extracted{}}}, 3, 1, 0},
		{"temporary past the budget is dead", []result{{err: tmp}}, 3, 0, 1}, // Retries 2: 3 attempts
		{"robots disallowed is skipped, not retried", []result{{err: fmt.Errorf("wrap: %w", crawler.ErrRobotsDisallowed)}}, 1, 1, 0},
		{"off-site is skipped", []result{{err: crawler.ErrDomainNotAllowed}}, 1, 1, 0},
		{"layout change is dead at once", []result{{err: crawler.ErrLayoutChanged}}, 1, 0, 1},
		{"a permanent 404 is dead at once", []result{{err: &crawler.FetchError{URL: "x", Status: 404}}}, 1, 0, 1},
		{"a site without an adapter here is given back, never killed", []result{{err: crawler.ErrUnknownSite}, {err: crawler.ErrUnknownSite}, {err: crawler.ErrUnknownSite}, {err: crawler.ErrUnknownSite}, {ex: &markwatch.Extracted{}}}, 5, 1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := queue.NewMemory(queue.Options{Retries: 2})
			task := markwatch.Task{Run: "r", Site: "s", Kind: markwatch.KindSearch, URL: "http://s/1"}
			c := &scriptedCrawler{calls: map[string]int{}, script: map[string][]result{task.URL: tc.steps}}
			w := newWorker(f, c, &recordingSink{}, nil)
			w.Retries = 2
			st := run(t, w, f, task)
			if got := c.count(task.URL); got != tc.wantCalls {
				t.Errorf("fetched %d times, want %d", got, tc.wantCalls)
			}
			if st.Done != tc.wantDone || st.Dead != tc.wantDead {
				t.Errorf("done %d dead %d, want %d and %d", st.Done, st.Dead, tc.wantDone, tc.wantDead)
			}
			if tc.wantDead > 0 {
				dead, err := f.DeadLetters(context.Background(), "")
				if err != nil || len(dead) != 1 || dead[0].Task.LastError == "" {
					t.Errorf("dead letters %+v (%v), want one with its last error", dead, err)
				}
			}
		})
	}
}

// When an item page cannot be had for good, the listing its search card
// showed is still judged and stored, without page evidence; an item page
// that is gone (404, 410) ends the task, it does not kill it.
func TestFailedItemPageKeepsItsCard(t *testing.T) {
	for name, tc := range map[string]struct {
		steps    []result
		sinkFail int
		dead     int64
		mark     crawler.Outcome
	}{
		"gone":                         {steps: []result{{err: &crawler.FetchError{URL: "x", Status: 404}}}, mark: crawler.OutcomeGone},
		"forbidden":                    {steps: []result{{err: crawler.ErrRobotsDisallowed}}, mark: crawler.OutcomeSkipped},
		"flaky":                        {steps: []result{{err: &crawler.FetchError{URL: "x", Status: 503, Temporary: true}}}, dead: 1, mark: crawler.OutcomeFailed},
		"flaky, sink down at the end":  {steps: []result{{err: &crawler.FetchError{URL: "x", Status: 503, Temporary: true}}}, sinkFail: 1, dead: 1, mark: crawler.OutcomeFailed},
		"forbidden, sink down at once": {steps: []result{{err: crawler.ErrRobotsDisallowed}}, sinkFail: 2, mark: crawler.OutcomeSkipped},
		"layout changed":               {steps: []result{{err: crawler.ErrLayoutChanged}}, dead: 1, mark: crawler.OutcomeLayoutChanged},
	} {
		steps := tc.steps
		t.Run(name, func(t *testing.T) {
			f := queue.NewMemory(queue.Options{Retries: 1})
			card := &markwatch.Listing{ID: "7", Site: "s", Title: "耐克 高仿 运动鞋"}
			task := markwatch.Task{Run: "r", Site: "s", Kind: markwatch.KindItem, URL: "http://s/i/7", Listing: card}
			c := &scriptedCrawler{calls: map[string]int{}, script: map[string][]result{task.URL: steps}}
			sink := &recordingSink{fail: tc.sinkFail}
			w := newWorker(f, c, sink, nil)
			w.Retries = 1
			st := run(t, w, f, task)
			if len(sink.findings) != 1 || !sink.findings[0].Verdict.Suspect || sink.findings[0].Listing.ID != "7" {
				t.Fatalf("findings %+v, want the card judged suspect once", sink.findings)
			}
			if got := sink.findings[0].Listing.ItemPage; !strings.HasPrefix(got, string(tc.mark)+": ") {
				t.Fatalf("card marked %q, want %q and the error (crawler.CardOnly, as markwatch crawl)", got, tc.mark)
			}
			if st.Listings != 1 || st.Suspects != 1 || st.Pages != 0 {
				t.Fatalf("stats %+v, want 1 listing, 1 suspect, no page", st)
			}
			if st.Dead != tc.dead || st.Done+st.Dead != 1 {
				t.Fatalf("stats %+v, want %d dead and the task ended once", st, tc.dead)
			}
		})
	}
}

func TestSinkFailureRetriesTheTask(t *testing.T) {
	f := queue.NewMemory(queue.Options{Retries: 3})
	task := markwatch.Task{Run: "r", Site: "s", Kind: markwatch.KindItem, URL: "http://s/i"}
	c := &scriptedCrawler{calls: map[string]int{}, script: map[string][]result{
		task.URL: {{ex: &markwatch.Extracted{Listings: []markwatch.Listing{{ID: "9", Title: "耐克 高仿"}}}}},
	}}
	sink := &recordingSink{fail: 1}
	st := run(t, newWorker(f, c, sink, nil), f, task)
	if c.count(task.URL) != 2 || len(sink.findings) != 1 || st.Done != 1 || st.Pages != 1 {
		t.Fatalf("fetches %d, findings %d, stats %+v: want the task redone once and recorded once", c.count(task.URL), len(sink.findings), st)
	}
}

// A task that takes longer than its lease is not handed to another worker:
// the heartbeat extends it. The frontier runs on a manual clock that the
// crawl advances, 100ms (two thirds of the lease) at a time and five times
// in all, waiting after each step for an extension made at the new time;
// without the heartbeat the lease would expire at the second step, and the
// idle workers' next Lease would hand the task out again. However slowly
// the machine runs, the lease can only expire if no extension came.
func TestHeartbeatKeepsLongTasks(t *testing.T) {
	const lease = 150 * time.Millisecond
	clock := &manualClock{at: time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)}
	f := &extendWatcher{Frontier: queue.NewMemory(queue.Options{Lease: lease, Now: clock.Now}), clock: clock, at: make(chan time.Time, 16)}
	task := markwatch.Task{Run: "r", Site: "s", Kind: markwatch.KindSearch, URL: "http://s/slow"}
	c := &clockCrawler{t: t, clock: clock, f: f, step: 100 * time.Millisecond, steps: 5}
	w := newWorker(f, c, &recordingSink{}, nil)
	w.Lease = lease
	st := run(t, w, f, task)
	if c.calls.Load() != 1 || st.Done != 1 {
		t.Fatalf("fetched %d times (stats %+v), want once: the lease was not extended", c.calls.Load(), st)
	}
}

// manualClock is a clock that moves only when told.
type manualClock struct {
	mu sync.Mutex
	at time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

func (c *manualClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = c.at.Add(d)
	return c.at
}

// extendWatcher reports, for each Extend, the clock's time when it began.
type extendWatcher struct {
	queue.Frontier
	clock *manualClock
	at    chan time.Time
}

func (f *extendWatcher) Extend(ctx context.Context, tasks ...markwatch.Task) error {
	began := f.clock.Now()
	err := f.Frontier.Extend(ctx, tasks...)
	if err == nil && len(tasks) > 0 {
		select {
		case f.at <- began:
		default: // nobody waiting: the crawl only needs the latest
		}
	}
	return err
}

// clockCrawler is a crawl that takes steps×step of the frontier's clock.
type clockCrawler struct {
	t     *testing.T
	clock *manualClock
	f     *extendWatcher
	step  time.Duration
	steps int
	calls atomic.Int32
}

func (c *clockCrawler) Crawl(ctx context.Context, task markwatch.Task) (*markwatch.Extracted, error) {
	c.calls.Add(1)
	for range c.steps {
		now := c.clock.Advance(c.step)
		deadline := time.After(10 * time.Second)
		for extended := false; !extended; {
			select {
			case at := <-c.f.at:
				extended = !at.Before(now)
			case <-deadline:
				c.t.Errorf("no lease extension within 10s of the clock reaching %v", now)
				return nil, errors.New("no heartbeat")
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	return &markwatch.Extracted{Page: &markwatch.Page{Task: task, URL: task.URL, Status: 200}}, nil
}

func TestRunStopsOnCancel(t *testing.T) {
	f := queue.NewMemory(queue.Options{})
	w := newWorker(f, &scriptedCrawler{}, &recordingSink{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, nil) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestDefaultBackoff(t *testing.T) {
	for attempt := 1; attempt <= 12; attempt++ {
		for range 50 {
			d := DefaultBackoff(attempt, 0)
			ceiling := min(time.Second<<min(attempt-1, 8), 5*time.Minute)
			if d <= 0 || d > ceiling {
				t.Fatalf("attempt %d: %v outside (0, %v]", attempt, d, ceiling)
			}
		}
	}
	if d := DefaultBackoff(1, 90*time.Second); d < 90*time.Second {
		t.Fatalf("Retry-After 90s gave %v", d)
	}
}

func TestMetricsLint(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	m.Tasks.WithLabelValues("search", "done").Inc()
	problems, err := testutil.GatherAndLint(reg)
	if err != nil || len(problems) > 0 {
		t.Fatalf("%v %v", problems, err)
	}
}

// partialLease returns its first lease's tasks together with an error, as a
// Redis frontier does when one site's script fails after others answered.
type partialLease struct {
	queue.Frontier
	once sync.Once
}

func (p *partialLease) Lease(ctx context.Context, max int) ([]markwatch.Task, error) {
	tasks, err := p.Frontier.Lease(ctx, max)
	var failed bool
	p.once.Do(func() { failed = true })
	if failed && err == nil && len(tasks) > 0 {
		return tasks, errors.New("site b: connection reset")
	}
	return tasks, err
}

func TestTasksLeasedWithAnErrorAreWorked(t *testing.T) {
	mem := queue.NewMemory(queue.Options{Lease: time.Hour})
	f := &partialLease{Frontier: mem}
	task := markwatch.Task{Run: "r", Site: "s", Kind: markwatch.KindSearch, URL: "http://s/1"}
	c := &scriptedCrawler{calls: map[string]int{}, script: map[string][]result{task.URL: {{ex: &markwatch.Extracted{}}}}}
	st := run(t, newWorker(f, c, &recordingSink{}, nil), f, task)
	if st.Done != 1 || c.count(task.URL) != 1 {
		t.Fatalf("stats %+v, fetched %d: the leased task was dropped", st, c.count(task.URL))
	}
}

// A worker that found nothing ready leases again as soon as a task of its
// own settles, not after its idle wait: a search page's follow-ups (its
// items, its next page) are worked at once. (With a 50ms wait, the
// whole-job benchmark's worker spent about half its run idle.)
func TestFollowUpsAreLeasedWhenATaskSettles(t *testing.T) {
	f := queue.NewMemory(queue.Options{})
	p1 := markwatch.Task{Run: "r", Site: "mart", Kind: markwatch.KindSearch, URL: "http://m/s?p=1"}
	c := &scriptedCrawler{calls: map[string]int{}, delay: 20 * time.Millisecond, script: map[string][]result{
		p1.URL:           {{ex: &markwatch.Extracted{Follow: []markwatch.Task{{Site: "mart", Kind: markwatch.KindSearch, URL: "http://m/s?p=2"}}}}},
		"http://m/s?p=2": {{ex: &markwatch.Extracted{Follow: []markwatch.Task{{Site: "mart", Kind: markwatch.KindSearch, URL: "http://m/s?p=3"}}}}},
		"http://m/s?p=3": {{ex: &markwatch.Extracted{}}},
	}}
	w := newWorker(f, c, &recordingSink{}, nil)
	w.Idle = time.Hour // only a settled task can end the wait in time
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := f.Add(ctx, p1); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, nil) }()
	deadline := time.Now().Add(30 * time.Second) // generous: the chain needs well under a second
	for {
		st, err := f.Stats(ctx, "r")
		if err != nil {
			t.Fatal(err)
		}
		if st.Finished {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the chain of three search pages was not worked in 30s (crawled p2 %d, p3 %d times): the worker waited out its idle time", c.count("http://m/s?p=2"), c.count("http://m/s?p=3"))
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
