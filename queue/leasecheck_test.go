package queue_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/internal/testredis"
	"github.com/markwatch/markwatch/queue"
)

// A failover can hand a lease out twice under the same stream id (the
// first delivery was lost with the old master). The first worker's late
// ack, nack, release or extend must not touch the second worker's lease.
func TestLateCallsNeverTouchAnotherWorkersLease(t *testing.T) {
	srv := testredis.Start(t)
	client := srv.Client()
	ctx := context.Background()
	a := queue.NewRedis(client, queue.Options{Consumer: "a", Lease: time.Minute})
	b := queue.NewRedis(client, queue.Options{Consumer: "b", Lease: time.Minute})
	defer a.Close()
	defer b.Close()
	var tasks []markwatch.Task
	for _, q := range []string{"x", "y"} {
		tasks = append(tasks, markwatch.Task{Run: "r", Site: "s", Kind: markwatch.KindSearch, URL: "https://s.example/?q=" + q, Query: q, Page: 1})
	}
	if n, err := a.Add(ctx, tasks...); err != nil || n != 2 {
		t.Fatalf("Add = %d, %v", n, err)
	}
	got, err := b.Lease(ctx, 2)
	if err != nil || len(got) != 2 {
		t.Fatalf("Lease = %d, %v", len(got), err)
	}
	// Worker a acts on tasks it does not hold (as after a lost delivery).
	if err := a.Ack(ctx, got[0]); !errors.Is(err, queue.ErrLeaseLost) {
		t.Fatalf("Ack by a non-holder = %v, want ErrLeaseLost", err)
	}
	if err := a.Nack(ctx, got[0], errors.New("boom"), true, 0); !errors.Is(err, queue.ErrLeaseLost) {
		t.Fatalf("Nack by a non-holder = %v, want ErrLeaseLost", err)
	}
	if err := a.Release(ctx, got[1]); !errors.Is(err, queue.ErrLeaseLost) {
		t.Fatalf("Release by a non-holder = %v, want ErrLeaseLost", err)
	}
	if err := a.Extend(ctx, got...); !errors.Is(err, queue.ErrLeaseLost) {
		t.Fatalf("Extend by a non-holder = %v, want ErrLeaseLost", err)
	}
	st, err := b.Stats(ctx, "r")
	if err != nil || st.Leased != 2 || st.Done != 0 || st.Queued != 0 || st.Failed != 0 {
		t.Fatalf("after the non-holder's calls: %+v, %v; want both still leased", st, err)
	}
	// The holder's calls work.
	if err := b.Extend(ctx, got...); err != nil {
		t.Fatalf("Extend by the holder: %v", err)
	}
	if err := b.Ack(ctx, got...); err != nil {
		t.Fatalf("Ack by the holder: %v", err)
	}
	if st, _ := b.Stats(ctx, "r"); st.Done != 2 || st.Leased != 0 || !st.Finished {
		t.Fatalf("after the holder's ack: %+v", st)
	}
}
