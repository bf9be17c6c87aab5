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
	// Run "done" crawled one page; run "died" lost its task; run "imported"
	// is unknown to the frontier.
	for _, run := range []string{"done", "died", "imported"} {
		if _, err := st.PutFindings(ctx, []markwatch.Finding{storetest.Finding(run, "shop", "L-"+run, "Nike", "", 59, now)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, run := range []string{"done", "died"} {
		if _, err := f.Add(ctx, markwatch.Task{Run: run, Site: "shop", Kind: markwatch.KindSearch, URL: "http://shop/" + run}); err != nil {
			t.Fatal(err)
		}
	}
	leased, err := f.Lease(ctx, 10)
	if err != nil || len(leased) != 2 {
		t.Fatalf("leased %v %v", leased, err)
	}
	for _, task := range leased {
		if task.Run == "done" {
			err = f.Ack(ctx, task)
		} else {
			err = f.Nack(ctx, task, errors.New("gone"), false, 0)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	consumed := false
	fin := &runFinisher{Store: st, Stats: f.Stats, Every: time.Hour, Logger: slog.New(slog.DiscardHandler),
		Consumed: func(context.Context, time.Time) (bool, error) { return consumed, nil }}

	finished := func(run string) bool {
		r, err := st.Run(ctx, run)
		if err != nil {
			t.Fatal(err)
		}
		return !r.FinishedAt.IsZero()
	}
	if err := fin.Once(ctx); err != nil {
		t.Fatal(err)
	}
	if finished("done") {
		t.Fatal("run finished while its findings were still on the stream")
	}
	consumed = true
	if err := fin.Once(ctx); err != nil {
		t.Fatal(err)
	}
	if !finished("done") {
		t.Error("a finished run with its findings stored was not finished in the store")
	}
	if finished("died") {
		t.Error("a run that lost a task was finished: it may not have seen everything")
	}
	if finished("imported") {
		t.Error("a run unknown to the frontier was finished")
	}
}
