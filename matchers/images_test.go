package matchers

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/markwatch/markwatch"
)

func signalDetails(v markwatch.Verdict, typ string) []string {
	var out []string
	for _, s := range v.Signals {
		if s.Type == typ {
			out = append(out, s.Detail)
		}
	}
	return out
}

// Text read in a photo is matched like the title, and the verdict says
// which photo it was read in.
func TestImageTextIsMatchedAndExplained(t *testing.T) {
	m := defaultMatcher(t)
	price := 199.0
	l := markwatch.Listing{ID: "1", Title: "经典老款 女士手提包", Price: &price,
		ImageText: "新款上市" + markwatch.ImageTextSeparator + "LOUIS VUITTON 专柜"}
	v, err := m.Match(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(v.Hits, func(h markwatch.Hit) bool { return h.Field == "image_text" })
	if i < 0 || v.Hits[i].Mark != "louis-vuitton" || v.Hits[i].Text != "LOUIS VUITTON" {
		t.Fatalf("got hits %+v, want louis-vuitton in image_text", v.Hits)
	}
	if got := signalDetails(v, "image_text"); len(got) != 1 || got[0] != `text in image 2 reads "LOUIS VUITTON"` {
		t.Errorf("got image_text signals %q", got)
	}
	if !v.Suspect {
		t.Errorf("a mark read in the photo at 199 CNY (floor above) should be suspect; score %v", v.Score)
	}
}

// A photo hit puts the mark in play: a special mark's photo by an
// unlicensed seller is suspect; a trademark's official photo alone is a
// lead, and with a price below the floor it is suspect.
func TestPhotoHitsJoinTheVerdict(t *testing.T) {
	m := defaultMatcher(t)
	ctx := context.Background()
	emblem := markwatch.Hit{Mark: "hangzhou-2022-emblem", Via: "photo", Reference: "emblem.png", Photo: 1, Distance: 4, Text: "emblem.png"}
	v, err := m.Match(ctx, markwatch.Listing{ID: "1", Title: "毛绒公仔 钥匙扣", Seller: "小店", PhotoHits: []markwatch.Hit{emblem}})
	if err != nil {
		t.Fatal(err)
	}
	if !v.Suspect || len(v.Hits) != 1 || v.Hits[0].Kind != markwatch.Special || v.Hits[0].Field != "photo" {
		t.Fatalf("special mark photo: got suspect=%v hits=%+v", v.Suspect, v.Hits)
	}
	if got := signalDetails(v, "photo"); len(got) != 1 || got[0] != "photo 1 matches emblem.png, distance 4" {
		t.Errorf("got photo signals %q", got)
	}

	lv := markwatch.Hit{Mark: "louis-vuitton", Via: "photo", Reference: "lv-bag.png", Photo: 2, Distance: 6, Mirrored: true}
	high, low := 12000.0, 300.0
	v, _ = m.Match(ctx, markwatch.Listing{ID: "2", Title: "女士手提包", Price: &high, PhotoHits: []markwatch.Hit{lv}})
	if v.Suspect || len(v.Hits) != 1 {
		t.Errorf("official photo alone: got suspect=%v score=%v hits=%+v, want a lead", v.Suspect, v.Score, v.Hits)
	}
	v, _ = m.Match(ctx, markwatch.Listing{ID: "3", Title: "女士手提包", Price: &low, PhotoHits: []markwatch.Hit{lv}})
	if !v.Suspect {
		t.Errorf("official photo at 300 CNY: got score %v, want suspect", v.Score)
	}
	if got := signalDetails(v, "photo"); len(got) != 1 || !strings.Contains(got[0], "(mirrored)") {
		t.Errorf("got %q", got)
	}
	v, _ = m.Match(ctx, markwatch.Listing{ID: "4", Title: "女士手提包", Price: &low, PhotoHits: []markwatch.Hit{{Mark: "no-such-mark", Via: "photo"}}})
	if len(v.Hits) != 0 {
		t.Errorf("a photo hit of an unknown mark should be ignored, got %+v", v.Hits)
	}
}
