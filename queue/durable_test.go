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

// With durability asking for a replica the server does not have, a seed
// (or a findings batch) is written but reported not durable, and writing
// it again is harmless; other tasks are not waited for. A rolled-back
// seed (its dedup entry gone, as after a failover) shows in Stats.
func TestDurabilityAndLostSeeds(t *testing.T) {
	srv := testredis.Start(t)
	client, err := queue.DialWith(srv.URL(), queue.DialOptions{FailoverBudget: 300 * time.Millisecond,
		Durability: &queue.Durability{Replicas: 1, Timeout: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx := context.Background()
	f := queue.NewRedis(client, queue.Options{})
	defer f.Close()
	seed := markwatch.Task{Run: "r", Site: "s", Kind: markwatch.KindSearch, Query: "q", Page: 1, URL: "https://s.example/?q=q"}
	next := markwatch.Task{Run: "r", Site: "s", Kind: markwatch.KindSearch, Query: "q", Page: 2, URL: "https://s.example/?q=q&p=2"}
	if _, err := f.Add(ctx, seed); !errors.Is(err, queue.ErrNotDurable) {
		t.Fatalf("Add of a seed without a replica = %v, want ErrNotDurable", err)
	}
	if n, err := f.Add(ctx, next); err != nil || n != 1 {
		t.Fatalf("Add of a follow-up = %d, %v; want it queued without waiting", n, err)
	}
	pub := queue.NewFindingsPublisher(client)
	page := &markwatch.Page{Task: seed, URL: seed.URL, Status: 200, Body: []byte("x")}
	if err := pub.Put(ctx, page, []markwatch.Finding{{Run: "r", Listing: markwatch.Listing{ID: "1", Site: "s"}}}); !errors.Is(err, queue.ErrNotDurable) {
		t.Fatalf("Put without a replica = %v, want ErrNotDurable", err)
	}
	// Durability off: the seed again is a duplicate, recorded, finished
	// accounting intact.
	queue.SetDurability(client, queue.Durability{})
	if n, err := f.Add(ctx, seed); err != nil || n != 0 {
		t.Fatalf("seeding again = %d, %v; want the duplicate dropped", n, err)
	}
	st, err := f.Stats(ctx, "r")
	if err != nil || st.LostSeeds != 0 || st.Queued != 2 {
		t.Fatalf("stats %+v, %v", st, err)
	}
	// A failover that rolled the site's slot back: the seed's dedup entry
	// and task are gone, the run's own record of its seeds is not.
	got, err := f.Lease(ctx, 2)
	if err != nil || len(got) != 2 {
		t.Fatalf("lease %d, %v", len(got), err)
	}
	if err := f.Ack(ctx, got...); err != nil {
		t.Fatal(err)
	}
	if err := client.Del(ctx, "mw:{s:s}:seen:r", "mw:{s:s}:runs").Err(); err != nil {
		t.Fatal(err)
	}
	st, err = f.Stats(ctx, "r")
	if err != nil || st.LostSeeds != 1 || st.Finished {
		t.Fatalf("after the rollback: %+v, %v; want 1 lost seed and not finished", st, err)
	}
	if _, err := f.Add(ctx, seed); err != nil {
		t.Fatal(err)
	}
	if st, _ = f.Stats(ctx, "r"); st.LostSeeds != 0 {
		t.Fatalf("after seeding again: %+v; want no lost seed", st)
	}
}
