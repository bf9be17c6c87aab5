package queue_test

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/markwatch/markwatch/internal/testredis"
	"github.com/markwatch/markwatch/queue"
	"github.com/redis/go-redis/v9"
)

// waitBreaker fails the WAIT that confirms a lease or an ack as a master
// dying between its answer and its replica's confirmation would: the
// connection breaks. before runs first (to play the failover's rollback).
type waitBreaker struct {
	mu     sync.Mutex
	on     bool
	before func()
	broken int
}

func (h *waitBreaker) arm(before func()) {
	h.mu.Lock()
	h.on, h.before, h.broken = true, before, 0
	h.mu.Unlock()
}

func (h *waitBreaker) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *waitBreaker) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
func (h *waitBreaker) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.mu.Lock()
		on, before := h.on && strings.EqualFold(cmd.Name(), "wait"), h.before
		if on {
			h.on = false
			h.broken++
		}
		h.mu.Unlock()
		if !on {
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
	srv := testredis.Start(t)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer client.Close()
	queue.Resilient(client, -1, nil) // no retries: the hook's errors reach the queue at once
	// A replica the server does not have: each WAIT gives up after its
	// short bound and the write is taken as it is (best effort).
	queue.SetDurability(client, queue.Durability{Replicas: 1, Timeout: 10 * time.Millisecond})
	h := &waitBreaker{}
	client.AddHook(h)
	raw := srv.Client()
	ctx := context.Background()
	a := queue.NewRedis(client, queue.Options{Consumer: "a", Lease: time.Minute})
	b := queue.NewRedis(raw, queue.Options{Consumer: "b", Lease: time.Minute})
	defer a.Close()
	defer b.Close()

	// Best effort: no replica confirms, the lease is worked all the same.
	if _, err := a.Add(ctx, itemTasks("r", "s", 6)...); err != nil {
		t.Fatal(err)
	}
	got, err := a.Lease(ctx, 2)
	if err != nil || len(got) != 2 {
		t.Fatalf("lease without a confirming replica = %d, %v; want 2", len(got), err)
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

	// An ack whose confirmation broke off is made again: counted once
	// when it survived, made again when it was rolled back.
	h.arm(nil)
	if err := a.Ack(ctx, got[0]); err != nil || h.broken != 1 {
		t.Fatalf("unconfirmed ack = %v (WAITs broken %d); want it made again without error", err, h.broken)
	}
	h.arm(snapshot(t, raw, "mw:{s:s}:*"))
	if err := a.Ack(ctx, got[1]); err != nil || h.broken != 1 {
		t.Fatalf("unconfirmed, rolled-back ack = %v (WAITs broken %d); want it made again without error", err, h.broken)
	}
	if st, err = a.Stats(ctx, "r"); err != nil || st.Done != 2 || st.Leased != 4 {
		t.Fatalf("after the acks: %+v, %v; want 2 done, 4 leased", st, err)
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
