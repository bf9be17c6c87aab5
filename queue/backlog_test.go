package queue_test

import (
	"context"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/internal/testredis"
	"github.com/markwatch/markwatch/queue"
)

func TestFindingsMarkAndConsumedThrough(t *testing.T) {
	ctx := context.Background()
	r := testredis.Start(t)
	client := r.Client()
	mark, err := queue.FindingsMark(ctx, client)
	if err != nil || mark != "0-0" {
		t.Fatalf("mark of a missing stream = %q, %v; want 0-0", mark, err)
	}
	pub := queue.NewFindingsPublisher(client)
	page := &markwatch.Page{Task: markwatch.Task{Run: "r", Site: "s"}, URL: "http://s/1", Status: 200, FetchedAt: time.Now()}
	put := func() {
		t.Helper()
		f := markwatch.Finding{Run: "r", Listing: markwatch.Listing{ID: "1", Site: "s", Title: "t"}, Verdict: markwatch.Verdict{ID: "1"}}
		if err := pub.Put(ctx, page, []markwatch.Finding{f}); err != nil {
			t.Fatal(err)
		}
	}
	put()
	mark, err = queue.FindingsMark(ctx, client)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := queue.FindingsConsumedThrough(ctx, client, mark); err != nil || ok {
		t.Fatalf("consumed through %s = %v, %v; want false: the entry is still there", mark, ok, err)
	}
	put() // published after the mark: must not hold the mark back
	consumed := 0
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go queue.ConsumeFindings(cctx, client, "store", "t", func(context.Context, queue.FindingsBatch) error {
		consumed++
		if consumed == 2 {
			cancel()
		}
		return nil
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, err := queue.FindingsConsumedThrough(ctx, client, mark)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("entries up to the mark were never consumed")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
