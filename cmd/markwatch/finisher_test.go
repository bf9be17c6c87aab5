package main

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/queue"
	"github.com/markwatch/markwatch/store"
	"github.com/markwatch/markwatch/store/storetest"
)

func TestRunFinisher(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir(), store.WithBcryptCost(4))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f := queue.NewMemory(queue.Options{Retries: 1})
	now := time.Now()
	// "done" crawled a page with a finding; "empty" crawled a page with
	// none; "died" lost its task; "lost" had a findings batch set aside;
	// "imported" is unknown to the frontier.
	for _, run := range []string{"done", "died", "lost", "imported"} {
		if _, err := st.PutFindings(ctx, []markwatch.Finding{storetest.Finding(run, "shop", "L-"+run, "Nike", "", 59, now)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, run := range []string{"done", "empty", "died", "lost"} {
		if _, err := f.Add(ctx, markwatch.Task{Run: run, Site: "shop", Kind: markwatch.KindSearch, URL: "http://shop/" + run}); err != nil {
			t.Fatal(err)
		}
	}
	leased, err := f.Lease(ctx, 10)
	if err != nil || len(leased) != 4 {
		t.Fatalf("leased %v %v", leased, err)
	}
	for _, task := range leased {
		if task.Run == "died" {
			err = f.Nack(ctx, task, errors.New("gone"), false, 0)
		} else {
			err = f.Ack(ctx, task)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	consumed := false
	var marks int
	fin := &runFinisher{
		Store: st, Runs: f.Runs, Stats: f.Stats, Every: time.Hour, Logger: slog.New(slog.DiscardHandler),
		Mark:            func(context.Context) (string, error) { marks++; return "5-0", nil },
		ConsumedThrough: func(_ context.Context, mark string) (bool, error) { return consumed && mark == "5-0", nil },
		SetAside:        func(context.Context) (map[string]bool, error) { return map[string]bool{"lost": true}, nil },
	}
	finished := func(run string) bool { return finishedInStore(t, st, run) }
	for pass := 1; pass <= 2; pass++ {
		if err := fin.Once(ctx); err != nil {
			t.Fatal(err)
		}
		if finished("done") || finished("empty") {
			t.Fatalf("pass %d: a run finished before the stream was consumed through its mark", pass)
		}
	}
	if marks != 2 {
		t.Fatalf("took %d marks, want one per finishable run (done, empty)", marks)
	}
	consumed = true
	if err := fin.Once(ctx); err != nil {
		t.Fatal(err)
	}
	if !finished("done") {
		t.Error("a finished run with its findings stored was not finished in the store")
	}
	if !finished("empty") {
		t.Error("a finished run without findings was not finished in the store")
	}
	if finished("died") {
		t.Error("a run that lost a task was finished: it may not have seen everything")
	}
	if finished("lost") {
		t.Error("a run with a findings batch set aside was finished")
	}
	if finished("imported") {
		t.Error("a run unknown to the frontier was finished")
	}
}

// finishedInStore says whether the store finished run.
func finishedInStore(t *testing.T, st *store.Store, run string) bool {
	t.Helper()
	r, err := st.Run(context.Background(), run)
	if errors.Is(err, store.ErrNotFound) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return !r.FinishedAt.IsZero()
}
