package queue_test

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/internal/testredis"
	"github.com/markwatch/markwatch/queue"
	"github.com/redis/go-redis/v9"
)

// waitHook watches the WAITs that confirm leases and acks: it counts them,
// runs onWait (once, set by the test) as one is sent, and, when armed,
// fails the next one as a master dying between its answer and its
// replica's confirmation would: the connection breaks. before runs first
// (to play the failover's rollback).
type waitHook struct {
	mu     sync.Mutex
	waits  int
	onWait func()
	on     bool
	before func()
	broken int
}

func (h *waitHook) arm(before func()) {
	h.mu.Lock()
	h.on, h.before, h.broken = true, before, 0
	h.mu.Unlock()
}

func (h *waitHook) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.waits
}

func (h *waitHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *waitHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
func (h *waitHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !strings.EqualFold(cmd.Name(), "wait") {
			return next(ctx, cmd)
		}
		h.mu.Lock()
		h.waits++
		onWait, brk, before := h.onWait, h.on, h.before
		h.onWait = nil
		if brk {
			h.on = false
			h.broken++
		}
		h.mu.Unlock()
		if onWait != nil {
			onWait()
		}
		if !brk {
			return next(ctx, cmd)
		}
		if before != nil {
			before()
		}
		cmd.SetErr(io.ErrUnexpectedEOF)
		return io.ErrUnexpectedEOF
	}
}

// A lease or an ack whose confirmation broke off is checked on the master
// as it is then: a lease it still holds is worked, one it lost (handed to
// another worker after the failover) is dropped, so no page is fetched
// twice; an ack is made again, and counted once.
func TestUnconfirmedLeaseAndAck(t *testing.T) {
	srv, _ := startWithReplica(t)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer client.Close()
	queue.Resilient(client, -1, nil) // no retries: the hook's errors reach the queue at once
	queue.SetDurability(client, queue.Durability{Replicas: 1, Timeout: 10 * time.Second})
	// A broken WAIT marks the master replica-less (a failover's promoted
	// replica has none yet); here every lease and ack tries WAIT again.
	defer queue.SetReplicaMissingFor(queue.SetReplicaMissingFor(0))
	h := &waitHook{}
	client.AddHook(h)
	raw := srv.Client()
	ctx := context.Background()
	a := queue.NewRedis(client, queue.Options{Consumer: "a", Lease: time.Minute})
	b := queue.NewRedis(raw, queue.Options{Consumer: "b", Lease: time.Minute})
	defer a.Close()
	defer b.Close()

	if _, err := a.Add(ctx, itemTasks("r", "s", 6)...); err != nil {
		t.Fatal(err)
	}
	got, err := a.Lease(ctx, 2)
	if err != nil || len(got) != 2 {
		t.Fatalf("lease confirmed by the replica = %d, %v; want 2", len(got), err)
	}

	// The connection breaks before the confirmation; the master still
	// holds the leases: kept.
	h.arm(nil)
	kept, err := a.Lease(ctx, 2)
	if err != nil || len(kept) != 2 || h.broken != 1 {
		t.Fatalf("unconfirmed lease still held = %d, %v (WAITs broken %d); want 2 kept", len(kept), err, h.broken)
	}

	// The master dies with the next leases unreplicated: the promoted
	// replica serves the past before them (played by restoring a snapshot
	// of the site's keys). a drops them; they go to b, fetched once.
	h.arm(snapshot(t, raw, "mw:{s:s}:*"))
	dropped, err := a.Lease(ctx, 2)
	if err != nil || len(dropped) != 0 || h.broken != 1 {
		t.Fatalf("unconfirmed lease rolled back = %d tasks, %v (WAITs broken %d); want none worked by a", len(dropped), err, h.broken)
	}
	st, err := a.Stats(ctx, "r")
	if err != nil || st.Leased != 4 || st.Queued != 2 {
		t.Fatalf("stats %+v, %v; want 4 leased, 2 queued", st, err)
	}
	if other, err := b.Lease(ctx, 2); err != nil || len(other) != 2 {
		t.Fatalf("b leases the rolled-back tasks = %d, %v; want 2", len(other), err)
	}

	// An ack whose confirmation broke off and that survived counts once.
	// One rolled back is not made again: the follow-up task added just
	// before it may have been rolled back with it (it was here), so the
	// task is given back, to be fetched again and add its follow-ups anew;
	// acking it again would finish a page whose follow-ups are gone.
	h.arm(nil)
	if err := a.Ack(ctx, got[0]); err != nil || h.broken != 1 {
		t.Fatalf("unconfirmed ack = %v (WAITs broken %d); want no error", err, h.broken)
	}
	h.arm(snapshot(t, raw, "mw:{s:s}:*"))
	follow := markwatch.Task{Run: "r", Site: "s", Kind: markwatch.KindItem, URL: "https://s.example/item?id=follow-up"}
	if _, err := a.Add(ctx, follow); err != nil {
		t.Fatal(err)
	}
	if err := a.Ack(ctx, got[1]); err != nil || h.broken != 1 {
		t.Fatalf("unconfirmed, rolled-back ack = %v (WAITs broken %d); want no error", err, h.broken)
	}
	if st, err = a.Stats(ctx, "r"); err != nil || st.Done != 1 || st.Leased != 4 || st.Queued != 1 {
		t.Fatalf("after the acks: %+v, %v; want 1 done, 4 leased, 1 queued (the rolled-back task given back, its follow-up gone)", st, err)
	}
	again, err := b.Lease(ctx, 1)
	if err != nil || len(again) != 1 || again[0].URL != got[1].URL {
		t.Fatalf("lease after the rolled-back ack = %+v, %v; want %s again", again, err, got[1].URL)
	}
}

// snapshot dumps the keys matching pattern; the returned func restores
// them as they were (a failover to a replica that missed what came after).
func snapshot(t *testing.T, c redis.UniversalClient, pattern string) func() {
	t.Helper()
	ctx := context.Background()
	keys, err := c.Keys(ctx, pattern).Result()
	if err != nil {
		t.Fatal(err)
	}
	dumps := map[string]string{}
	for _, k := range keys {
		if dumps[k], err = c.Dump(ctx, k).Result(); err != nil {
			t.Fatal(err)
		}
	}
	return func() {
		for k, v := range dumps {
			if err := c.RestoreReplace(ctx, k, 0, v).Err(); err != nil {
				t.Errorf("restore %s: %v", k, err)
			}
		}
	}
}

// startWithReplica starts a master and a replica linked to it.
func startWithReplica(t *testing.T) (master, replica *testredis.Server) {
	t.Helper()
	master = testredis.Start(t)
	replica = testredis.StartReplicaOf(t, master)
	master.WaitOnlineReplicas(t, 1, 30*time.Second)
	return master, replica
}

// A lease is worked only once a replica holds it, however slow the
// replica (a starved replica, a link that stalls before the master dies:
// a lease taken as it is would be rolled back with the master and the
// page fetched twice), within the durability timeout; a master with no
// replica connected is not waited on lease after lease.
func TestLeaseWaitsForASlowReplica(t *testing.T) {
	srv, rep := startWithReplica(t)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer client.Close()
	queue.SetDurability(client, queue.Durability{Replicas: 1, Timeout: time.Minute})
	h := &waitHook{}
	client.AddHook(h)
	ctx := context.Background()
	a := queue.NewRedis(client, queue.Options{Consumer: "a", Lease: 5 * time.Minute})
	defer a.Close()
	if _, err := a.Add(ctx, itemTasks("r", "s", 6)...); err != nil {
		t.Fatal(err)
	}

	// The replica stops answering (connected, not acknowledging); it is
	// let go only after the lease's WAIT was sent, and a while later.
	rep.Pause(t)
	var mu sync.Mutex
	resumed := false
	h.mu.Lock()
	h.onWait = func() {
		go func() {
			time.Sleep(300 * time.Millisecond)
			mu.Lock()
			resumed = true
			mu.Unlock()
			rep.Resume(t)
		}()
	}
	h.mu.Unlock()
	got, err := a.Lease(ctx, 2)
	mu.Lock()
	confirmedFirst := resumed
	mu.Unlock()
	if err != nil || len(got) != 2 {
		t.Fatalf("lease = %d, %v; want 2", len(got), err)
	}
	if !confirmedFirst {
		t.Fatal("the lease was handed out while its replica was stopped: a failover then would hand the page to another worker")
	}

	// The replica dies: a lease waits for it to come back (WAIT after
	// WAIT), and is handed out once the returning replica holds it.
	rep.Kill()
	srv.WaitOnlineReplicas(t, 0, 30*time.Second)
	queue.SetDurability(client, queue.Durability{Replicas: 1, Timeout: 20 * time.Millisecond})
	defer queue.SetReplicaGoneAfter(queue.SetReplicaGoneAfter(time.Hour))
	before := h.count()
	type result struct {
		n   int
		err error
	}
	leased := make(chan result, 1)
	go func() {
		got, err := a.Lease(ctx, 1)
		leased <- result{len(got), err}
	}()
	waitFor(t, "the lease to wait for the missing replica", 30*time.Second, func() bool { return h.count()-before >= 3 })
	select {
	case r := <-leased:
		t.Fatalf("lease handed out (%d, %v) while its master had no replica", r.n, r.err)
	default:
	}
	rep.RestartAsReplicaOf(t, srv)
	if r := <-leased; r.err != nil || r.n != 1 {
		t.Fatalf("lease once the replica is back = %d, %v; want 1", r.n, r.err)
	}

	// Gone for good (here: replicaGoneAfter is 0): the first lease gives
	// up on its WAIT and marks the master replica-less; later ones do not
	// wait at all.
	rep.Kill()
	srv.WaitOnlineReplicas(t, 0, 30*time.Second)
	queue.SetReplicaGoneAfter(0)
	defer queue.SetReplicaMissingFor(queue.SetReplicaMissingFor(time.Hour))
	before = h.count()
	for range 2 {
		if got, err := a.Lease(ctx, 1); err != nil || len(got) != 1 {
			t.Fatalf("lease without a replica = %d, %v; want 1 (best effort)", len(got), err)
		}
	}
	if n := h.count() - before; n != 1 {
		t.Fatalf("two leases after the replica is gone sent %d WAITs; want 1 (the first; none after)", n)
	}
}

// A failover (a WAIT whose connection broke) marks the master
// replica-less, so that the fleet does not stall while the promoted
// replica has none; a replica that then comes online in step is noticed
// by the probe, not only by a later lease, and waited for again.
func TestReplicaBackAfterAFailoverIsWaitedFor(t *testing.T) {
	srv, _ := startWithReplica(t)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer client.Close()
	queue.Resilient(client, -1, nil)
	queue.SetDurability(client, queue.Durability{Replicas: 1, Timeout: 10 * time.Second})
	defer queue.SetReplicaMissingFor(queue.SetReplicaMissingFor(time.Hour)) // no lease probes
	h := &waitHook{}
	client.AddHook(h)
	ctx := context.Background()
	a := queue.NewRedis(client, queue.Options{Consumer: "a", Lease: time.Minute})
	defer a.Close()
	if _, err := a.Add(ctx, itemTasks("r", "s", 4)...); err != nil {
		t.Fatal(err)
	}
	if !queue.WaitsOnReplicas(client) {
		t.Fatal("a master with a replica in step taken as replica-less")
	}
	h.arm(nil)
	if got, err := a.Lease(ctx, 2); err != nil || len(got) != 2 || h.broken != 1 {
		t.Fatalf("lease through a broken WAIT = %d, %v (broken %d); want 2 kept", len(got), err, h.broken)
	}
	waitFor(t, "the probe to find the replica in step", 30*time.Second, func() bool { return queue.WaitsOnReplicas(client) })
}
