package queue_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/internal/testredis"
	"github.com/markwatch/markwatch/queue"
)

// BenchmarkFrontierAddBacklog compares adding tasks to a run with a large
// backlog (MARKWATCH_BENCH_FRONTIER_TASKS queued, default 100,000; issue 14
// states its target at 1,000,000) against adding them to an empty run of
// another site, in interleaved chunks of 1,000 on the same Redis, so the
// machine's load falls on both alike. Reported: the median of the chunks'
// time ratios (backlog / empty; target ≤ 1.1) and its range.
func BenchmarkFrontierAddBacklog(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("MARKWATCH_BENCH_FRONTIER_TASKS")); err == nil && v >= 1000 {
		n = v / 1000 * 1000
	}
	srv := testredis.Start(b)
	client := srv.Client()
	ctx := context.Background()
	tasks := func(site, run string, n, from int) []markwatch.Task {
		out := make([]markwatch.Task, n)
		for i := range out {
			id := from + i
			out[i] = markwatch.Task{Run: run, Site: site, Kind: markwatch.KindSearch, Query: "耐克",
				URL: fmt.Sprintf("http://127.0.0.1:38121/%s/search?q=%%E8%%80%%90%%E5%%85%%8B&page=%d", site, id), Page: id}
		}
		return out
	}
	const chunk, chunks = 1000, 20
	var ratios []float64
	for i := 0; i < b.N; i++ {
		client.FlushAll(ctx)
		f := queue.NewRedis(client, queue.Options{})
		for done := 0; done < n; done += chunk {
			if _, err := f.Add(ctx, tasks("full", "backlog", chunk, done)...); err != nil {
				b.Fatal(err)
			}
		}
		// Register the empty runs (one task each, far from the timed pages)
		// so that the timed adds do the same work as the backlog's.
		for c := range chunks {
			if _, err := f.Add(ctx, tasks("empty", "empty-"+strconv.Itoa(c), 1, 10*n)...); err != nil {
				b.Fatal(err)
			}
		}
		timed := func(ts []markwatch.Task) time.Duration {
			start := time.Now()
			if _, err := f.Add(ctx, ts...); err != nil {
				b.Fatal(err)
			}
			return time.Since(start)
		}
		for c := range chunks {
			// A fresh run each chunk: an empty dedup set. Which goes first alternates.
			emptyTasks := tasks("empty", "empty-"+strconv.Itoa(c), chunk, 0)
			fullTasks := tasks("full", "backlog", chunk, n+c*chunk)
			var empty, full time.Duration
			if c%2 == 0 {
				empty, full = timed(emptyTasks), timed(fullTasks)
			} else {
				full, empty = timed(fullTasks), timed(emptyTasks)
			}
			ratios = append(ratios, float64(full)/float64(empty))
		}
		f.Close()
	}
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "backlog/empty")
	b.ReportMetric(ratios[0], "min")
	b.ReportMetric(ratios[len(ratios)-1], "max")
	b.ReportMetric(0, "ns/op")
}
