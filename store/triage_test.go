package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/store"
	"github.com/markwatch/markwatch/store/storetest"
)

func triageStore(t *testing.T, n int) (*store.Store, []int64) {
	t.Helper()
	ctx := context.Background()
	clock := time.Date(2026, 10, 2, 0, 0, 0, 0, time.UTC)
	st, err := store.Open(ctx, t.TempDir(), store.WithClock(func() time.Time { clock = clock.Add(time.Millisecond); return clock }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var fs []markwatch.Finding
	for i := 0; i < n; i++ {
		f := storetest.Finding("r1", "shop", fmt.Sprintf("l%02d", i), "Nike", "", 10, clock)
		f.Verdict.Score = 0.5 + float64(i)/100 // l(n-1) first in the queue
		f.Listing.Seller = fmt.Sprintf("seller-%d", i%2)
		fs = append(fs, f)
	}
	if _, err := st.PutFindings(ctx, fs); err != nil {
		t.Fatal(err)
	}
	rows, _, err := st.Suspects(ctx, store.Filter{Status: store.New, Limit: n})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, r := range rows {
		ids = append(ids, r.ID)
	}
	return st, ids
}

func TestNextFollowsTheQueueAfterADecision(t *testing.T) {
	ctx := context.Background()
	st, ids := triageStore(t, 5)
	f := store.Filter{Status: store.New}
	if _, err := st.Decide(ctx, "rita", []int64{ids[0]}, store.Confirmed, ""); err != nil {
		t.Fatal(err)
	}
	// ids[0] left the filter; its successor is still ids[1].
	for i := 0; i < len(ids); i++ {
		next, err := st.Next(ctx, f, ids[i])
		if err != nil {
			t.Fatal(err)
		}
		want := int64(0)
		if i+1 < len(ids) {
			want = ids[i+1]
		}
		if next != want {
			t.Errorf("after %d: next %d, want %d", ids[i], next, want)
		}
	}
	for _, sort := range []string{"price", "last_seen", "first_seen", "likely"} {
		if _, err := st.Next(ctx, store.Filter{Sort: sort}, ids[1]); err != nil {
			t.Errorf("sort %s: %v", sort, err)
		}
	}
}

func TestUndoRestoresAndIsAudited(t *testing.T) {
	ctx := context.Background()
	st, ids := triageStore(t, 4)
	if _, err := st.Undo(ctx, "rita"); !errors.Is(err, store.ErrNothingToUndo) {
		t.Fatalf("undo with no decision: %v", err)
	}
	st.Decide(ctx, "rita", []int64{ids[0]}, store.Confirmed, "first")
	st.Decide(ctx, "rita", []int64{ids[1], ids[2]}, store.Dismissed, "second")
	st.Decide(ctx, "olga", []int64{ids[3]}, store.Confirmed, "someone else")
	res, err := st.Undo(ctx, "rita")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Listings) != 2 || res.Listings[ids[1]] != store.New || res.Listings[ids[2]] != store.New {
		t.Errorf("first undo: %+v, want the two dismissals reversed", res)
	}
	res, err = st.Undo(ctx, "rita")
	if err != nil || len(res.Listings) != 1 || res.Listings[ids[0]] != store.New {
		t.Errorf("second undo: %+v, %v", res, err)
	}
	if _, err := st.Undo(ctx, "rita"); !errors.Is(err, store.ErrNothingToUndo) {
		t.Errorf("third undo: %v, want nothing left", err)
	}
	d, err := st.Listing(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != store.New || len(d.Decisions) != 2 || d.Decisions[1].From != store.Confirmed || d.Decisions[1].To != store.New {
		t.Errorf("listing after undo: %s, decisions %+v", d.Status, d.Decisions)
	}
	if other, _ := st.Listing(ctx, ids[3]); other.Status != store.Confirmed {
		t.Errorf("olga's decision was undone by rita's undo")
	}
	log, _ := st.AuditLog(ctx, 10, 0)
	undos := 0
	for _, e := range log {
		if e.Action == "undo" && e.Actor == "rita" {
			undos++
		}
	}
	if undos != 2 {
		t.Errorf("audit log has %d undo entries, want 2", undos)
	}
}

func TestDecideFilterNeedsTheConfirmedCount(t *testing.T) {
	ctx := context.Background()
	st, _ := triageStore(t, 6)
	f := store.Filter{Status: store.New, Seller: "seller-1", SellerExact: true}
	n, err := st.CountFilter(ctx, f)
	if err != nil || n != 3 {
		t.Fatalf("count: %d, %v; want 3", n, err)
	}
	if _, err := st.DecideFilter(ctx, "rita", f, store.Dismissed, "", 2); !errors.Is(err, store.ErrSelectionChanged) {
		t.Errorf("wrong count: %v, want ErrSelectionChanged", err)
	}
	res, err := st.DecideFilter(ctx, "rita", f, store.Dismissed, "seller sells spare parts", 3)
	if err != nil || len(res.Changed) != 3 {
		t.Fatalf("decide by filter: %+v, %v", res, err)
	}
	if n, _ := st.CountFilter(ctx, f); n != 0 {
		t.Errorf("%d still new", n)
	}
	u, err := st.Undo(ctx, "rita")
	if err != nil || len(u.Listings) != 3 {
		t.Errorf("undo of a bulk decision: %+v, %v", u, err)
	}
}
