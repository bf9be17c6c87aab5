package queue_test

import (
	"context"
	"testing"

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
}
