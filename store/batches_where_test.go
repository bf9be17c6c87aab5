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

// A batch cut by marks and sweep takes only those listings, remembers the
// cut, and leaves the rest waiting.
func TestCreateBatchWhereMarksAndSweep(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now().UTC()
	var fs []markwatch.Finding
	for i, c := range []struct{ mark, sweep string }{{"Nike", "618"}, {"Nike", "1111"}, {"Adidas", "618"}, {"Nike", "618"}} {
		f := storetest.Finding("r1", "shop", fmt.Sprintf("W%d", i), c.mark, "", 59, now)
		f.Sweep = c.sweep
		fs = append(fs, f)
	}
	if _, err := s.PutFindings(ctx, fs); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := range fs {
		id, _ := s.ListingByKey(ctx, "shop", fmt.Sprintf("W%d", i))
		ids = append(ids, id)
	}
	if _, err := s.Decide(ctx, "rita", ids, store.Confirmed, ""); err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateBatchWhere(ctx, "rita", store.BatchFilter{Site: "shop", Marks: []string{"Nike"}, Sweep: "618", Label: "mark=Nike sweep=618"}, 0)
	if err != nil || b.Size != 2 || b.Filter != "mark=Nike sweep=618" {
		t.Fatalf("batch = %+v, %v; want the 2 Nike listings of sweep 618", b, err)
	}
	got, rows, err := s.Batch(ctx, b.ID)
	if err != nil || got.Filter != b.Filter || len(rows) != 2 {
		t.Fatalf("read back %+v, %d rows, %v", got, len(rows), err)
	}
	for _, r := range rows {
		if r.Mark != "Nike" || r.Sweep != "618" {
			t.Errorf("row %s: mark %s sweep %s", r.ListingID, r.Mark, r.Sweep)
		}
	}
	if _, err := s.CreateBatchWhere(ctx, "rita", store.BatchFilter{Marks: []string{"Nike"}, Sweep: "618"}, 0); !errors.Is(err, store.ErrNothingToExport) {
		t.Errorf("second cut: %v, want nothing left", err)
	}
	// A seller network's listings: storetest names the seller of W1
	// "seller-W", like all of them, so a cut by another seller is empty.
	if _, err := s.CreateBatchWhere(ctx, "rita", store.BatchFilter{Sellers: [][2]string{{"shop", "nobody"}}}, 0); !errors.Is(err, store.ErrNothingToExport) {
		t.Errorf("cut by another seller: %v", err)
	}
	rest, err := s.CreateBatchWhere(ctx, "rita", store.BatchFilter{Sellers: [][2]string{{"other", "x"}, {"shop", "seller-W"}}, Label: "network=abc"}, 0)
	if err != nil || rest.Size != 2 {
		t.Fatalf("rest = %+v, %v; want the other 2", rest, err)
	}
}
