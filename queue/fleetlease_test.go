package queue_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/markwatch/markwatch/internal/testredis"
	"github.com/markwatch/markwatch/queue"
	"github.com/redis/go-redis/v9"
)

const (
	leaseKey   = "mw:{g}:lease"
	workersKey = "mw:{g}:workers"
)

// The first worker records its lease; a worker with another lease is
// refused with both values and the command that changes the fleet's lease;
// a worker with the same lease joins and is registered alive.
func TestCheckLeaseFirstWorkerRecords(t *testing.T) {
	srv := testredis.Start(t)
	client := srv.Client()
	ctx := context.Background()

	if _, ok, err := queue.FleetLease(ctx, client); ok || err != nil {
		t.Fatalf("FleetLease on an empty Redis = ok %v, err %v; want none recorded", ok, err)
	}
	a := queue.NewRedis(client, queue.Options{Lease: 2 * time.Minute, Consumer: "a"})
	defer a.Close()
	if err := a.CheckLease(ctx); err != nil {
		t.Fatalf("first worker's CheckLease: %v", err)
	}
	if lease, ok, err := queue.FleetLease(ctx, client); !ok || err != nil || lease != 2*time.Minute {
		t.Fatalf("FleetLease = %v, %v, %v; want 2m recorded by the first worker", lease, ok, err)
	}

	b := queue.NewRedis(client, queue.Options{Consumer: "b"}) // the default 30s
	defer b.Close()
	err := b.CheckLease(ctx)
	var mismatch *queue.LeaseMismatchError
	if !errors.Is(err, queue.ErrLeaseMismatch) || !errors.As(err, &mismatch) {
		t.Fatalf("CheckLease with 30s against a 2m fleet = %v, want a *LeaseMismatchError", err)
	}
	if mismatch.Mine != 30*time.Second || mismatch.Fleet != 2*time.Minute {
		t.Fatalf("mismatch = %+v, want mine 30s, fleet 2m", mismatch)
	}
	for _, want := range []string{"30s", "2m0s", "--lease 2m0s", "markwatch queue lease --set 30s"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}

	c := queue.NewRedis(client, queue.Options{Lease: 2 * time.Minute, Consumer: "c"})
	defer c.Close()
	if err := c.CheckLease(ctx); err != nil {
		t.Fatalf("CheckLease with the fleet's lease: %v", err)
	}
	workers, err := queue.LiveWorkers(ctx, client)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(workers)
	if !slices.Equal(workers, []string{"a", "c"}) {
		t.Fatalf("live workers = %v, want [a c] (the refused worker is not registered)", workers)
	}
}

// The reviewer's scenario: a worker leases with a long lease, another
// process's recoverer was given a short one. The recoverer must measure
// expiry against the fleet's lease: no task is handed out again while its
// worker is within its lease, and the worker's ack succeeds.
func TestRecoverUsesFleetLease(t *testing.T) {
	srv := testredis.Start(t)
	client := srv.Client()
	ctx := context.Background()

	long := queue.NewRedis(client, queue.Options{Lease: 1500 * time.Millisecond, Consumer: "long"})
	defer long.Close()
	if err := long.CheckLease(ctx); err != nil {
		t.Fatal(err)
	}
	// A process that never checked (serve, the scheduler, an old worker)
	// with a much shorter lease of its own.
	short := queue.NewRedis(client, queue.Options{Lease: 100 * time.Millisecond, Consumer: "short"})
	defer short.Close()

	if _, err := long.Add(ctx, itemTasks("r", "shop", 2)...); err != nil {
		t.Fatal(err)
	}
	got, err := long.Lease(ctx, 2)
	if err != nil || len(got) != 2 {
		t.Fatalf("Lease = %d tasks, %v", len(got), err)
	}
	time.Sleep(400 * time.Millisecond) // four of the short lease, well within the fleet's
	if n, err := short.Recover(ctx); n != 0 || err != nil {
		t.Fatalf("Recover with a 100ms process lease under a 1.5s fleet lease = %d, %v; want nothing recovered", n, err)
	}
	if err := long.Ack(ctx, got[0]); err != nil {
		t.Fatalf("Ack within the fleet's lease: %v", err)
	}
	// Past the fleet's lease the other task is recovered, by any process.
	time.Sleep(1200 * time.Millisecond)
	if n, err := short.Recover(ctx); n != 1 || err != nil {
		t.Fatalf("Recover past the fleet's lease = %d, %v; want the unacked task", n, err)
	}
	if err := long.Ack(ctx, got[1]); !errors.Is(err, queue.ErrLeaseLost) {
		t.Fatalf("late Ack = %v, want ErrLeaseLost", err)
	}
}

// SetFleetLease refuses while a worker is alive, names it and both leases;
// --force changes it; a stale heartbeat does not count; and a running
// worker's heartbeat records its lease again after Redis lost the key.
func TestSetFleetLease(t *testing.T) {
	srv := testredis.Start(t)
	client := srv.Client()
	ctx := context.Background()

	old, err := queue.SetFleetLease(ctx, client, 2*time.Minute, false)
	if err != nil || old != 0 {
		t.Fatalf("SetFleetLease on an empty Redis = %v, %v; want it set, nothing replaced", old, err)
	}
	// A worker killed long ago (an hour: beyond two of any lease the test
	// sets, not on the boundary of one) left a heartbeat behind: not alive.
	if err := client.ZAdd(ctx, workersKey, redis.Z{Score: float64(time.Now().Add(-time.Hour).UnixMilli()), Member: "killed"}).Err(); err != nil {
		t.Fatal(err)
	}
	if old, err := queue.SetFleetLease(ctx, client, time.Minute, false); err != nil || old != 2*time.Minute {
		t.Fatalf("SetFleetLease with only a stale heartbeat = %v, %v; want 2m replaced", old, err)
	}

	w := queue.NewRedis(client, queue.Options{Lease: time.Minute, Consumer: "worker-1"})
	if err := w.CheckLease(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = queue.SetFleetLease(ctx, client, 5*time.Minute, false)
	var alive *queue.WorkersAliveError
	if !errors.Is(err, queue.ErrWorkersAlive) || !errors.As(err, &alive) {
		t.Fatalf("SetFleetLease with a live worker = %v, want a *WorkersAliveError", err)
	}
	if alive.Alive != 1 || !slices.Equal(alive.Workers, []string{"worker-1"}) || alive.Old != time.Minute || alive.New != 5*time.Minute {
		t.Fatalf("refusal = %+v", alive)
	}
	for _, want := range []string{"1m0s", "5m0s", "worker-1", "force"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if lease, _, _ := queue.FleetLease(ctx, client); lease != time.Minute {
		t.Fatalf("a refused SetFleetLease changed the lease to %v", lease)
	}
	if old, err := queue.SetFleetLease(ctx, client, 5*time.Minute, true); err != nil || old != time.Minute {
		t.Fatalf("forced SetFleetLease = %v, %v", old, err)
	}
	// A worker that stops leaves the registry at once: the lease can be
	// changed without waiting for its heartbeat to age.
	w.Close()
	if _, err := queue.SetFleetLease(ctx, client, time.Minute, false); err != nil {
		t.Fatalf("SetFleetLease after the worker closed: %v", err)
	}

	// Redis lost the key (no persistence, FLUSHALL): a running worker's
	// heartbeat records its lease again, so the next worker is checked
	// against it rather than recording its own.
	w2 := queue.NewRedis(client, queue.Options{Lease: time.Minute, Consumer: "worker-2"})
	defer w2.Close()
	if err := w2.CheckLease(ctx); err != nil {
		t.Fatal(err)
	}
	if err := client.Del(ctx, leaseKey).Err(); err != nil {
		t.Fatal(err)
	}
	w2.Start()
	waitFor(t, "the heartbeat to record the lease again", 5*time.Second, func() bool {
		lease, ok, _ := queue.FleetLease(ctx, client)
		return ok && lease == time.Minute
	})
	other := queue.NewRedis(client, queue.Options{Consumer: "worker-3"})
	defer other.Close()
	if err := other.CheckLease(ctx); !errors.Is(err, queue.ErrLeaseMismatch) {
		t.Fatalf("CheckLease of a 30s worker after the lease was re-recorded = %v, want ErrLeaseMismatch", err)
	}
}
