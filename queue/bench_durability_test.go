package queue_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/internal/testredis"
	"github.com/markwatch/markwatch/queue"
)

// BenchmarkFrontierDurability measures the price of durability on a local
// 3+3 Cluster: batched add + lease + ack of seed tasks (the tasks whose
// add waits for a replica) with durability on (WAIT 1 replica) and off,
// on the same Cluster, in interleaved rounds so that both see the same
// machine. Run: go test -bench FrontierDurability -run '^$' -benchtime 1x ./queue/
func BenchmarkFrontierDurability(b *testing.B) {
	cl := testredis.StartClusterWith(b, testredis.ClusterOptions{Masters: 3, Replicas: 1})
	url := "redis://" + strings.Join(cl.Addrs, ",redis://")
	on, err := queue.Dial(url)
	if err != nil {
		b.Fatal(err)
	}
	defer on.Close()
	off, err := queue.Dial(url)
	if err != nil {
		b.Fatal(err)
	}
	defer off.Close()
	queue.SetDurability(off, queue.Durability{})
	if d := queue.DurabilityOf(on); d.Replicas != 1 {
		b.Fatalf("cluster durability %+v, want on by default", d)
	}
	fOn := queue.NewRedis(on, queue.Options{Consumer: "bench-on"})
	fOff := queue.NewRedis(off, queue.Options{Consumer: "bench-off"})
	defer fOn.Close()
	defer fOff.Close()
	const batch, n, rounds = 100, 5000, 3
	seeds := func(run string, from int) []markwatch.Task {
		out := make([]markwatch.Task, batch)
		for i := range out {
			q := fmt.Sprintf("q%d", from+i)
			out[i] = markwatch.Task{Run: run, Site: "shop", Kind: markwatch.KindSearch, Query: q, Page: 1,
				URL: "http://127.0.0.1:38121/search?q=" + q}
		}
		return out
	}
	loop := func(f *queue.Redis, run string) time.Duration {
		ctx := context.Background()
		start := time.Now()
		for done := 0; done < n; done += batch {
			if _, err := f.Add(ctx, seeds(run, done)...); err != nil {
				b.Fatal(err)
			}
			got, err := f.Lease(ctx, batch)
			if err != nil || len(got) != batch {
				b.Fatalf("leased %d, %v", len(got), err)
			}
			if err := f.Ack(ctx, got...); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	b.ResetTimer()
	var tOn, tOff time.Duration
	for i := 0; i < b.N; i++ {
		for r := 0; r < rounds; r++ {
			tOff += loop(fOff, fmt.Sprintf("off-%d-%d", i, r))
			tOn += loop(fOn, fmt.Sprintf("on-%d-%d", i, r))
		}
	}
	total := float64(b.N * rounds * n)
	b.ReportMetric(total/tOn.Seconds(), "durable_tasks/s")
	b.ReportMetric(total/tOff.Seconds(), "tasks/s")
	b.ReportMetric(tOff.Seconds()/tOn.Seconds(), "ratio")
	b.ReportMetric(0, "ns/op")
}
