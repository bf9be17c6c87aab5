package queue

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/markwatch/markwatch/internal/testredis"
	"github.com/redis/go-redis/v9"
)

// A write on a dedicated connection (durable.go) to a node that a failover
// has turned into a replica fails with READONLY, and go-redis then reports
// the connection itself as in a bad state, wrapping that answer. The next
// attempt takes a new connection to the master as it is now, so the write
// is retryable: a worker whose findings batch met a demoted master must
// publish it again, not give the page up (seen in a loaded failover drill:
// "publish 1 findings …: redis: Conn is in a bad state: READONLY").
func TestWriteRefusedByADemotedMasterIsRetryable(t *testing.T) {
	master := testredis.Start(t)
	replica := testredis.StartReplicaOf(t, master)
	master.WaitOnlineReplicas(t, 1, 30*time.Second)
	ctx := context.Background()
	// The production client, with the failover hook, as durably uses it.
	c, err := Dial(replica.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	node := c.(*redis.Client)
	conn := node.Conn()
	defer conn.Close()
	err = conn.XAdd(ctx, &redis.XAddArgs{Stream: "s", Values: []string{"b", "x"}}).Err()
	if err == nil {
		t.Fatal("XADD on a replica succeeded")
	}
	t.Logf("error on the dedicated connection: %v", err)
	if !retryable(err) {
		t.Errorf("%v: not retryable; a new connection to the new master would take the write", err)
	}
	// Redis' own refusals stay final, on a dedicated connection too.
	mc, err := Dial(master.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer mc.Close()
	if err := mc.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	mconn := mc.(*redis.Client).Conn()
	defer mconn.Close()
	err = mconn.XAdd(ctx, &redis.XAddArgs{Stream: "k", Values: []string{"b", "x"}}).Err()
	if err == nil || retryable(err) {
		t.Errorf("XADD to a string key: %v; want a final error", err)
	}
}

// A durable write answered by a master that then dies, unconfirmed, is
// reported as not durable (write it again) when no new master takes it
// within the failover budget, however its later attempts failed. Each
// attempt's commands on its dedicated connection run once: the attempts
// are durably's, within its one budget, not the hook's, each with a
// budget of its own (seen in a loaded drill: a held seed's enqueue failed
// with "Conn is in a bad state: … use of closed network connection"
// instead of "not confirmed").
func TestDurableWriteWhoseMasterDiesIsNotDurable(t *testing.T) {
	master := testredis.Start(t)
	replica := testredis.StartReplicaOf(t, master)
	master.WaitOnlineReplicas(t, 1, 30*time.Second)
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: master.Addr})
	defer c.Close()
	Resilient(c, time.Second, nil)
	setDurability(c, Durability{Replicas: 1, Timeout: 50 * time.Millisecond})
	plain := redis.NewClient(&redis.Options{Addr: master.Addr, MaxRetries: -1})
	defer plain.Close()

	replica.HoldReplication(t)
	done := make(chan error, 1)
	go func() {
		done <- durably(ctx, c, "k", func(ctx context.Context, cmd redis.Cmdable) error {
			return cmd.Set(ctx, "k", "v", 0).Err()
		})
	}()
	// Killed once the write is answered and its WAIT blocks (a reply
	// lost with the master would leave it unknown whether it was made).
	for !strings.Contains(plain.Info(ctx, "clients").Val(), "blocked_clients:1") || plain.Exists(ctx, "k").Val() == 0 {
		select {
		case err := <-done:
			t.Fatalf("durably returned before the master was killed: %v", err)
		case <-time.After(2 * time.Millisecond):
		}
	}
	master.Kill()
	err := <-done
	if !errors.Is(err, ErrNotDurable) {
		t.Fatalf("write answered, then its master killed for good: %v; want ErrNotDurable", err)
	}
	t.Logf("error: %v", err)
}
