package matchers

import (
	"context"
	"testing"

	"github.com/markwatch/markwatch"
)

// TestHitsExplainThemselves: every way of reading a mark says so in the
// hit (via) and says what it read (read_as), as `markwatch match`, the API
// and the review page show it.
func TestHitsExplainThemselves(t *testing.T) {
	m := defaultMatcher(t)
	price := 99.0
	for _, c := range []struct{ title, via, readAs, explain string }{
		{"耐克 跑鞋 高仿", "name", "", `"耐克", via name`},
		{"驴家 钱包 高仿", "alias", "路易威登", `"驴家" read as 路易威登, via alias`},
		{"naike 跑鞋 高仿", "pinyin", "耐克 (naike)", `"naike" read as 耐克 (naike), via pinyin`},
		{"奈克 跑鞋 高仿", "homophone", "耐克 (naike)", `"奈克" read as 耐克 (naike), via homophone`},
		{"劳力土 手表 高仿", "lookalike", "劳力士", `"劳力土" read as 劳力士, via lookalike`},
		{"NIIKE 跑鞋 高仿", "doubled", "NIKE", `"NIIKE" read as NIKE, via doubled`},
		{"ɴɪᴋᴇ 跑鞋 高仿", "confusable", "NIKE", `"ɴɪᴋᴇ" read as NIKE, via confusable`},
		{"R0LEX 手表 高仿", "confusable", "ROLEX", `"R0LEX" read as ROLEX, via confusable`},
	} {
		v, err := m.Match(context.Background(), markwatch.Listing{ID: "1", Title: c.title, Price: &price})
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Hits) == 0 {
			t.Errorf("%q: no hit", c.title)
			continue
		}
		h := v.Hits[0]
		if h.Via != c.via || h.ReadAs != c.readAs || h.Explain() != c.explain {
			t.Errorf("%q: via %q read_as %q explain %q, want %q %q %q", c.title, h.Via, h.ReadAs, h.Explain(), c.via, c.readAs, c.explain)
		}
	}
}
