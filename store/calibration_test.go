package store_test

import (
	"context"
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

	// The queue ranks by the live likelihood of each listing's signal
	// combination, without anyone applying anything: slang, price+slang,
	// then region (whose score, 0.92, is the highest).
	order := func(f store.Filter) string {
		t.Helper()
		f.Sort = "likely"
		rows, _, err := st.Suspects(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rows {
			out = append(out, r.ListingID)
		}
		return fmt.Sprint(out)
	}
	if got := order(store.Filter{Status: store.New}); got != "[slang-10 priceslang-40 region-10]" {
		t.Errorf("calibrated order %v, want slang, price+slang, region", got)
	}
	if rows, _, _ := st.Suspects(ctx, store.Filter{Status: store.New}); len(rows) != 3 || rows[0].ID != ids["region-10"] {
		t.Errorf("score order: %v", rows)
	}
	if ok, _ := st.Calibrated(ctx); !ok {
		t.Error("Calibrated is false with enough decisions")
	}
	r, err := st.Ranking(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(r.Keys) != fmt.Sprint(c.Ranking) || len(r.Keys) != 3 || r.Keys[0].Key != "slang" ||
		!near(r.Keys[0].Likelihood, (9+store.Smoothing*prior)/(10+store.Smoothing)) {
		t.Errorf("live ranking %+v, calibration's %+v", r.Keys, c.Ranking)
	}
	// Paging and decide-and-next follow the same order across combinations.
	if got := order(store.Filter{Status: store.New, Limit: 1, Offset: 1}); got != "[priceslang-40]" {
		t.Errorf("second page of one: %v", got)
	}
	if got := order(store.Filter{Status: store.New, Limit: 5, Offset: 2}); got != "[region-10]" {
		t.Errorf("third page: %v", got)
	}
	for _, step := range [][2]string{{"slang-10", "priceslang-40"}, {"priceslang-40", "region-10"}, {"region-10", ""}} {
		next, err := st.Next(ctx, store.Filter{Status: store.New, Sort: "likely"}, ids[step[0]])
		if err != nil || next != ids[step[1]] {
			t.Errorf("next after %s: %d %v, want %q (%d)", step[0], next, err, step[1], ids[step[1]])
		}
	}
	// Within a combination, score order (newest first among equal
	// scores), then the next combination.
	for _, step := range [][2]string{{"slang-01", "slang-00"}, {"slang-00", "priceslang-40"}} {
		if next, _ := st.Next(ctx, store.Filter{Sort: "likely"}, ids[step[0]]); next != ids[step[1]] {
			t.Errorf("next after %s in any status: %d, want %s (%d)", step[0], next, step[1], ids[step[1]])
		}
	}

	// A decision moves the ranking at once: the team now confirms the
	// region listings it had dismissed, so region (10 of 10) comes first.
	var region []int64
	for i := 2; i < 10; i++ {
		region = append(region, ids[fmt.Sprintf("region-%02d", i)])
	}
	if _, err := st.Decide(ctx, "rita", region, store.Confirmed, ""); err != nil {
		t.Fatal(err)
	}
	if got := order(store.Filter{Status: store.New}); got != "[region-10 slang-10 priceslang-40]" {
		t.Errorf("after confirming region: %v, want region, slang, price+slang", got)
	}
	c2, _ := st.Calibrate(ctx)
	if r, _ := st.Ranking(ctx); fmt.Sprint(r.Keys) != fmt.Sprint(c2.Ranking) {
		t.Errorf("live ranking %+v differs from a recount %+v", r.Keys, c2.Ranking)
	}
	// Undo restores it.
	if _, err := st.Undo(ctx, "rita"); err != nil {
		t.Fatal(err)
	}
	if got := order(store.Filter{Status: store.New}); got != "[slang-10 priceslang-40 region-10]" {
		t.Errorf("after undo: %v", got)
	}

	// New findings rank with their combination; a combination nobody
	// decided takes its strongest signal's likelihood: region+slang that of
	// slang over all its listings, (39 + 5·41/60)/(50 + 5) ≈ 0.77, below
	// slang alone (0.87) and above price+slang (0.76).
	late := storetest.Finding("r2", "shop", "late", "Rolex", "", 100, time.Date(2026, 10, 3, 0, 0, 0, 0, time.UTC))
	late.Verdict.Signals = []markwatch.Signal{{Type: "region", Detail: "x"}}
	late.Verdict.Score = 0.5
	mixed := storetest.Finding("r2", "shop", "mixed", "Rolex", "", 100, time.Date(2026, 10, 3, 0, 0, 0, 0, time.UTC))
	mixed.Verdict.Signals = []markwatch.Signal{{Type: "region", Detail: "x"}, {Type: "slang", Detail: "y"}}
	mixed.Verdict.Score = 0.1
	if _, err := st.PutFindings(ctx, []markwatch.Finding{late, mixed}); err != nil {
		t.Fatal(err)
	}
	if got := order(store.Filter{Status: store.New}); got != "[slang-10 mixed priceslang-40 region-10 late]" {
		t.Errorf("with new findings: %v", got)
	}
	// A decided listing seen again with other signals moves its decision
	// to its new combination: the live counts match a recount.
	again := storetest.Finding("r3", "shop", "slang-00", "Rolex", "", 100, time.Date(2026, 10, 4, 0, 0, 0, 0, time.UTC))
	again.Verdict.Signals = []markwatch.Signal{{Type: "region", Detail: "x"}}
	if _, err := st.PutFindings(ctx, []markwatch.Finding{again}); err != nil {
		t.Fatal(err)
	}
	c3, _ := st.Calibrate(ctx)
	r3, _ := st.Ranking(ctx)
	if fmt.Sprint(r3.Keys) != fmt.Sprint(c3.Ranking) || find(c3.Keys, "slang").Confirmed != 8 || find(c3.Keys, "region").Confirmed != 3 {
		t.Errorf("after a key change: live %+v, recount %+v (%+v)", r3.Keys, c3.Ranking, c3.Keys)
	}
}

func TestCalibrationNeedsEnoughDecisions(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if ok, err := st.Calibrated(ctx); ok || err != nil {
		t.Errorf("calibrated with no decisions: %v %v", ok, err)
	}
	r, err := st.Ranking(ctx)
	if err != nil || r.Enough || len(r.Keys) != 0 {
		t.Errorf("ranking of an empty store: %+v %v", r, err)
	}
}
