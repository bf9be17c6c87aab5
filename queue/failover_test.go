package queue_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/markwatch/markwatch/internal/testredis"
	"github.com/markwatch/markwatch/queue"
	"github.com/prometheus/client_golang/prometheus"
)

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A command issued while the server is down waits for it (within the
// failover budget) instead of failing; the outage is logged once, however
// many commands ran into it, and counted in seconds.
func TestFailoverBudgetRidesOutARestart(t *testing.T) {
	t.Parallel() // its own server; no clock-bound assertion
	srv := testredis.Start(t)
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	c, err := queue.DialWith(srv.URL(), queue.DialOptions{FailoverBudget: time.Minute, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	reg := prometheus.NewRegistry()
	m := queue.NewMetrics(reg)
	before := counterValue(m.RedisUnavailable)
	ctx := context.Background()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	const callers = 8
	errs := make(chan error, callers)
	for i := 0; i < callers; i++ {
		go func() { errs <- c.Incr(ctx, "n").Err() }()
	}
	waitFor(t, "the client to notice the outage", 30*time.Second, func() bool { return queue.Unavailable(c) })
	srv.Restart(t)
	for i := 0; i < callers; i++ {
		if err := <-errs; err != nil {
			t.Fatalf("INCR through a restart: %v", err)
		}
	}
	if n, err := c.Get(ctx, "n").Int(); err != nil || n != callers {
		t.Fatalf("n = %d, %v; want %d", n, err, callers)
	}
	if queue.Unavailable(c) {
		t.Fatal("still unavailable after commands succeeded")
	}
	if got := counterValue(m.RedisUnavailable) - before; got <= 0 {
		t.Fatalf("markwatch_redis_unavailable_seconds_total grew by %v, want > 0", got)
	}
	text := logs.String()
	if n := strings.Count(text, "redis unavailable"); n != 1 {
		t.Fatalf("%d 'redis unavailable' lines for one outage, want 1:\n%s", n, text)
	}
	if n := strings.Count(text, "redis available again"); n != 1 {
		t.Fatalf("%d 'redis available again' lines, want 1:\n%s", n, text)
	}
}

// With no budget left, the error reaches the caller.
func TestFailoverBudgetSpent(t *testing.T) {
	t.Parallel() // its own server; no clock-bound assertion
	srv := testredis.Start(t)
	c, err := queue.DialWith(srv.URL(), queue.DialOptions{FailoverBudget: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	srv.Kill()
	if err := c.Ping(context.Background()).Err(); err == nil {
		t.Fatal("PING to a dead server succeeded")
	}
}

func TestDialSentinelURL(t *testing.T) {
	for _, bad := range []string{"redis-sentinel://", "redis-sentinel://h:1", "redis-sentinel://h:1/m/x", "redis-sentinel://:pw@/m"} {
		if _, err := queue.Dial(bad); err == nil {
			t.Errorf("Dial(%q) accepted", bad)
		} else if strings.Contains(err.Error(), "pw") {
			t.Errorf("Dial(%q): error shows the password: %v", bad, err)
		}
	}
	c, err := queue.Dial("redis-sentinel://:secret@127.0.0.1:1,127.0.0.1:2/mymaster/2")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if d := queue.DurabilityOf(c); d.Replicas != 1 || d.Timeout != 500*time.Millisecond {
		t.Fatalf("sentinel durability %+v, want 1 replica, 500ms", d)
	}
}
