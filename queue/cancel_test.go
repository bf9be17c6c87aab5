package queue

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/internal/testredis"
)

func cancelTasks(run string, n int, from int, band int, notBefore time.Time) []markwatch.Task {
	out := make([]markwatch.Task, n)
	for i := range out {
		out[i] = markwatch.Task{Run: run, Site: "shop", Kind: markwatch.KindItem, Priority: band, NotBefore: notBefore,
			URL: fmt.Sprintf("https://shop.example/%s/%d", run, from+i)}
	}
	return out
}

// CancelRun sweeps streams and the delayed set a few entries per script
// call: with a budget of 3 it takes dozens of calls, resuming from its
// cursor in each band and in the ZSCAN of the delayed set, and must still
// drop exactly the run's undelivered tasks, no leased and no other run's.
func TestRedisCancelRunInSlices(t *testing.T) {
	srv := testredis.Start(t)
	client := srv.Client()
	ctx := context.Background()
	f := NewRedis(client, Options{Lease: time.Minute})
	defer f.Close()
	f.cancelBudget = 3
	later := time.Now().Add(time.Hour)
	for i := 0; i < 20; i++ { // interleaved runs, two bands
		b := 5 * (i % 2)
		for _, tasks := range [][]markwatch.Task{cancelTasks("r1", 2, 2*i, b, time.Time{}), cancelTasks("r2", 1, i, b, time.Time{})} {
			if _, err := f.Add(ctx, tasks...); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Delayed: enough members that the zset is a skiplist, where ZSCAN
	// returns a few at a time.
	if _, err := f.Add(ctx, cancelTasks("r1", 150, 1000, 0, later)...); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Add(ctx, cancelTasks("r2", 30, 1000, 0, later)...); err != nil {
		t.Fatal(err)
	}
	held, err := f.Lease(ctx, 10)
	if err != nil || len(held) != 10 {
		t.Fatalf("Lease = %d, %v", len(held), err)
	}
	heldR1 := 0
	for _, h := range held {
		if h.Run == "r1" {
			heldR1++
		}
	}
	dropped, err := f.CancelRun(ctx, "r1")
	if want := 40 + 150 - heldR1; err != nil || dropped != want {
		t.Fatalf("CancelRun = %d, %v; want %d", dropped, err, want)
	}
	st, err := f.Stats(ctx, "r1")
	if err != nil || st.Queued != 0 || st.Leased != int64(heldR1) || st.Cancelled != int64(dropped) {
		t.Fatalf("r1 stats %+v, %v", st, err)
	}
	st2, err := f.Stats(ctx, "r2")
	if err != nil || st2.Queued+st2.Leased != 50 || st2.Cancelled != 0 {
		t.Fatalf("r2 stats %+v, %v", st2, err)
	}
	k := newSiteKeys("shop")
	delayed, err := client.ZRange(ctx, k.delayed, 0, -1).Result()
	if err != nil || len(delayed) != 30 {
		t.Fatalf("delayed set has %d members, %v; want r2's 30", len(delayed), err)
	}
	for _, m := range delayed {
		if parts := strings.SplitN(m, sep, 3); parts[1] != "r2" {
			t.Fatalf("delayed member of run %q kept", parts[1])
		}
	}
	// Leasing everything left hands out r2's ready tasks only.
	rest, err := f.Lease(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range rest {
		if g.Run != "r2" {
			t.Fatalf("leased %s of the cancelled run", g.URL)
		}
	}
	if len(rest)+len(held)-heldR1 != 20 {
		t.Fatalf("r2 ready tasks leased: %d + %d, want 20", len(rest), len(held)-heldR1)
	}
}

// The two windows cancel.go names: a task that reaches a stream after the
// site's flag but before the sweep is dropped when leased; a task whose
// lease expires after the cancel is dropped by the recoverer; and an Add
// on a site the run did not have, after the meta was marked but before
// CancelRun listed the sites, is refused.
func TestRedisCancelRunWindows(t *testing.T) {
	srv := testredis.Start(t)
	client := srv.Client()
	ctx := context.Background()
	f := NewRedis(client, Options{Lease: 200 * time.Millisecond})
	defer f.Close()
	if _, err := f.Add(ctx, cancelTasks("r1", 3, 0, 0, time.Time{})...); err != nil {
		t.Fatal(err)
	}
	held, err := f.Lease(ctx, 1)
	if err != nil || len(held) != 1 {
		t.Fatalf("Lease = %d, %v", len(held), err)
	}
	// Only the site's flag, as if CancelRun had not swept the stream yet.
	k := newSiteKeys("shop")
	if err := client.HSet(ctx, k.runs, runField("r1", "cancelled"), ms(time.Now())).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := f.Lease(ctx, 10); err != nil || len(got) != 0 {
		t.Fatalf("Lease after the flag = %v, %v; want nothing", got, err)
	}
	st, _ := f.Stats(ctx, "r1")
	if st.Queued != 0 || st.Leased != 1 || st.Cancelled != 2 {
		t.Fatalf("after the lease met cancelled tasks: %+v; want leased 1, cancelled 2", st)
	}
	time.Sleep(300 * time.Millisecond)
	if n, err := f.Recover(ctx); err != nil || n != 1 {
		t.Fatalf("Recover = %d, %v; want the expired lease", n, err)
	}
	st, _ = f.Stats(ctx, "r1")
	if st.Leased != 0 || st.Queued != 0 || st.Cancelled != 3 || !st.Finished {
		t.Fatalf("after the expired lease was dropped: %+v; want finished, cancelled 3", st)
	}
	if got, _ := f.Lease(ctx, 10); len(got) != 0 {
		t.Fatalf("expired lease of a cancelled run handed out again: %v", got)
	}
	// Only the run's meta marked: a fresh process adding on a new site.
	if err := client.HSet(ctx, runMetaKey("r2"), "cancelled", strconv.FormatInt(ms(time.Now()), 10)).Err(); err != nil {
		t.Fatal(err)
	}
	g := NewRedis(client, Options{})
	defer g.Close()
	if n, err := g.Add(ctx, markwatch.Task{Run: "r2", Site: "newsite", Kind: markwatch.KindItem, URL: "https://new.example/1"}); err != nil || n != 0 {
		t.Fatalf("Add to a cancelled run on a new site = %d, %v; want 0", n, err)
	}
	if n, _ := client.Exists(ctx, newSiteKeys("newsite").streams[0]).Result(); n != 0 {
		t.Fatal("the refused task reached a stream")
	}
}
