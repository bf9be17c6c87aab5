package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/store"
	"github.com/markwatch/markwatch/store/storetest"
)

// Stored networks: a build replaces the previous one whole, the list is
// ranked by confirmed listings and paged, one network counts its listings
// live, and the queue and takedown batches filter by network (the same
// seller name on a site outside the network stays out).
func TestStoredSellerNetworks(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now().UTC()
	var fs []markwatch.Finding
	for i, c := range []struct{ site, seller string }{
		{"mart", "甲店"}, {"gbk", "乙店"}, {"gbk", "乙店"}, {"api", "甲店"}, {"mart", "丙店"}, {"api", "丁店"},
	} {
		f := storetest.Finding("r1", c.site, fmt.Sprintf("K%d", i), "Nike", "", 59, now)
		f.Listing.Seller = c.seller
		fs = append(fs, f)
	}
	if _, err := s.PutFindings(ctx, fs); err != nil {
		t.Fatal(err)
	}
	v1, err := s.LinkableVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	old := []store.StoredNetwork{{ID: "old", Sellers: [][2]string{{"mart", "丙店"}, {"api", "丁店"}}}}
	if err := s.ReplaceSellerNetworks(ctx, old, store.NetworksBuild{BuiltAt: now, Version: "x"}); err != nil {
		t.Fatal(err)
	}
	nets := []store.StoredNetwork{
		{ID: "small", Sellers: [][2]string{{"api", "丁店"}, {"mart", "丙店"}}, Summary: store.NetworkSummary{Listings: 2}},
		{ID: "big", Sellers: [][2]string{{"gbk", "乙店"}, {"mart", "甲店"}},
			Links:   []store.NetworkLink{{A: [2]string{"gbk", "乙店"}, B: [2]string{"mart", "甲店"}, Via: "wechat", Value: "aq_1", Listings: [2]string{"K1", "K0"}}},
			Summary: store.NetworkSummary{Listings: 3, Confirmed: 3}},
	}
	if err := s.ReplaceSellerNetworks(ctx, nets, store.NetworksBuild{BuiltAt: now, Version: v1, Listings: 6}); err != nil {
		t.Fatal(err)
	}
	page, total, err := s.SellerNetworkPage(ctx, 0, 1, 0)
	if err != nil || total != 2 || len(page) != 1 || page[0].ID != "big" || page[0].SellerCount != 2 || len(page[0].Sites) != 2 {
		t.Fatalf("first page: %+v, total %d, %v; want big of 2", page, total, err)
	}
	if page, _, _ := s.SellerNetworkPage(ctx, 0, 1, 1); len(page) != 1 || page[0].ID != "small" {
		t.Fatalf("second page: %+v", page)
	}
	if page, total, _ := s.SellerNetworkPage(ctx, 3, 10, 0); total != 1 || page[0].ID != "big" {
		t.Fatalf("repeat offenders: %+v", page)
	}
	if _, ok, _ := s.SellerNetwork(ctx, "old"); ok {
		t.Fatal("the previous build's network survived")
	}
	big, ok, err := s.SellerNetwork(ctx, "big")
	if err != nil || !ok || big.Listings != 3 || big.Confirmed != 0 {
		t.Fatalf("big counted live: %+v %v %v; want 3 listings, none confirmed", big, ok, err)
	}
	if links, _ := s.SellerNetworkLinks(ctx, "big"); len(links) != 1 || links[0].Value != "aq_1" {
		t.Fatalf("links: %+v", links)
	}
	pg, err := s.SuspectsPage(ctx, store.Filter{Network: "big", All: true})
	if err != nil || pg.Total != 3 {
		t.Fatalf("queue by network: %d rows, %v; want 3 (not 甲店 on api)", pg.Total, err)
	}
	for _, r := range pg.Rows {
		if r.Site == "api" {
			t.Errorf("queue by network shows %s/%s", r.Site, r.Seller)
		}
	}
	var ids []int64
	for i := range fs {
		id, _ := s.ListingByKey(ctx, fs[i].Listing.Site, fs[i].Listing.ID)
		ids = append(ids, id)
	}
	if _, err := s.Decide(ctx, "rita", ids, store.Confirmed, ""); err != nil {
		t.Fatal(err)
	}
	if big, _, _ := s.SellerNetwork(ctx, "big"); big.Confirmed != 3 {
		t.Fatalf("big after confirming: %d confirmed, want 3", big.Confirmed)
	}
	b, err := s.CreateBatchWhere(ctx, "rita", store.BatchFilter{Network: "big", Label: "network=big"}, 0)
	if err != nil || b.Size != 3 {
		t.Fatalf("batch by network: %+v %v; want 3", b, err)
	}
	if v2, _ := s.LinkableVersion(ctx); v2 == v1 {
		t.Error("the linkable version did not change after decisions")
	}
}
