package testredis

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/markwatch/markwatch/internal/testport"
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

// A 3+3 Cluster fails over when a master is killed: its replica takes the
// slot, the restarted node rejoins as a replica, and a held-back replica
// link really stops replication.
func TestClusterFailover(t *testing.T) {
	cl := StartClusterWith(t, ClusterOptions{Masters: 3, Replicas: 1, NodeTimeout: time.Second})
	if len(cl.Nodes()) != 6 {
		t.Fatalf("%d nodes, want 6", len(cl.Nodes()))
	}
	ctx := context.Background()
	const key = "{drill}k"
	master := cl.MasterOf(t, key, 5*time.Second)
	replica := cl.ReplicaOf(t, master)
	c := redis.NewClient(&redis.Options{Addr: master.Addr})
	defer c.Close()
	if err := c.Set(ctx, key, "replicated", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Wait(ctx, 1, 5*time.Second).Result(); err != nil || n != 1 {
		t.Fatalf("WAIT 1 = %d, %v", n, err)
	}
	replica.HoldReplication(t)
	if err := c.Set(ctx, key, "held", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Wait(ctx, 1, 200*time.Millisecond).Result(); err != nil || n != 0 {
		t.Fatalf("WAIT 1 with replication held = %d, %v; want 0", n, err)
	}
	start := time.Now()
	master.Kill()
	promoted, _ := cl.WaitFailover(t, key, master, 30*time.Second)
	t.Logf("failover done (cluster_state:ok) %v after the kill", time.Since(start))
	if promoted != replica {
		t.Fatalf("slot master after failover %s, want the replica %s", promoted.Addr, replica.Addr)
	}
	replica.LetReplicate(t)
	rc := redis.NewClient(&redis.Options{Addr: promoted.Addr})
	defer rc.Close()
	if v, err := rc.Get(ctx, key).Result(); err != nil || v != "replicated" {
		t.Fatalf("after failover GET = %q, %v; want the last replicated value (the held write is lost)", v, err)
	}
	start = time.Now()
	master.Restart(t)
	cl.WaitReplicated(t, 1, 30*time.Second)
	t.Logf("restarted node replicating %v after its restart", time.Since(start))
}

func TestSentinelFailover(t *testing.T) {
	s := StartSentinel(t, 1, 3, 500*time.Millisecond)
	if !strings.HasPrefix(s.URL(), "redis-sentinel://127.0.0.1:") {
		t.Fatalf("URL = %s", s.URL())
	}
	first := s.Master(t, 5*time.Second)
	if first != s.Data[0] {
		t.Fatalf("master %s, want %s", first.Addr, s.Data[0].Addr)
	}
	start := time.Now()
	first.Kill()
	promoted := s.Master(t, 30*time.Second)
	t.Logf("sentinels promoted the replica %v after the kill", time.Since(start))
	if promoted != s.Data[1] {
		t.Fatalf("after failover master %s, want the replica %s", promoted.Addr, s.Data[1].Addr)
	}
	start = time.Now()
	first.RestartAsReplicaOf(t, promoted)
	s.Replicated(t, 1, 30*time.Second)
	t.Logf("restarted node replicating %v after its restart", time.Since(start))
}

// A killed server keeps its port reserved until its test ends: no other
// server of this process or of another test process can be handed it
// before the test restarts it there.
func TestKilledServerKeepsItsPort(t *testing.T) {
	var port int
	t.Run("server", func(t *testing.T) {
		srv := Start(t)
		port = srv.port
		srv.Kill()
		if f, err := testport.Lock(port); err != nil || f != nil {
			if f != nil {
				f.Close()
			}
			t.Fatalf("port %d of a killed server could be reserved again (%v)", port, err)
		}
		srv.Restart(t)
		if err := srv.Client().Ping(context.Background()).Err(); err != nil {
			t.Fatalf("PING after Kill+Restart: %v", err)
		}
	})
	// The subtest's cleanup stopped the server and gave the port back.
	f, err := testport.Lock(port)
	if err != nil || f == nil {
		t.Fatalf("port %d still reserved after its server stopped (%v)", port, err)
	}
	f.Close()
}
