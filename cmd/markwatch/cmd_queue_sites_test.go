package main

import (
	"context"
	"strings"
	"testing"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/internal/testredis"
	"github.com/markwatch/markwatch/queue"
)

func TestQueueSitesAndResume(t *testing.T) {
	rs := testredis.Start(t)
	f := queue.NewRedis(rs.Client(), queue.Options{})
	defer f.Close()
	ctx := context.Background()
	if _, err := f.Add(ctx, markwatch.Task{Run: "r", Site: "fakemart", Kind: markwatch.KindSearch, URL: "http://127.0.0.1/s?q=1"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.PauseSite(ctx, "fakemart", `selector "#nc_1_wrapper"`); err != nil {
		t.Fatal(err)
	}
	g, out, _ := crawlGlobals()
	if err := (&QueueSitesCmd{Redis: rs.URL()}).Run(g); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "fakemart\tPAUSED until") || !strings.Contains(s, `block 1 in a row: selector "#nc_1_wrapper"`) {
		t.Fatalf("queue sites:\n%s", s)
	}
	g, out, _ = crawlGlobals()
	if err := (&QueueResumeCmd{Site: "fakemart", Redis: rs.URL()}).Run(g); err != nil {
		t.Fatal(err)
	}
	g, out, _ = crawlGlobals()
	if err := (&QueueSitesCmd{Redis: rs.URL(), JSON: true}).Run(g); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, `"site":"fakemart","paused":false`) {
		t.Fatalf("queue sites --json after resume:\n%s", s)
	}
	if tasks, err := f.Lease(ctx, 1); err != nil || len(tasks) != 1 {
		t.Fatalf("after resume: leased %d tasks (%v), want the site's task", len(tasks), err)
	}
}
