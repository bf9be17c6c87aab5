package queue_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/internal/testredis"
	"github.com/markwatch/markwatch/pipeline"
	"github.com/markwatch/markwatch/queue"
	"github.com/redis/go-redis/v9"
)

var _ pipeline.Sink = (*queue.FindingsPublisher)(nil)

const findingsStream = "mw:{findings}:stream"

func page(run, url string, body []byte) *markwatch.Page {
	return &markwatch.Page{
		Task: markwatch.Task{ID: "0/1-0", Run: run, Site: "shop", Kind: markwatch.KindItem, URL: url},
		URL:  url, FinalURL: url, Status: 200, Body: body, FetchedAt: time.Now().UTC().Truncate(time.Millisecond),
		Header:  map[string]string{"Content-Type": "text/html; charset=utf-8"},
		Adapter: "shop@3f2a9c1d",
	}
}

func finding(run, id string, suspect bool) markwatch.Finding {
	return markwatch.Finding{Run: run, Listing: markwatch.Listing{ID: id, Title: "耐克 高仿 " + id, Site: "shop"},
		Verdict: markwatch.Verdict{ID: id, Suspect: suspect, Score: 0.9, Hits: []markwatch.Hit{{Mark: "nike", Kind: markwatch.Trademark, Field: "title", Text: "耐克"}}}}
}

// collect consumes until n batches were handled, then cancels.
type collector struct {
	mu      sync.Mutex
	batches []queue.FindingsBatch
	fail    int // fail this many calls first
	calls   int
}

func (c *collector) handle(ctx context.Context, b queue.FindingsBatch) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.fail > 0 {
		c.fail--
		return errors.New("store unavailable")
	}
	c.batches = append(c.batches, b)
	return nil
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.batches)
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	// d is what the caller expects to need at most; a loaded machine gets
	// at least 30s before the test gives up.
	deadline := time.Now().Add(max(d, 30*time.Second))
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestFindingsRoundTrip(t *testing.T) {
	srv := testredis.Start(t)
	client := srv.Client()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pub := queue.NewFindingsPublisher(client)
	body := bytes.Repeat([]byte("<html><body>耐克 高仿 1:1</body></html>\n"), 200)
	if err := pub.Put(ctx, page("r1", "https://shop.example/i/1", body), []markwatch.Finding{finding("r1", "1", true), finding("r1", "2", false)}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if err := pub.Put(ctx, page("r1", "https://shop.example/i/3", []byte("plain")), []markwatch.Finding{finding("r1", "3", false)}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	// A broken entry must be moved aside, not lost and not block the rest.
	if err := client.XAdd(ctx, &redis.XAddArgs{Stream: findingsStream, Values: []string{"b", "{not json"}}).Err(); err != nil {
		t.Fatal(err)
	}
	c := &collector{fail: 1}
	m := queue.NewMetrics(nil)
	fc := &queue.FindingsConsumer{Client: client, Group: "store", Consumer: "serve-1", Handle: c.handle, Block: 100 * time.Millisecond, ClaimIdle: 400 * time.Millisecond, Metrics: m}
	done := make(chan error, 1)
	go func() { done <- fc.Run(ctx) }()
	waitFor(t, "2 batches stored (one after a failed attempt)", 10*time.Second, func() bool { return c.count() == 2 })
	waitFor(t, "stream drained", 5*time.Second, func() bool { return client.XLen(ctx, findingsStream).Val() == 0 })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if c.calls != 3 {
		t.Fatalf("handler calls = %d, want 3 (one failure retried)", c.calls)
	}
	var withBody, without queue.FindingsBatch
	for _, b := range c.batches {
		if b.Page.URL == "https://shop.example/i/1" {
			withBody = b
		} else {
			without = b
		}
	}
	got, err := withBody.Page.Body()
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("suspect page body: %d bytes, err %v; want the %d raw bytes", len(got), err, len(body))
	}
	if len(withBody.Page.BodyGzip) >= len(body)/4 {
		t.Fatalf("body not compressed: %d gzip bytes for %d raw", len(withBody.Page.BodyGzip), len(body))
	}
	if withBody.Run != "r1" || withBody.Site != "shop" || withBody.Task != "0/1-0" || withBody.Page.Status != 200 || withBody.Page.Adapter != "shop@3f2a9c1d" || len(withBody.Findings) != 2 || withBody.ID == "" {
		t.Fatalf("batch metadata lost: %+v", withBody)
	}
	if len(without.Page.BodyGzip) != 0 || without.Page.SHA256 == "" || without.Page.Size != 5 {
		t.Fatalf("non-suspect page: body kept=%d sha=%q size=%d; want no body but its hash and size", len(without.Page.BodyGzip), without.Page.SHA256, without.Page.Size)
	}
	if n := client.XLen(context.Background(), "mw:{findings}:dead").Val(); n != 1 {
		t.Fatalf("undecodable entries kept aside = %d, want 1", n)
	}
	if v := counterValue(m.FindingsIngested); v != 3 {
		t.Fatalf("findings ingested = %v, want 3", v)
	}
}

// A consumer that died holding entries: another consumer claims them
// after ClaimIdle and stores them.
func TestFindingsClaimStale(t *testing.T) {
	srv := testredis.Start(t)
	client := srv.Client()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pub := queue.NewFindingsPublisher(client)
	for i := 0; i < 3; i++ {
		if err := pub.Put(ctx, page("r1", "https://shop.example/s", []byte("x")), []markwatch.Finding{finding("r1", string(rune('a'+i)), false)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := client.XGroupCreateMkStream(ctx, findingsStream, "store", "0").Err(); err != nil {
		t.Fatal(err)
	}
	// The dead consumer read everything and never acked. The clock starts
	// before its read, so the claim cannot come less than ClaimIdle later
	// however slowly this goroutine runs.
	start := time.Now()
	if err := client.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "store", Consumer: "dead", Streams: []string{findingsStream, ">"}}).Err(); err != nil {
		t.Fatal(err)
	}
	c := &collector{}
	fc := &queue.FindingsConsumer{Client: client, Group: "store", Consumer: "alive", Handle: c.handle, Block: 100 * time.Millisecond, ClaimIdle: 300 * time.Millisecond}
	go fc.Run(ctx)
	waitFor(t, "stale entries claimed", 10*time.Second, func() bool { return c.count() == 3 })
	if el := time.Since(start); el < 250*time.Millisecond { // 300ms less Redis's millisecond rounding, with room
		t.Fatalf("claimed after %v, before ClaimIdle", el)
	}
	waitFor(t, "stream drained", 5*time.Second, func() bool { return client.XLen(ctx, findingsStream).Val() == 0 })
}

// A batch that can never be stored (a handler that always fails, here a
// page body that fails its SHA-256 check) is handed to the handler exactly
// MaxDeliveries times, then moved to the findings dead-letter stream with
// its last error, acked, and counted; the stream drains and the batches
// behind it are stored. A batch whose handler fails twice then succeeds is
// stored once and not dead-lettered.
func TestFindingsDeadLetterAfterMaxDeliveries(t *testing.T) {
	srv := testredis.Start(t)
	client := srv.Client()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pub := queue.NewFindingsPublisher(client)
	good := []byte("<html>耐克 高仿</html>")
	if err := pub.Put(ctx, page("r1", "https://shop.example/i/bad", good), []markwatch.Finding{finding("r1", "bad", true)}); err != nil {
		t.Fatal(err)
	}
	if err := pub.Put(ctx, page("r1", "https://shop.example/i/flaky", good), []markwatch.Finding{finding("r1", "flaky", true)}); err != nil {
		t.Fatal(err)
	}
	// Corrupt the first batch's body hash, as a broken worker or a bit
	// flip would: PageOf can never verify it.
	entries, err := client.XRange(ctx, findingsStream, "-", "+").Result()
	if err != nil || len(entries) != 2 {
		t.Fatalf("XRANGE = %d, %v", len(entries), err)
	}
	var bad queue.FindingsBatch
	if err := json.Unmarshal([]byte(entries[0].Values["b"].(string)), &bad); err != nil {
		t.Fatal(err)
	}
	bad.Page.SHA256 = strings.Repeat("0", 64)
	data, _ := json.Marshal(bad)
	if err := client.XDel(ctx, findingsStream, entries[0].ID).Err(); err != nil {
		t.Fatal(err)
	}
	if err := client.XAdd(ctx, &redis.XAddArgs{Stream: findingsStream, Values: []string{"b", string(data)}}).Err(); err != nil {
		t.Fatal(err)
	}

	const maxDeliveries = 4
	var mu sync.Mutex
	calls := map[string]int{}
	stored := map[string]int{}
	handle := func(ctx context.Context, b queue.FindingsBatch) error {
		mu.Lock()
		defer mu.Unlock()
		calls[b.Page.URL]++
		if _, err := b.PageOf(); err != nil {
			return err
		}
		if b.Page.URL == "https://shop.example/i/flaky" && calls[b.Page.URL] <= 2 {
			return errors.New("store busy")
		}
		stored[b.Page.URL]++
		return nil
	}
	m := queue.NewMetrics(nil)
	fc := &queue.FindingsConsumer{Client: client, Group: "store", Consumer: "serve-1", Handle: handle,
		Block: 50 * time.Millisecond, ClaimIdle: 200 * time.Millisecond, MaxDeliveries: maxDeliveries, Metrics: m}
	done := make(chan error, 1)
	go func() { done <- fc.Run(ctx) }()
	waitFor(t, "the stream to drain", 60*time.Second, func() bool {
		return client.XLen(ctx, findingsStream).Val() == 0 && client.XLen(ctx, "mw:{findings}:dead").Val() == 1
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := calls["https://shop.example/i/bad"]; got != maxDeliveries {
		t.Errorf("handler calls for the unstorable batch = %d, want MaxDeliveries = %d", got, maxDeliveries)
	}
	if got := stored["https://shop.example/i/flaky"]; got != 1 || calls["https://shop.example/i/flaky"] != 3 {
		t.Errorf("flaky batch: stored %d times after %d calls, want stored once after 3", got, calls["https://shop.example/i/flaky"])
	}
	if got := stored["https://shop.example/i/bad"]; got != 0 {
		t.Errorf("unstorable batch stored %d times", got)
	}
	if v := counterValue(m.FindingsDeadLetters); v != 1 {
		t.Errorf("findings dead letters counted = %v, want 1", v)
	}
	if v := counterValue(m.FindingsIngested); v != 1 {
		t.Errorf("findings ingested = %v, want 1 (the flaky batch's one finding)", v)
	}
	pending, err := client.XPending(context.Background(), findingsStream, "store").Result()
	if err != nil || pending.Count != 0 {
		t.Errorf("pending after drain = %+v, %v; want none", pending, err)
	}
	dead, err := queue.FindingsDeadLetters(context.Background(), client)
	if err != nil || len(dead) != 1 {
		t.Fatalf("FindingsDeadLetters = %d, %v", len(dead), err)
	}
	d := dead[0]
	if d.Run != "r1" || d.Site != "shop" || d.Task != "0/1-0" || d.URL != "https://shop.example/i/bad" || d.Findings != 1 ||
		d.Deliveries != maxDeliveries || !strings.Contains(d.Error, "SHA-256 mismatch") || d.DiedAt.IsZero() {
		t.Errorf("dead letter = %+v", d)
	}
	// Requeued (once the cause is fixed), it is published again as it was.
	if n, err := queue.RequeueFindings(context.Background(), client, d.ID); n != 1 || err != nil {
		t.Fatalf("RequeueFindings = %d, %v", n, err)
	}
	again, err := client.XRange(context.Background(), findingsStream, "-", "+").Result()
	if err != nil || len(again) != 1 || again[0].Values["b"] != string(data) || client.XLen(context.Background(), "mw:{findings}:dead").Val() != 0 {
		t.Fatalf("after requeue: findings stream %d entries (%v), dead %d", len(again), err, client.XLen(context.Background(), "mw:{findings}:dead").Val())
	}
}

// A batch that kills its consumer every time (the handler never returns an
// error: the process dies) is dead-lettered by the consumer that finds it
// delivered more than MaxDeliveries times, without calling the handler.
func TestFindingsDeadLetterPoisonPill(t *testing.T) {
	srv := testredis.Start(t)
	client := srv.Client()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := queue.NewFindingsPublisher(client).Put(ctx, page("r1", "https://shop.example/i/p", []byte("x")), []markwatch.Finding{finding("r1", "p", true)}); err != nil {
		t.Fatal(err)
	}
	if err := client.XGroupCreateMkStream(ctx, findingsStream, "store", "0").Err(); err != nil {
		t.Fatal(err)
	}
	// Three consumers in turn took it and died.
	if err := client.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "store", Consumer: "dead-0", Streams: []string{findingsStream, ">"}}).Err(); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ {
		if err := client.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: findingsStream, Group: "store", Consumer: fmt.Sprintf("dead-%d", i), Start: "0-0"}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	var calls atomic.Int32
	fc := &queue.FindingsConsumer{Client: client, Group: "store", Consumer: "alive", MaxDeliveries: 3,
		Handle: func(context.Context, queue.FindingsBatch) error { calls.Add(1); return nil },
		Block:  50 * time.Millisecond, ClaimIdle: 100 * time.Millisecond}
	go fc.Run(ctx)
	waitFor(t, "the poison batch dead-lettered", 10*time.Second, func() bool {
		return client.XLen(ctx, findingsStream).Val() == 0 && client.XLen(ctx, "mw:{findings}:dead").Val() == 1
	})
	if n := calls.Load(); n != 0 {
		t.Errorf("handler called %d times for a batch delivered past its budget", n)
	}
	dead, err := queue.FindingsDeadLetters(ctx, client)
	if err != nil || len(dead) != 1 || dead[0].Deliveries != 4 || !strings.Contains(dead[0].Error, "never stored") {
		t.Fatalf("FindingsDeadLetters = %+v, %v", dead, err)
	}
}
