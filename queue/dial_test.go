package queue_test

import (
	"context"
	"github.com/redis/go-redis/v9"
	"strings"
	"testing"

	"github.com/markwatch/markwatch/internal/testredis"
	"github.com/markwatch/markwatch/queue"
)

func TestDial(t *testing.T) {
	srv := testredis.Start(t)
	c, err := queue.Dial(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("PING via %s: %v", srv.URL(), err)
	}
	if _, err := queue.Dial("redis://:secret@127.0.0.1:1/x"); err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("bad URL: err = %v, want an error without the password", err)
	}
	if _, err := queue.Dial(""); err == nil {
		t.Fatal("empty URL accepted")
	}
}

// testDialCluster is run by TestRedisClusterFrontier on its cluster.
func testDialCluster(t *testing.T, cl *testredis.Cluster) {
	cc, err := queue.Dial("redis://" + strings.Join(cl.Addrs, ",redis://"))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	if _, ok := cc.(*redis.ClusterClient); !ok {
		t.Fatalf("several URLs gave %T, want a cluster client", cc)
	}
	if err := cc.Set(context.Background(), "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
}
