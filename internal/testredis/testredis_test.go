package testredis

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestStartRestartKill(t *testing.T) {
	srv := Start(t)
	if strings.HasSuffix(srv.Addr, ":6379") {
		t.Fatalf("Addr = %s, must never be the machine's 6379", srv.Addr)
	}
	ctx := context.Background()
	c := srv.Client()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	if v, _ := c.ConfigGet(ctx, "appendonly").Result(); v["appendonly"] != "yes" {
		t.Fatalf("appendonly = %q, want yes", v["appendonly"])
	}
	srv.Restart(t)
	if got, err := c.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("after Restart GET k = %q, %v; want v (AOF must keep data)", got, err)
	}
	srv.Kill()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("PING after Kill succeeded, want an error")
	}
	srv.Restart(t)
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING after Kill+Restart: %v", err)
	}
	if !strings.HasPrefix(srv.URL(), "redis://127.0.0.1:") {
		t.Fatalf("URL = %q", srv.URL())
	}
}

func TestStartCluster(t *testing.T) {
	cl := StartCluster(t, 3)
	if len(cl.Addrs) != 3 {
		t.Fatalf("Addrs = %v, want 3", cl.Addrs)
	}
	ctx := context.Background()
	c := cl.Client()
	// Keys spread over slots owned by different masters must all work.
	for i := 0; i < 30; i++ {
		if err := c.Set(ctx, fmt.Sprintf("key-%d", i), i, 0).Err(); err != nil {
			t.Fatalf("SET key-%d: %v", i, err)
		}
	}
	var mu sync.Mutex
	masters := 0
	err := c.(*redis.ClusterClient).ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
		mu.Lock()
		masters++
		mu.Unlock()
		return n.Ping(ctx).Err()
	})
	if err != nil || masters != 3 {
		t.Fatalf("ForEachMaster: %d masters, err %v; want 3", masters, err)
	}
	// A multi-key command across slots must fail with CROSSSLOT: proves
	// this really is a cluster and that the frontier's tests can catch it.
	if err := c.Do(ctx, "MGET", "key-1", "key-2", "key-3").Err(); err == nil || !strings.Contains(err.Error(), "CROSSSLOT") {
		t.Fatalf("MGET across slots: err = %v, want CROSSSLOT", err)
	}
	if err := c.Do(ctx, "MGET", "{a}x", "{a}y").Err(); err != nil {
		t.Fatalf("MGET within one hash tag: %v", err)
	}
}
