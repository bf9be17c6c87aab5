package queue_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
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
	deadline := time.Now().Add(d)
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
	// The dead consumer read everything and never acked.
	if err := client.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "store", Consumer: "dead", Streams: []string{findingsStream, ">"}}).Err(); err != nil {
		t.Fatal(err)
	}
	c := &collector{}
	fc := &queue.FindingsConsumer{Client: client, Group: "store", Consumer: "alive", Handle: c.handle, Block: 100 * time.Millisecond, ClaimIdle: 300 * time.Millisecond}
	go fc.Run(ctx)
	start := time.Now()
	waitFor(t, "stale entries claimed", 10*time.Second, func() bool { return c.count() == 3 })
	if el := time.Since(start); el < 250*time.Millisecond {
		t.Fatalf("claimed after %v, before ClaimIdle", el)
	}
	waitFor(t, "stream drained", 5*time.Second, func() bool { return client.XLen(ctx, findingsStream).Val() == 0 })
}
