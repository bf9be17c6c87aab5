package queue_test

import (
	"context"
	"maps"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/evidence"
	"github.com/markwatch/markwatch/fakemarket"
	"github.com/markwatch/markwatch/matchers"
	"github.com/markwatch/markwatch/queue"
	"github.com/markwatch/markwatch/store"
)

// drillStore is the store's owner as `markwatch serve` runs it: the real
// store (SQLite in a temporary directory) fed by a FindingsConsumer with
// the handler serve uses. The drills assert on what the store holds, not
// on what was delivered.
type drillStore struct {
	st         *store.Store
	batches    atomic.Int64 // batches stored (redeliveries included)
	deliveries atomic.Int64 // findings handed to Put (redeliveries included)
	failures   atomic.Int64 // Put errors (the batch stays pending and is retried)

	mu        sync.Mutex
	delivered map[string]int  // site/listing id → findings stored for it (redeliveries included)
	tasks     map[string]bool // "run task" of every batch stored

	// the running consumer (pause and resume it to let findings pile up)
	consumer *queue.FindingsConsumer
	cancel   context.CancelFunc
	done     chan struct{}
}

// pause stops the findings consumer (as a serve that is down or slow);
// resume starts it again.
func (s *drillStore) pause() {
	s.cancel()
	<-s.done
}

func (s *drillStore) resume() {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan struct{})
	go func(done chan struct{}) { defer close(done); _ = s.consumer.Run(ctx) }(s.done)
}

// consume opens a store and runs the findings consumer until the test ends.
func (d *drill) consume() *drillStore {
	t := d.t
	t.Helper()
	dir := t.TempDir()
	// Evidence without fsync: the drills test the queue (evidence's own
	// tests cover durability), and an fsync per suspect page on a busy
	// disk makes the store lag the crawl by seconds.
	ev, err := evidence.Open(filepath.Join(dir, "evidence"), evidence.NoSync())
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), dir, store.WithEvidence(ev))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := &drillStore{st: st, delivered: map[string]int{}}
	s.consumer = &queue.FindingsConsumer{Client: d.client, Group: "store", Consumer: "drill", Handle: s.handle, ClaimIdle: 5 * time.Second}
	s.resume()
	// Stop the consumer before the store closes and redis-server stops
	// (cleanups run last registered first).
	t.Cleanup(s.pause)
	return s
}

// handle is what cmd/markwatch's StoreFindingsBatch does (package main
// cannot be imported): rebuild the page, with its body when the worker kept
// it as evidence, and store the batch.
func (s *drillStore) handle(ctx context.Context, b queue.FindingsBatch) error {
	page, err := b.PageOf()
	if err != nil {
		s.failures.Add(1)
		return err
	}
	if err := s.st.Put(ctx, page, b.Findings); err != nil {
		s.failures.Add(1)
		return err
	}
	s.batches.Add(1)
	s.deliveries.Add(int64(len(b.Findings)))
	s.mu.Lock()
	if s.tasks == nil {
		s.tasks = map[string]bool{}
	}
	s.tasks[b.Run+" "+b.Task] = true
	for _, f := range b.Findings {
		s.delivered[f.Listing.Site+"/"+f.Listing.ID]++
	}
	s.mu.Unlock()
	return nil
}

// waitConsumed waits until the findings stream is empty: the consumer
// deletes an entry only after the store committed it.
func (d *drill) waitConsumed(timeout time.Duration) {
	d.t.Helper()
	waitFor(d.t, "findings consumed", timeout, func() bool {
		n, err := d.client.XLen(context.Background(), findingsStream).Result()
		return err == nil && n == 0
	})
}

// expectFindings judges the mart listings behind the given item paths with
// the configured matcher, on the catalogue's own fields, and returns the
// ones a worker keeps a finding for (a hit or a signal), each with whether
// it is suspect.
func (d *drill) expectFindings(ctx context.Context, paths map[string]bool) map[string]bool {
	d.t.Helper()
	cfg, err := config.Load("")
	if err != nil {
		d.t.Fatal(err)
	}
	matcher, err := matchers.Load(cfg.MarksLocation(), cfg.SignalsLocation())
	if err != nil {
		d.t.Fatal(err)
	}
	want := map[string]bool{}
	for _, l := range d.cat.SiteListings(fakemarket.SiteMart) {
		if !paths["/mart/item/"+l.ID+".html"] {
			continue
		}
		v, err := matcher.Match(ctx, l.Listing)
		if err != nil {
			d.t.Fatalf("match listing %s: %v", l.ID, err)
		}
		if len(v.Hits) > 0 || len(v.Signals) > 0 {
			want[l.ID] = v.Suspect
		}
	}
	if len(want) == 0 {
		d.t.Fatal("no listing the drill crawls has a finding: the drill proves nothing")
	}
	return want
}

// checkStored asserts what the store holds after run:
//   - exactly the expected listings (site fakemart, nothing else), each last
//     judged by run with the expected suspicion;
//   - the run's finding and suspect counts equal the expected ones: the store
//     counts a verdict only when it is new for its (run, listing), so with
//     every listing judged by run, no listing has two verdicts of it;
//   - each listing whose finding was delivered more than once, and every
//     sampleEvery-th other one, read back in full: exactly one verdict, run's.
//
// It returns how many findings the store counted for run and how many
// listings were read back in full.
func (s *drillStore) checkStored(t *testing.T, ctx context.Context, run string, want map[string]bool) (findings, readBack int) {
	t.Helper()
	const site, sampleEvery = "fakemart", 10
	// Every listing in the store, whatever its site or run.
	stored := map[string]store.Row{}
	for offset := 0; ; offset += store.MaxPageSize {
		rows, _, err := s.st.Suspects(ctx, store.Filter{All: true, Sort: "first_seen", Limit: store.MaxPageSize, Offset: offset})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			key := r.Site + "/" + r.ListingID
			if _, dup := stored[key]; dup {
				t.Errorf("listing %s listed twice by the store", key)
			}
			stored[key] = r
		}
		if len(rows) < store.MaxPageSize {
			break
		}
	}
	var unexpected []string
	for key := range stored {
		id, ok := strings.CutPrefix(key, site+"/")
		if _, expected := want[id]; !ok || !expected {
			unexpected = append(unexpected, key)
		}
	}
	sort.Strings(unexpected)
	if len(unexpected) > 0 {
		t.Errorf("the store holds %d listings no finding was expected for, e.g. %v", len(unexpected), unexpected[:min(len(unexpected), 5)])
	}
	ids := make([]string, 0, len(want))
	for id := range want {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	s.mu.Lock()
	delivered := maps.Clone(s.delivered)
	s.mu.Unlock()
	missing, wrong, suspects, again := 0, 0, 0, 0
	for i, id := range ids {
		suspect := want[id]
		if suspect {
			suspects++
		}
		r, ok := stored[site+"/"+id]
		if !ok {
			missing++
			if missing <= 5 {
				t.Errorf("listing %s was crawled but has no stored finding", id)
			}
			continue
		}
		if r.Run != run || r.Suspect != suspect {
			wrong++
			if wrong <= 5 {
				t.Errorf("listing %s last judged by run %q (suspect %v); want run %q, suspect %v", id, r.Run, r.Suspect, run, suspect)
			}
			continue
		}
		n := delivered[site+"/"+id]
		if n > 1 {
			again++
		}
		if n <= 1 && i%sampleEvery != 0 {
			continue
		}
		readBack++
		l, err := s.st.Listing(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		ofRun := 0
		for _, v := range l.Verdicts {
			if v.Run == run {
				ofRun++
			}
		}
		if ofRun != 1 || len(l.Verdicts) != 1 {
			wrong++
			if wrong <= 5 {
				runs := []string{}
				for _, v := range l.Verdicts {
					runs = append(runs, v.Run)
				}
				t.Errorf("listing %s (delivered %d times): %d verdicts of run %s, %d in all %v; want exactly one", id, n, ofRun, run, len(l.Verdicts), runs)
			}
		}
	}
	if missing > 0 || wrong > 0 {
		t.Errorf("%d of %d expected findings missing from the store, %d not stored exactly once", missing, len(want), wrong)
	}
	r, err := s.st.Run(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	if r.Findings != len(want) || r.Suspects != suspects {
		t.Errorf("store run %s counted %d findings, %d suspects; want %d, %d", run, r.Findings, r.Suspects, len(want), suspects)
	}
	if f := s.failures.Load(); f > 0 {
		t.Logf("%d store attempts failed and were retried", f)
	}
	t.Logf("store: %d listings, run %s: %d findings (%d suspect); %d listings delivered more than once; %d read back in full",
		len(stored), run, r.Findings, r.Suspects, again, readBack)
	return r.Findings, readBack
}
