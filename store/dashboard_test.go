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
	all, _ := st.Dashboard(ctx, store.DashboardFilter{})
	if all.Totals.Listings != 5 {
		t.Errorf("everything: %+v", all.Totals)
	}
}
