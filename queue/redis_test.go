package queue_test

import (
	"context"
	"testing"
	"time"

	"github.com/markwatch/markwatch"

	"github.com/markwatch/markwatch/internal/testredis"
	"github.com/markwatch/markwatch/queue"
	"github.com/markwatch/markwatch/queue/queuetest"
	"github.com/redis/go-redis/v9"
)

func flush(t *testing.T, c redis.UniversalClient) {
	t.Helper()
	ctx := context.Background()
	var err error
	if cc, ok := c.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error { return n.FlushAll(ctx).Err() })
	} else {
		err = c.FlushAll(ctx).Err()
	}
	if err != nil {
		t.Fatalf("FLUSHALL: %v", err)
	}
}

func redisFactory(client redis.UniversalClient) queuetest.Factory {
	return func(t *testing.T, opts queue.Options) queue.Frontier {
		flush(t, client)
		f := queue.NewRedis(client, opts)
		t.Cleanup(func() { f.Close() })
		return f
	}
}

func TestRedisFrontier(t *testing.T) {
	srv := testredis.Start(t)
	queuetest.Run(t, redisFactory(srv.Client()))
}

// TestRedisClusterFrontier runs the suite on a 3-master Cluster: any script
// or multi-key command that spans two slots fails with CROSSSLOT.
func TestRedisClusterFrontier(t *testing.T) {
	cl := testredis.StartCluster(t, 3)
	queuetest.Run(t, redisFactory(cl.Client()))
	t.Run("Dial", func(t *testing.T) { testDialCluster(t, cl) })
	t.Run("Operations", func(t *testing.T) { testClusterOperations(t, cl.Client()) })
}

// testClusterOperations runs what the suite does not touch (metrics
// reads, janitor, recoverer loop, findings stream) on the cluster.
func testClusterOperations(t *testing.T, client redis.UniversalClient) {
	flush(t, client)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := queue.NewRedis(client, queue.Options{Lease: 300 * time.Millisecond})
	f.Start()
	defer f.Close()
	for _, site := range []string{"alpha", "beta", "gamma", "delta"} {
		if _, err := f.Add(ctx, itemTasks("r", site, 3)...); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.Lease(ctx, 5); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "expired leases recovered by the background loop", 5*time.Second, func() bool {
		st, err := f.Stats(ctx, "r")
		return err == nil && st.Leased == 0 && st.Queued == 12
	})
	depths, err := queue.Depths(ctx, client)
	if err != nil || len(depths) != 4 {
		t.Fatalf("Depths = %+v, %v", depths, err)
	}
	if err := f.Janitor(ctx); err != nil {
		t.Fatalf("Janitor: %v", err)
	}
	if err := queue.NewFindingsPublisher(client).Put(ctx, page("r", "https://alpha.example/i", []byte("x")), []markwatch.Finding{finding("r", "1", true)}); err != nil {
		t.Fatal(err)
	}
	got := make(chan queue.FindingsBatch, 1)
	go queue.ConsumeFindings(ctx, client, "store", "c1", func(ctx context.Context, b queue.FindingsBatch) error {
		got <- b
		return nil
	})
	select {
	case b := <-got:
		if len(b.Findings) != 1 {
			t.Fatalf("batch = %+v", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no findings batch consumed on the cluster")
	}
}
