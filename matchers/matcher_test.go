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

// TestTraditionalPhrases: OpenCC converts 手鍊 to 手链 as a phrase, though
// 鍊 alone becomes 炼; the phrase dictionary folded into the automaton at
// build time makes the traditional phrase meet a simplified name.
func TestTraditionalPhrases(t *testing.T) {
	if n := len(folds().phrases); n < 50 {
		t.Fatalf("only %d t2s phrases differ from per-character folding; the dictionary was not read", n)
	}
	m, err := New([]Mark{{ID: "chain", Kind: markwatch.Trademark, Names: []string{"潘多拉手链"}, MinPrice: 500}}, Signals{})
	if err != nil {
		t.Fatal(err)
	}
	for title, want := range map[string]string{
		"潘多拉手鍊 925銀": "潘多拉手鍊", // phrase-level traditional
		"潘多拉手鏈 925銀": "潘多拉手鏈", // character-level traditional
		"潘多拉手链 925银": "潘多拉手链",
	} {
		v, _ := m.Match(context.Background(), markwatch.Listing{ID: "1", Title: title})
		if len(v.Hits) != 1 || v.Hits[0].Text != want {
			t.Errorf("%q: hits %+v, want one with text %q", title, v.Hits, want)
		}
	}
}
