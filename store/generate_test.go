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
	if err := store.Generate(ctx, st, 2000, 7); err != nil {
		t.Fatal(err)
	}
	_, total, err := st.Suspects(ctx, store.Filter{All: true, Q: "劳力", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if total == 0 {
		t.Errorf("search 劳力 over a generated store found nothing")
	}
}
