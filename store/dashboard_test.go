package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/store"
	"github.com/markwatch/markwatch/store/storetest"
)

func TestDashboardCountsFollowDecisions(t *testing.T) {
	ctx := context.Background()
	day1 := time.Date(2026, 10, 1, 3, 0, 0, 0, time.UTC)
	clock := day1
	st, err := store.Open(ctx, t.TempDir(), store.WithClock(func() time.Time { return clock }))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var fs []markwatch.Finding
	for i, c := range []struct {
		site, mark, ship string
		day              int
	}{
		{"taobao", "Nike", "广东 莆田", 0}, {"taobao", "Nike", "广东省 广州", 0}, {"jd", "Nike", "福建 莆田", 1}, {"jd", "Rolex", "上海", 1},
	} {
		f := storetest.Finding("r1", c.site, string(rune('a'+i)), c.mark, "", 10, day1.AddDate(0, 0, c.day))
		f.Sweep = "national-day"
		f.Listing.ShipFrom = c.ship
		fs = append(fs, f)
	}
	other := storetest.Finding("r0", "jd", "z", "Nike", "", 10, day1.AddDate(0, 0, -30))
	other.Sweep = "mid-autumn"
	fs = append(fs, other)
	if _, err := st.PutFindings(ctx, fs); err != nil {
		t.Fatal(err)
	}
	a, _ := st.ListingByKey(ctx, "taobao", "a")
	b, _ := st.ListingByKey(ctx, "taobao", "b")
	c, _ := st.ListingByKey(ctx, "jd", "c")
	st.Decide(ctx, "rita", []int64{a, b}, store.Confirmed, "")
	st.Decide(ctx, "rita", []int64{c}, store.Dismissed, "")
	clock = day1.AddDate(0, 0, 2)
	batch, err := st.CreateBatch(ctx, "rita", "taobao", 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.MarkBatchRequested(ctx, "rita", batch.ID, ""); err != nil {
		t.Fatal(err)
	}

	d, err := st.Dashboard(ctx, store.DashboardFilter{Sweep: "national-day"})
	if err != nil {
		t.Fatal(err)
	}
	want := store.Tally{Listings: 4, Suspects: 4, Confirmed: 2, Dismissed: 1, Requested: 2}
	if got := d.Totals; got != want {
		t.Errorf("totals %+v, want %+v", got, want)
	}
	find := func(ts []store.Tally, v string) store.Tally {
		for _, x := range ts {
			if x.Value == v {
				return x
			}
		}
		return store.Tally{Value: v}
	}
	if got := find(d.ByMark, "Nike"); got.Suspects != 3 || got.Confirmed != 2 || got.Dismissed != 1 {
		t.Errorf("Nike: %+v", got)
	}
	if got := find(d.ByProvince, "广东"); got.Listings != 2 {
		t.Errorf("广东 (广东 and 广东省 together): %+v", got)
	}
	if got := find(d.BySite, "taobao"); got.Requested != 2 {
		t.Errorf("taobao: %+v", got)
	}
	if got := find(d.BySeller, "seller-a"); got.Suspects != 1 || got.Confirmed != 1 || got.Requested != 1 {
		t.Errorf("seller-a: %+v (sellers %+v)", got, d.BySeller)
	}
	if got := find(d.BySeller, "seller-z"); got.Listings != 0 {
		t.Errorf("a seller of another sweep counted: %+v", got)
	}
	if len(d.ByDay) != 2 || d.ByDay[0].Value != "2026-10-01" || d.ByDay[0].Listings != 2 {
		t.Errorf("by day: %+v", d.ByDay)
	}
	if d.DaysToRequest < 1.9 || d.DaysToRequest > 2.1 {
		t.Errorf("median days to request = %v, want 2", d.DaysToRequest)
	}
	// A date range and the whole store.
	one, _ := st.Dashboard(ctx, store.DashboardFilter{From: day1.AddDate(0, 0, 1).Truncate(24 * time.Hour), To: day1.AddDate(0, 0, 2).Truncate(24 * time.Hour)})
	if one.Totals.Listings != 2 {
		t.Errorf("one day: %+v", one.Totals)
	}
	// The run tallies and the listings give the same numbers.
	byRun, err := st.Dashboard(ctx, store.DashboardFilter{Run: "r1"})
	if err != nil || byRun.Totals != want || find(byRun.ByMark, "Nike").Confirmed != 2 || len(byRun.ByDay) != 2 || len(byRun.ByProvince) != 3 {
		t.Errorf("run r1: %+v %v", byRun, err)
	}
	runDay, err := st.Dashboard(ctx, store.DashboardFilter{Run: "r1", From: day1.AddDate(0, 0, 1).Truncate(24 * time.Hour), To: day1.AddDate(0, 0, 2).Truncate(24 * time.Hour)})
	if err != nil || runDay.Totals.Listings != 2 || find(runDay.BySite, "jd").Listings != 2 {
		t.Errorf("run r1, one day: %+v %v", runDay, err)
	}
	if other, _ := st.Dashboard(ctx, store.DashboardFilter{Run: "r1", Sweep: "mid-autumn"}); other.Totals.Listings != 0 || len(other.ByMark) != 0 {
		t.Errorf("run r1 of another sweep: %+v", other)
	}
	all, _ := st.Dashboard(ctx, store.DashboardFilter{})
	if all.Totals.Listings != 5 {
		t.Errorf("everything: %+v", all.Totals)
	}
}

// TestTalliesFollowIngestion checks the tallies that ingestion keeps
// against counts made from the listings themselves, after listings were
// seen again with another mark, sweep, seller and place, decided, removed
// and seen again.
func TestTalliesFollowIngestion(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	st, err := store.Open(ctx, t.TempDir(), store.WithClock(func() time.Time { return at.AddDate(0, 0, 5) }))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	put := func(run, sweep string, day int, ids []string, mark, ship string) {
		var fs []markwatch.Finding
		for _, id := range ids {
			f := storetest.Finding(run, "shop", id, mark, "", 10, at.AddDate(0, 0, day))
			f.Sweep, f.Listing.ShipFrom, f.Listing.Seller = sweep, ship, "seller-"+mark
			f.Verdict.Suspect = id != "e"
			fs = append(fs, f, f) // twice in a batch: stored once
		}
		if _, err := st.PutFindings(ctx, fs); err != nil {
			t.Fatal(err)
		}
	}
	put("r1", "national-day", 0, []string{"a", "b", "c", "d", "e"}, "Nike", "广东 莆田")
	a, _ := st.ListingByKey(ctx, "shop", "a")
	b, _ := st.ListingByKey(ctx, "shop", "b")
	st.Decide(ctx, "rita", []int64{a, b}, store.Confirmed, "")
	batch, _ := st.CreateBatch(ctx, "rita", "shop", 10)
	st.MarkBatchRequested(ctx, "rita", batch.ID, "")
	if err := st.FinishRun(ctx, "r1", []string{"shop"}); err != nil {
		t.Fatal(err)
	}
	put("r2", "double-11", 3, []string{"c", "d"}, "Adidas", "福建")      // seen again, other facts
	put("r0", "national-day", -2, []string{"d", "e"}, "Nike", "广东 莆田") // an older page: first seen moves back
	put("r3", "double-11", 4, []string{"a", "c", "f"}, "Adidas", "福建") // a was requested; f is new
	if err := st.FinishRun(ctx, "r3", []string{"shop"}); err != nil {
		t.Fatal(err)
	}
	far := store.DashboardFilter{From: at.AddDate(-1, 0, 0), To: at.AddDate(1, 0, 0)}
	for _, run := range []string{"r0", "r1", "r2", "r3"} {
		fromTallies, err := st.Dashboard(ctx, store.DashboardFilter{Run: run})
		if err != nil {
			t.Fatal(err)
		}
		f := far
		f.Run = run
		fromListings, err := st.Dashboard(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if fromTallies.Totals != fromListings.Totals || len(fromTallies.ByMark) != len(fromListings.ByMark) {
			t.Errorf("run %s: tallies %+v, listings %+v", run, fromTallies.Totals, fromListings.Totals)
		}
		for i := range fromTallies.ByProvince {
			if fromTallies.ByProvince[i] != fromListings.ByProvince[i] {
				t.Errorf("run %s province: tallies %+v, listings %+v", run, fromTallies.ByProvince[i], fromListings.ByProvince[i])
			}
		}
	}
	all, _ := st.Dashboard(ctx, store.DashboardFilter{})
	var byDay store.Tally
	for _, d := range all.ByDay {
		byDay.Listings += d.Listings
	}
	if all.Totals.Listings != 6 || byDay.Listings != 6 {
		t.Errorf("all: %+v", all.Totals)
	}
	sum := 0
	for _, sweep := range []string{"national-day", "double-11"} {
		d, _ := st.Dashboard(ctx, store.DashboardFilter{Sweep: sweep})
		sum += d.Totals.Listings
	}
	if sum != 6 {
		t.Errorf("sweeps add up to %d listings, want 6", sum)
	}
}
