package store_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/store"
	"github.com/markwatch/markwatch/store/storetest"
)

// calibrationStore seeds known decisions: region-rule listings at 0.92 that
// the team mostly dismissed, slang listings at 0.68 it mostly confirmed,
// price+slang at 0.75 in between; and two undecided listings, one of each
// of the first two kinds.
func calibrationStore(t *testing.T) (*store.Store, map[string]int64) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	at := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	type group struct {
		name      string
		signals   []string
		score     float64
		confirmed int
		dismissed int
	}
	groups := []group{
		{"region", []string{"region"}, 0.92, 2, 8},
		{"slang", []string{"slang"}, 0.68, 9, 1},
		{"priceslang", []string{"price", "slang"}, 0.75, 30, 10},
	}
	var fs []markwatch.Finding
	decide := map[store.Status][]string{}
	for _, g := range groups {
		for i := 0; i < g.confirmed+g.dismissed+1; i++ {
			id := fmt.Sprintf("%s-%02d", g.name, i)
			f := storetest.Finding("r1", "shop", id, "Rolex", "", 100, at)
			f.Verdict.Score = g.score
			f.Verdict.Signals = nil
			for _, s := range g.signals {
				f.Verdict.Signals = append(f.Verdict.Signals, markwatch.Signal{Type: s, Mark: "Rolex", Detail: s})
			}
			fs = append(fs, f)
			switch {
			case i < g.confirmed:
				decide[store.Confirmed] = append(decide[store.Confirmed], id)
			case i < g.confirmed+g.dismissed:
				decide[store.Dismissed] = append(decide[store.Dismissed], id)
			}
		}
	}
	if _, err := st.PutFindings(ctx, fs); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, f := range fs {
		ids[f.Listing.ID], _ = st.ListingByKey(ctx, "shop", f.Listing.ID)
	}
	for status, keys := range decide {
		var list []int64
		for _, k := range keys {
			list = append(list, ids[k])
		}
		if _, err := st.Decide(ctx, "rita", list, status, ""); err != nil {
			t.Fatal(err)
		}
	}
	return st, ids
}

func TestCalibrationNumbers(t *testing.T) {
	ctx := context.Background()
	st, ids := calibrationStore(t)
	c, err := st.Calibrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Confirmed != 41 || c.Dismissed != 19 || !c.Enough {
		t.Fatalf("totals: %d confirmed, %d dismissed, enough %v; want 41, 19, true", c.Confirmed, c.Dismissed, c.Enough)
	}
	prior := 41.0 / 60
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	find := func(ps []store.Precision, g string) store.Precision {
		for _, p := range ps {
			if p.Group == g {
				return p
			}
		}
		t.Fatalf("no group %q in %+v", g, ps)
		return store.Precision{}
	}
	for _, c := range []struct {
		what      string
		p         store.Precision
		yes, no   int
		precision float64
	}{
		{"signal region", find(c.Signals, "region"), 2, 8, 0.2},
		{"signal slang", find(c.Signals, "slang"), 39, 11, 0.78},
		{"signal price", find(c.Signals, "price"), 30, 10, 0.75},
		{"key price,slang", find(c.Keys, "price,slang"), 30, 10, 0.75},
		{"key slang", find(c.Keys, "slang"), 9, 1, 0.9},
		{"band 0.9–1.0", find(c.Bands, "0.9–1.0"), 2, 8, 0.2},
		{"band 0.6–0.7", find(c.Bands, "0.6–0.7"), 9, 1, 0.9},
		{"band 0.7–0.8", find(c.Bands, "0.7–0.8"), 30, 10, 0.75},
	} {
		n := float64(c.yes + c.no)
		if c.p.Confirmed != c.yes || c.p.Dismissed != c.no || !near(c.p.Precision, c.precision) ||
			!near(c.p.Likelihood, (float64(c.yes)+store.Smoothing*prior)/(n+store.Smoothing)) {
			t.Errorf("%s: %+v, want %d/%d precision %.2f", c.what, c.p, c.yes, c.no, c.precision)
		}
	}

	// Before applying, the queue ranks by the shipped score: region first.
	rows, _, _ := st.Suspects(ctx, store.Filter{Status: store.New})
	if len(rows) != 3 || rows[0].ID != ids["region-10"] {
		t.Fatalf("shipped order: %v", rows)
	}
	if _, err := st.ApplyCalibration(ctx, "adam"); err != nil {
		t.Fatal(err)
	}
	rows, _, _ = st.Suspects(ctx, store.Filter{Status: store.New, Sort: "likely"})
	var order []string
	for _, r := range rows {
		order = append(order, r.ListingID)
	}
	if fmt.Sprint(order) != "[slang-10 priceslang-40 region-10]" {
		t.Errorf("calibrated order %v, want slang, price+slang, region", order)
	}
	if ok, _ := st.Calibrated(ctx); !ok {
		t.Error("Calibrated is false after applying")
	}
	// New findings take the applied likelihood of their combination.
	f := storetest.Finding("r2", "shop", "late", "Rolex", "", 100, time.Date(2026, 10, 3, 0, 0, 0, 0, time.UTC))
	f.Verdict.Signals = []markwatch.Signal{{Type: "region", Detail: "x"}}
	st.PutFindings(ctx, []markwatch.Finding{f})
	rows, _, _ = st.Suspects(ctx, store.Filter{Status: store.New, Sort: "likely"})
	if rows[len(rows)-1].ListingID != "late" && rows[len(rows)-2].ListingID != "late" {
		t.Errorf("a new region listing is not ranked with the region ones: %v", rows)
	}
}

func TestCalibrationNeedsEnoughDecisions(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.ApplyCalibration(ctx, "adam"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("apply with no decisions: %v", err)
	}
}
