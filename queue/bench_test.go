package queue_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/internal/testredis"
	"github.com/markwatch/markwatch/queue"
	"github.com/redis/go-redis/v9"
)

// Benchmarks: `go test -bench Frontier -run '^$' ./queue/`. Each starts its
// own redis-server. Throughput is reported as tasks/s next to a bare
// XADD / XREADGROUP / XACK loop with the same batch size against the same
// server in the same run, and their ratio.

func benchTasks(run string, n, from int) []markwatch.Task {
	out := make([]markwatch.Task, n)
	for i := range out {
		id := from + i
		out[i] = markwatch.Task{Run: run, Site: "shop", Kind: markwatch.KindSearch, Query: "耐克",
			URL: fmt.Sprintf("http://127.0.0.1:38121/search?q=%%E8%%80%%90%%E5%%85%%8B&page=%d", id), Page: id}
	}
	return out
}

// frontierLoop pushes n tasks through add + lease + ack in batches.
func frontierLoop(b testing.TB, f *queue.Redis, run string, n, batch int) time.Duration {
	ctx := context.Background()
	start := time.Now()
	for done := 0; done < n; done += batch {
		tasks := benchTasks(run, batch, done)
		if _, err := f.Add(ctx, tasks...); err != nil {
			b.Fatal(err)
		}
		got, err := f.Lease(ctx, batch)
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != batch {
			b.Fatalf("leased %d, want %d", len(got), batch)
		}
		if err := f.Ack(ctx, got...); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start)
}

// bareLoop is the primitive: XADD (pipelined) + XREADGROUP COUNT batch +
// XACK of the batch's ids, with a payload of the frontier's size.
func bareLoop(b *testing.B, c redis.UniversalClient, n, batch int) time.Duration {
	ctx := context.Background()
	const stream = "bare:{s}"
	c.Del(ctx, stream)
	if err := c.XGroupCreateMkStream(ctx, stream, "g", "0").Err(); err != nil {
		b.Fatal(err)
	}
	payload := `{"k":"search","u":"http://127.0.0.1:38121/search?q=%E8%80%90%E5%85%8B&page=1","q":"耐克","p":1}`
	start := time.Now()
	for done := 0; done < n; done += batch {
		_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := 0; i < batch; i++ {
				p.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []string{"r", "bench", "t", payload}})
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		res, err := c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{stream, ">"}, Count: int64(batch)}).Result()
		if err != nil {
			b.Fatal(err)
		}
		ids := make([]string, 0, batch)
		for _, m := range res[0].Messages {
			ids = append(ids, m.ID)
		}
		if err := c.XAck(ctx, stream, "g", ids...).Err(); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start)
}

func benchThroughput(b *testing.B, batch, n int) {
	srv := testredis.Start(b)
	client := srv.Client()
	f := queue.NewRedis(client, queue.Options{Lease: time.Minute})
	defer f.Close()
	b.ResetTimer()
	var bare, front time.Duration
	for i := 0; i < b.N; i++ {
		bare += bareLoop(b, client, n, batch)
		front += frontierLoop(b, f, "run"+strconv.Itoa(i), n, batch)
	}
	b.StopTimer()
	if batch > 1 {
		if rate := redisBenchmarkXAdd(b, srv.Addr, batch); rate > 0 {
			b.ReportMetric(rate, "redis-benchmark_xadd/s")
		}
	}
	total := float64(n * b.N)
	bareRate, frontRate := total/bare.Seconds(), total/front.Seconds()
	b.ReportMetric(frontRate, "tasks/s")
	b.ReportMetric(bareRate, "bare_tasks/s")
	b.ReportMetric(frontRate/bareRate, "ratio")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkFrontierBatched: add + lease + ack in batches of 100.
func BenchmarkFrontierBatched(b *testing.B) { benchThroughput(b, 100, 20000) }

// BenchmarkFrontierSingle: add + lease + ack one task at a time.
func BenchmarkFrontierSingle(b *testing.B) { benchThroughput(b, 1, 2000) }

// redisBenchmarkXAdd is redis-benchmark's figure for XADD alone (the
// cheapest of the three primitives) with the batch size as pipeline depth,
// on the same server: a ceiling no add+lease+ack loop can reach.
func redisBenchmarkXAdd(b *testing.B, addr string, pipeline int) float64 {
	host, port, _ := strings.Cut(addr, ":")
	out, err := exec.Command("redis-benchmark", "-h", host, "-p", port, "-n", "100000", "-P", strconv.Itoa(pipeline), "-q",
		"XADD", "rb:{s}", "MAXLEN", "~", "10000", "*", "r", "bench", "t", strings.Repeat("x", 90)).Output()
	if err != nil {
		b.Logf("redis-benchmark: %v", err)
		return 0
	}
	m := regexp.MustCompile(`([0-9.]+) requests per second`).FindStringSubmatch(string(out))
	if m == nil {
		b.Logf("redis-benchmark output not understood: %q", out)
		return 0
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

func usedMemory(b *testing.B, c redis.UniversalClient) int64 {
	info, err := c.Info(context.Background(), "memory").Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	b.Fatal("no used_memory in INFO")
	return 0
}

// BenchmarkFrontierMemory reports Redis memory per queued task (the stream
// entries alone, and the whole INFO delta, which includes the dedup set)
// and per dedup entry, for 100,000 queued search-page tasks; and the stream
// entry of 100,000 item-page tasks, each with its search card's listing.
// MARKWATCH_BENCH_FRONTIER_TASKS sets another count (issue 14's target is
// stated at 1,000,000 queued).
func BenchmarkFrontierMemory(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("MARKWATCH_BENCH_FRONTIER_TASKS")); err == nil && v >= 1000 {
		n = v / 1000 * 1000
	}
	srv := testredis.Start(b)
	client := srv.Client()
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		client.FlushAll(ctx)
		f := queue.NewRedis(client, queue.Options{})
		// Warm up the key structures so the delta is per entry only.
		if _, err := f.Add(ctx, benchTasks("warm", 1, 0)...); err != nil {
			b.Fatal(err)
		}
		before := usedMemory(b, client)
		for done := 0; done < n; done += 1000 {
			if _, err := f.Add(ctx, benchTasks("run", 1000, done)...); err != nil {
				b.Fatal(err)
			}
		}
		after := usedMemory(b, client)
		stream, err := client.MemoryUsage(ctx, "mw:{s:shop}:q:0", 0).Result()
		if err != nil {
			b.Fatal(err)
		}
		seen, err := client.MemoryUsage(ctx, "mw:{s:shop}:seen:run", 0).Result()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(stream)/float64(n), "stream_B/task")
		b.ReportMetric(float64(seen)/float64(n), "B/dedup")
		b.ReportMetric(float64(after-before)/float64(n), "total_B/task")
		sample := queue.ItemTaskSample()
		for done := 0; done < n; done += 1000 {
			items := make([]markwatch.Task, 1000)
			for i := range items {
				t, l := sample, *sample.Listing
				t.URL = fmt.Sprintf("https://mart.example.com/item/%010x.html", done+i)
				l.URL, l.ID = t.URL, fmt.Sprintf("%010x", done+i)
				t.Listing = &l
				items[i] = t
			}
			if _, err := f.Add(ctx, items...); err != nil {
				b.Fatal(err)
			}
		}
		itemStream, err := client.MemoryUsage(ctx, "mw:{s:mart}:q:1", 0).Result()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(itemStream)/float64(n), "item_stream_B/task")
		f.Close()
	}
	b.ReportMetric(0, "ns/op")
}
