package queue

import (
	"context"
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
