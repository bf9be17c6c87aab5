package queue

import (
	"container/heap"
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/markwatch/markwatch"
)

// Memory is the in-process frontier: one process, no Redis. It keeps the
// same promises as the Redis frontier (leases with expiry, retries, dead
// letters, dedup per run, priorities, not-before, per-site token buckets,
// run accounting) and passes the same behaviour suite (queue/queuetest).
type Memory struct {
	opts Options

	mu     sync.Mutex
	seq    uint64
	order  uint64
	sites  map[string]*memSite
	runs   map[string]*memRun
	runIDs []string
	leased map[string]*memLease
	// cancelled runs and when (CancelRun); their tasks are refused.
	cancelled map[string]time.Time
	closed    bool
}

type memSite struct {
	name    string
	ready   memHeap
	delayed []*memEntry
	dead    map[string]DeadLetter
	tokens  float64
	refill  time.Time
	// A blocked site's pause (pause.go).
	pausedUntil, pausedAt time.Time
	strikes               int
	pauseReason           string
}

type memRun struct {
	stats RunStats
	seen  map[string]bool
}

type memEntry struct {
	task  markwatch.Task
	order uint64 // FIFO within a priority
}

type memLease struct {
	entry    *memEntry
	deadline time.Time
}

// NewMemory returns an in-process frontier.
func NewMemory(opts Options) *Memory {
	return &Memory{
		opts:      opts.withDefaults(),
		sites:     map[string]*memSite{},
		runs:      map[string]*memRun{},
		leased:    map[string]*memLease{},
		cancelled: map[string]time.Time{},
	}
}

// Close makes every later call fail with ErrClosed.
func (m *Memory) Close() error {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	return nil
}

func (m *Memory) site(name string) *memSite {
	s := m.sites[name]
	if s == nil {
		s = &memSite{name: name, dead: map[string]DeadLetter{}}
		if l := m.opts.Limit(name); l.Rate > 0 {
			s.tokens = float64(l.burst())
			s.refill = m.opts.Now()
		}
		m.sites[name] = s
	}
	return s
}

func (m *Memory) run(id string) *memRun {
	r := m.runs[id]
	if r == nil {
		r = &memRun{stats: RunStats{Run: id, Started: m.opts.Now()}, seen: map[string]bool{}}
		m.runs[id] = r
		m.runIDs = append(m.runIDs, id)
	}
	return r
}

func (m *Memory) newID() string {
	m.seq++
	return "m" + strconv.FormatUint(m.seq, 10)
}

// enqueue puts a task into its site's ready heap or delayed list, with a new ID.
func (m *Memory) enqueue(t markwatch.Task, now time.Time) {
	t.ID = m.newID()
	m.order++
	e := &memEntry{task: t, order: m.order}
	s := m.site(t.Site)
	if t.NotBefore.After(now) {
		s.delayed = append(s.delayed, e)
		return
	}
	heap.Push(&s.ready, e)
}

// Add implements Frontier.
func (m *Memory) Add(ctx context.Context, tasks ...markwatch.Task) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0, ErrClosed
	}
	now := m.opts.Now()
	n := 0
	for _, t := range tasks {
		if err := validateTask(t); err != nil {
			return n, err
		}
		if _, ok := m.cancelled[t.Run]; ok {
			continue
		}
		r := m.run(t.Run)
		key := DedupKey(t, m.opts.TrackingParams(t.Site)...)
		if r.seen[key] {
			continue
		}
		r.seen[key] = true
		t.Attempt = max(t.Attempt, 0)
		m.enqueue(t, now)
		r.stats.Queued++
		n++
	}
	return n, nil
}

func validateTask(t markwatch.Task) error {
	switch {
	case t.Run == "":
		return fmt.Errorf("queue: add task %q: empty run", t.URL)
	case t.Site == "":
		return fmt.Errorf("queue: add task %q: empty site", t.URL)
	case t.Kind == "":
		return fmt.Errorf("queue: add task %q: empty kind", t.URL)
	}
	return nil
}

// recover moves expired leases and due delayed tasks to the ready heaps.
func (m *Memory) recover(now time.Time) {
	for id, l := range m.leased {
		if now.Before(l.deadline) {
			continue
		}
		delete(m.leased, id)
		t := l.entry.task
		m.opts.Metrics.leaseExpired(t.Site, 1)
		m.opts.Logger.Warn("lease expired, task queued again", "run", t.Run, "site", t.Site, "task", id)
		if r := m.runs[t.Run]; r != nil {
			r.stats.Leased--
		}
		if m.dropCancelled(t.Run) {
			continue
		}
		if r := m.runs[t.Run]; r != nil {
			r.stats.Queued++
		}
		m.enqueue(t, now)
	}
	for _, s := range m.sites {
		kept := s.delayed[:0]
		for _, e := range s.delayed {
			if e.task.NotBefore.After(now) {
				kept = append(kept, e)
				continue
			}
			heap.Push(&s.ready, e)
		}
		clear(s.delayed[len(kept):])
		s.delayed = kept
	}
}

// Lease implements Frontier. Sites are tried highest ready priority first;
// a site whose token bucket is empty is skipped (and counted) so that the
// caller gets another site's work instead.
func (m *Memory) Lease(ctx context.Context, want int) ([]markwatch.Task, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	now := m.opts.Now()
	m.recover(now)
	sites := make([]*memSite, 0, len(m.sites))
	for _, s := range m.sites {
		if s.ready.Len() > 0 && !now.Before(s.pausedUntil) {
			sites = append(sites, s)
		}
	}
	sort.Slice(sites, func(i, j int) bool {
		pi, pj := band(sites[i].ready[0].task.Priority), band(sites[j].ready[0].task.Priority)
		if pi != pj {
			return pi > pj
		}
		return sites[i].ready[0].order < sites[j].ready[0].order
	})
	out := []markwatch.Task{}
	for _, s := range sites {
		if len(out) >= want {
			break
		}
		allowed := want - len(out)
		limit := m.opts.Limit(s.name)
		if limit.Rate > 0 {
			if s.refill.IsZero() {
				s.tokens, s.refill = float64(limit.burst()), now
			}
			if el := now.Sub(s.refill).Seconds(); el > 0 {
				s.tokens = min(float64(limit.burst()), s.tokens+el*limit.Rate)
				s.refill = now
			}
			allowed = min(allowed, int(s.tokens))
			if allowed == 0 {
				m.opts.Metrics.rateLimited(s.name)
				continue
			}
		}
		for i := 0; i < allowed && s.ready.Len() > 0; i++ {
			e := heap.Pop(&s.ready).(*memEntry)
			m.leased[e.task.ID] = &memLease{entry: e, deadline: now.Add(m.opts.Lease)}
			if r := m.runs[e.task.Run]; r != nil {
				r.stats.Queued--
				r.stats.Leased++
			}
			if limit.Rate > 0 {
				s.tokens--
			}
			out = append(out, e.task)
		}
	}
	return out, nil
}

// take removes a task's lease, or reports ErrLeaseLost.
func (m *Memory) take(op string, t markwatch.Task) (*memLease, error) {
	l := m.leased[t.ID]
	if l == nil {
		return nil, fmt.Errorf("queue: %s task %s: %w", op, t.ID, ErrLeaseLost)
	}
	delete(m.leased, t.ID)
	if r := m.runs[t.Run]; r != nil {
		r.stats.Leased--
	}
	return l, nil
}

// Extend implements Frontier.
func (m *Memory) Extend(ctx context.Context, tasks ...markwatch.Task) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	now := m.opts.Now()
	var lost []string
	for _, t := range tasks {
		l := m.leased[t.ID]
		if l == nil || !now.Before(l.deadline) {
			lost = append(lost, t.ID)
			continue
		}
		l.deadline = now.Add(m.opts.Lease)
	}
	if len(lost) > 0 {
		return fmt.Errorf("queue: extend %v: %w", lost, ErrLeaseLost)
	}
	return nil
}

// Ack implements Frontier.
func (m *Memory) Ack(ctx context.Context, tasks ...markwatch.Task) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	var first error
	for _, t := range tasks {
		if _, err := m.take("ack", t); err != nil {
			first = cmpErr(first, err)
			continue
		}
		if r := m.runs[t.Run]; r != nil {
			r.stats.Done++
			m.checkFinished(r)
		}
	}
	return first
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

func (m *Memory) checkFinished(r *memRun) {
	if r.stats.Queued == 0 && r.stats.Leased == 0 {
		r.stats.FinishedAt = m.opts.Now()
	}
}

// Nack implements Frontier.
func (m *Memory) Nack(ctx context.Context, t markwatch.Task, cause error, retry bool, delay time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	l, err := m.take("nack", t)
	if err != nil {
		return err
	}
	task := l.entry.task
	task.Attempt++
	if cause != nil {
		task.LastError = cause.Error()
	}
	r := m.run(task.Run)
	r.stats.Failed++
	now := m.opts.Now()
	dead := !retry || task.Attempt > m.opts.Retries
	if !dead && m.dropCancelled(task.Run) {
		return nil
	}
	if dead {
		s := m.site(task.Site)
		s.dead[task.ID] = DeadLetter{Task: task, DiedAt: now}
		r.stats.Dead++
		m.opts.Metrics.deadLettered(task.Site)
		m.checkFinished(r)
		return nil
	}
	task.NotBefore = now.Add(delay)
	m.enqueue(task, now)
	r.stats.Queued++
	return nil
}

// Release implements Frontier.
func (m *Memory) Release(ctx context.Context, tasks ...markwatch.Task) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	var first error
	now := m.opts.Now()
	for _, t := range tasks {
		l, err := m.take("release", t)
		if err != nil {
			first = cmpErr(first, err)
			continue
		}
		if m.dropCancelled(t.Run) {
			continue
		}
		m.enqueue(l.entry.task, now)
		m.run(t.Run).stats.Queued++
	}
	return first
}

// Record implements Frontier.
func (m *Memory) Record(ctx context.Context, run string, p Progress) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	r := m.run(run)
	r.stats.Pages += p.Pages
	r.stats.Listings += p.Listings
	r.stats.Suspects += p.Suspects
	return nil
}

// Stats implements Frontier.
func (m *Memory) Stats(ctx context.Context, run string) (RunStats, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return RunStats{}, ErrClosed
	}
	r := m.runs[run]
	if r == nil {
		return RunStats{}, fmt.Errorf("queue: stats of run %q: %w", run, ErrUnknownRun)
	}
	st := r.stats
	st.CancelledAt = m.cancelled[run]
	st.Finished = st.Queued == 0 && st.Leased == 0
	if !st.Finished {
		st.FinishedAt = time.Time{}
	}
	return st, nil
}

// Runs implements Inspector.
func (m *Memory) Runs(ctx context.Context) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.runIDs...), nil
}

// DeadLetters implements Inspector.
func (m *Memory) DeadLetters(ctx context.Context, site string) ([]DeadLetter, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []DeadLetter
	for name, s := range m.sites {
		if site != "" && name != site {
			continue
		}
		for _, d := range s.dead {
			out = append(out, d)
		}
	}
	sortDead(out)
	return out, nil
}

func sortDead(out []DeadLetter) {
	sort.Slice(out, func(i, j int) bool {
		if !out[i].DiedAt.Equal(out[j].DiedAt) {
			return out[i].DiedAt.Before(out[j].DiedAt)
		}
		return out[i].Task.ID < out[j].Task.ID
	})
}

// Requeue implements Inspector.
func (m *Memory) Requeue(ctx context.Context, site string, ids ...string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	now := m.opts.Now()
	n := 0
	for name, s := range m.sites {
		if site != "" && name != site {
			continue
		}
		for id, d := range s.dead {
			if len(ids) > 0 && !want[id] {
				continue
			}
			if _, ok := m.cancelled[d.Task.Run]; ok {
				continue
			}
			delete(s.dead, id)
			t := d.Task
			t.Attempt, t.NotBefore = 0, time.Time{}
			m.enqueue(t, now)
			r := m.run(t.Run)
			r.stats.Dead--
			r.stats.Queued++
			n++
		}
	}
	return n, nil
}

// CancelRun drops the run's queued and delayed tasks and refuses its new
// ones; leased tasks finish (see cancel.go). It returns how many it dropped.
func (m *Memory) CancelRun(ctx context.Context, run string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0, ErrClosed
	}
	if _, ok := m.cancelled[run]; !ok {
		m.cancelled[run] = m.opts.Now()
	}
	n := 0
	for _, s := range m.sites {
		ready := s.ready[:0]
		for _, e := range s.ready {
			if e.task.Run == run {
				n++
			} else {
				ready = append(ready, e)
			}
		}
		clear(s.ready[len(ready):])
		s.ready = ready
		heap.Init(&s.ready)
		delayed := s.delayed[:0]
		for _, e := range s.delayed {
			if e.task.Run == run {
				n++
			} else {
				delayed = append(delayed, e)
			}
		}
		clear(s.delayed[len(delayed):])
		s.delayed = delayed
	}
	if r := m.runs[run]; r != nil {
		r.stats.Queued -= int64(n)
		r.stats.Cancelled += int64(n)
		m.checkFinished(r)
	}
	m.opts.Logger.Info("run cancelled", "run", run, "dropped", n)
	return n, nil
}

// dropCancelled counts a leased task of a cancelled run as dropped, where
// it would otherwise be queued again (release, nack for a retry, lease
// expiry), and reports whether it was.
func (m *Memory) dropCancelled(run string) bool {
	if _, ok := m.cancelled[run]; !ok {
		return false
	}
	if r := m.runs[run]; r != nil {
		r.stats.Cancelled++
		m.checkFinished(r)
	}
	return true
}

// memHeap orders entries by priority band (high first), then FIFO.
type memHeap []*memEntry

func (h memHeap) Len() int { return len(h) }
func (h memHeap) Less(i, j int) bool {
	bi, bj := band(h[i].task.Priority), band(h[j].task.Priority)
	if bi != bj {
		return bi > bj
	}
	return h[i].order < h[j].order
}
func (h memHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *memHeap) Push(x any)   { *h = append(*h, x.(*memEntry)) }
func (h *memHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}

var (
	_ Frontier  = (*Memory)(nil)
	_ Inspector = (*Memory)(nil)
)
