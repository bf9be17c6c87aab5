package demo

import (
	"context"
	"testing"
	"time"

	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/fakemarket"
)

// Seller networks end to end: generated networks of sellers across the
// three fake sites (shared contacts in descriptions, shop names) are
// served on their pages, crawled, matched, stored, and linked by the
// stored-networks build; the links are scored pairwise against the
// generator's truth (photos are placeholders on the fake sites, so the
// networks that the generator links by a photo alone cannot be found).
func TestSellerNetworksCrawledEndToEnd(t *testing.T) {
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Log.Level = "warn"
	// A deadline only against a hang.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	d, err := Start(ctx, Options{Config: cfg, DataDir: t.TempDir(), Seed: 17, Listings: 1, Networks: 40, Independents: 90,
		Queries: []string{fakemarket.NetworkQuery}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	truth := d.market.Catalogue().SellerNetworks()
	page, total, err := d.store.SellerNetworkPage(ctx, 0, 10000, 0)
	if err != nil {
		t.Fatal(err)
	}
	predicted := map[string]string{}
	for _, n := range page {
		net, ok, err := d.store.SellerNetwork(ctx, n.ID)
		if err != nil || !ok {
			t.Fatalf("network %s: %v", n.ID, err)
		}
		for _, k := range net.Sellers {
			// The store names sites by adapter, the truth by fake site.
			predicted[FakeSites[k[0]]+"/"+k[1]] = n.ID
		}
	}
	linkable, err := d.store.SellerListings(ctx, -1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d of the %d generated listings stored as linkable (suspect or reviewed)", len(linkable), len(truth.Listings))
	score := truth.ScoreLinks(predicted)
	for _, p := range score.FalseLinks {
		t.Logf("false link: %s ~ %s", p[0], p[1])
	}
	for _, p := range score.Missed {
		t.Logf("missed link: %s ~ %s", p[0], p[1])
	}
	t.Logf("%d sellers, %d stored networks; pairs: %d true positive, %d false positive, %d false negative; precision %.3f recall %.3f",
		len(truth.Network), total, score.TruePositive, score.FalsePositive, score.FalseNegative, score.Precision(), score.Recall())
	if score.Precision() < 0.9 || score.Recall() < 0.9 {
		t.Errorf("precision %.3f recall %.3f, want both >= 0.9", score.Precision(), score.Recall())
	}
	for s := range predicted {
		if _, ok := truth.Network[s]; !ok {
			t.Errorf("a stored network holds %s, not a generated seller", s)
		}
	}
}
