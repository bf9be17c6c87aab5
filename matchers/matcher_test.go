package matchers

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
)

// defaultMatcher loads the embedded default marks and signals.
func defaultMatcher(t testing.TB, opts ...Option) *Matcher {
	t.Helper()
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]Option{WithNow(func() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) })}, opts...)
	m, err := Load(cfg.MarksLocation(), cfg.SignalsLocation(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMatchExamples(t *testing.T) {
	m := defaultMatcher(t)
	price := func(p float64) *float64 { return &p }
	cases := []struct {
		listing markwatch.Listing
		suspect bool
		marks   []string
	}{
		{markwatch.Listing{Title: "N I K E 高仿 运动鞋", Price: price(199)}, true, []string{"nike"}},
		{markwatch.Listing{Title: "红富士苹果 新鲜 5斤", Price: price(29)}, false, nil},
		{markwatch.Listing{Title: "适用于华为P40手机壳", Price: price(15)}, false, nil},
		{markwatch.Listing{Title: "Chаnel 包 原单"}, true, []string{"chanel"}},
		{markwatch.Listing{Title: "diorama model kit"}, false, nil},
		{markwatch.Listing{Title: "杭州亚运会 吉祥物 琮琮 摆件", Seller: "小店"}, true, []string{"hangzhou-2022-asian-games", "hangzhou-2022-mascots"}},
	}
	for _, tc := range cases {
		tc.listing.ID = "x"
		v, err := m.Match(context.Background(), tc.listing)
		if err != nil {
			t.Fatal(err)
		}
		if v.Suspect != tc.suspect || !slices.Equal(v.Marks(), tc.marks) {
			t.Errorf("%q: got suspect=%v marks=%v, want suspect=%v marks=%v (%+v)", tc.listing.Title, v.Suspect, v.Marks(), tc.suspect, tc.marks, v)
		}
	}
}
