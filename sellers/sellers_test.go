package sellers

import (
	"fmt"
	"strings"
	"testing"

	"github.com/markwatch/markwatch/fakemarket"
)

func TestExtractHandles(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"加V: shoe_123a 支持验货", []string{"wechat:shoe_123a"}},
		{"薇信 lux_555b，电话 138-1234-5678", []string{"phone:13812345678", "wechat:lux_555b"}},
		{"ＶＸ：ａｑ＿９９９ｃ", []string{"wechat:aq_999c"}},
		{"➕V kk_100z", []string{"wechat:kk_100z"}},
		{"联系 １３９ ００１１ ２２３３", []string{"phone:13900112233"}},
		{"加V 13700001111", []string{"phone:13700001111"}},
		{"扣扣 123456789 进店 shop123.taobao.com", []string{"qq:123456789", "shop:shop123.taobao.com"}},
		{"客服热线 400-820-8820 订单号 2026030112345678 货号 20231145678-2", nil},
	} {
		var got []string
		for _, h := range Extract(tc.text) {
			got = append(got, h.Key())
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("Extract(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}

func TestNormalizeName(t *testing.T) {
	for in, want := range map[string]string{
		"阿强潮鞋1 旗舰店":  "阿强潮鞋1",
		"阿强潮鞋1的小店":   "阿强潮鞋1",
		"ＡＱ潮鞋 工作室":   "aq潮鞋",
		"运动鞋专卖店":     "运动鞋",
		"Nike·官方旗舰店": "nike",
	} {
		if got := NormalizeName(in); got != want {
			t.Errorf("NormalizeName(%q) = %q, want %q", in, got, want)
		}
	}
}

// Links found on generated data with known networks across the three
// sites, scored pairwise: a pair of sellers is predicted linked when they
// land in one network, truly linked when the generator put them in one.
func TestNetworksPrecisionRecall(t *testing.T) {
	for _, seed := range []int64{17, 1, 2, 3, 4} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { precisionRecall(t, seed) })
	}
}

func precisionRecall(t *testing.T, seed int64) {
	data := fakemarket.GenerateSellerNetworks(seed, 40, 90)
	var in []Listing
	for _, l := range data.Listings {
		in = append(in, Listing{Site: l.Site, ListingID: l.ID, Seller: l.Seller, Title: l.Title, Text: []string{l.Description}, ImageHashes: l.ImageHashes})
	}
	nets := LinkListings(in)
	predicted := map[string]int{}
	for _, n := range nets {
		for _, s := range n.Sellers {
			predicted[s.String()] = n.ID
		}
		if len(n.Links) < len(n.Sellers)-1 {
			t.Errorf("network %d: %d sellers, %d links (each seller needs its evidence)", n.ID, len(n.Sellers), len(n.Links))
		}
		for _, l := range n.Links {
			if l.Via == "" || l.Value == "" || l.Listing[0] == "" || l.Listing[1] == "" {
				t.Errorf("link without evidence: %+v", l)
			}
		}
	}
	pred := map[string]string{}
	for s, id := range predicted {
		pred[s] = fmt.Sprint(id)
	}
	score := data.ScoreLinks(pred)
	for _, p := range score.FalseLinks {
		t.Logf("false link: %s ~ %s", p[0], p[1])
	}
	for _, p := range score.Missed {
		t.Logf("missed link: %s ~ %s", p[0], p[1])
	}
	sites := map[string]bool{}
	for _, p := range score.Linked {
		sites[strings.SplitN(p[0], "/", 2)[0]+"-"+strings.SplitN(p[1], "/", 2)[0]] = true
	}
	precision, recall := score.Precision(), score.Recall()
	t.Logf("%d sellers, %d networks found; pairs: %d true positive, %d false positive, %d false negative; precision %.3f recall %.3f",
		len(data.Network), len(nets), score.TruePositive, score.FalsePositive, score.FalseNegative, precision, recall)
	if precision < 0.9 || recall < 0.9 {
		t.Errorf("precision %.3f recall %.3f, want both >= 0.9", precision, recall)
	}
	if len(sites) < 3 {
		t.Errorf("true links span only site pairs %v", sites)
	}
}

// A shop name links shops across sites whatever order the listings come
// in: two shops of one site with the network's name and one on another
// site are one network even when the two same-site shops come first.
func TestNameLinksAreOrderIndependent(t *testing.T) {
	shops := []Listing{
		{Site: "api", ListingID: "1", Seller: "小美奢品32专营店"},
		{Site: "api", ListingID: "2", Seller: "小美奢品32店"},
		{Site: "mart", ListingID: "3", Seller: "小美奢品32旗舰店"},
	}
	for _, order := range [][]int{{0, 1, 2}, {1, 0, 2}, {2, 0, 1}, {0, 2, 1}} {
		var in []Listing
		for _, i := range order {
			in = append(in, shops[i])
		}
		nets := LinkListings(in)
		if len(nets) != 1 || len(nets[0].Sellers) != 3 {
			t.Errorf("order %v: %+v, want one network of the three shops", order, nets)
			continue
		}
		for _, l := range nets[0].Links {
			if l.A.Site == l.B.Site {
				t.Errorf("order %v: a name link within one site: %+v", order, l)
			}
		}
	}
}
