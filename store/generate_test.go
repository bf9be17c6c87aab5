package store_test

import (
	"context"
	"testing"

	"github.com/markwatch/markwatch/store"
)

// TestGenerateKeepsIndexesAndTallies checks that a generated store is
// searchable and its campaign tallies count every listing.
func TestGenerateKeepsIndexesAndTallies(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := store.Generate(ctx, st, 500, 7); err != nil {
		t.Fatal(err)
	}
	_, total, err := st.Suspects(ctx, store.Filter{All: true, Q: "劳力", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if total == 0 {
		t.Errorf("search 劳力 over a generated store found nothing")
	}
	d, err := st.Dashboard(ctx, store.DashboardFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Totals.Listings != 500 || len(d.ByProvince) == 0 || len(d.ByDay) == 0 {
		t.Errorf("dashboard of a generated store: %+v, %d provinces, %d days", d.Totals, len(d.ByProvince), len(d.ByDay))
	}
}
