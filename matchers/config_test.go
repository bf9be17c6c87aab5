package matchers

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
)

func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMarksErrorsNameFileLineField(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"unknown field", "marks:\n  - id: a\n    kind: trademark\n    names: [A]\n    colour: red\n", "a.yaml:5:5: marks[0].colour: unknown field; valid fields here: "},
		{"bad kind", "marks:\n  - id: a\n    kind: brand\n    names: [A]\n", `a.yaml:3:11: marks[0].kind: must be trademark, special or gi, got "brand"`},
		{"no names", "marks:\n  - id: a\n    kind: trademark\n", "a.yaml:2:7: marks[0].names: needs at least one name"},
		{"empty name", "marks:\n  - id: a\n    kind: trademark\n    names: [A, '··']\n", `a.yaml:4:16: marks[0].names[1]: "··" has no letters or digits to match`},
		{"gi without regions", "marks:\n  - id: g\n    kind: gi\n    names: [西湖龙井]\n", "marks[0].regions: a gi mark needs the regions"},
		{"useless exclude", "marks:\n  - id: m\n    kind: trademark\n    names: [茅台]\n    exclude: [酱香酒]\n", `a.yaml:5:15: marks[0].exclude[0]: "酱香酒" contains none of the mark's names`},
		{"bad date", "marks:\n  - id: m\n    kind: trademark\n    names: [A]\n    valid_until: 2026-13-01\n", `a.yaml:5:18: valid_until: bad date "2026-13-01"`},
		{"window reversed", "marks:\n  - id: m\n    kind: trademark\n    names: [A]\n    valid_from: 2026-01-01\n    valid_until: 2025-01-01\n", "a.yaml:6:18: marks[0].valid_until: 2025-01-01 is before valid_from 2026-01-01"},
		{"duplicate in file", "marks:\n  - id: m\n    kind: trademark\n    names: [A]\n  - id: m\n    kind: trademark\n    names: [B]\n", `a.yaml:5:9: marks[1].id: duplicate id "m"`},
		{"class", "marks:\n  - id: m\n    kind: trademark\n    names: [A]\n    classes: [25, 46]\n", "a.yaml:5:19: marks[0].classes[1]: Nice classes are 1..45, got 46"},
		{"alias strength", "marks:\n  - id: m\n    kind: trademark\n    names: [A]\n    aliases: [{name: 驴家, strength: medium}]\n", `marks[0].aliases[0].strength: must be strong or weak, got "medium"`},
		{"alias unknown field", "marks:\n  - id: m\n    kind: trademark\n    names: [A]\n    aliases:\n      - {name: 驴家, colour: red}\n", "a.yaml:6:20: marks[0].aliases[0].colour: unknown field; valid fields here: context, name, signal, strength"},
		{"alias empty", "marks:\n  - id: m\n    kind: trademark\n    names: [A]\n    aliases: ['··']\n", `marks[0].aliases[0].name: "··" has no letters or digits to match`},
		{"alias signal", "marks:\n  - id: m\n    kind: trademark\n    names: [A]\n    aliases: [{name: 驴家, signal: 2}]\n", "marks[0].aliases[0].signal: must be within 0..1, got 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "a.yaml", c.yaml)
			_, err := LoadMarks(config.Dir(dir))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestDuplicateIDAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.yaml", "marks:\n  - id: nike\n    kind: trademark\n    names: [NIKE]\n")
	writeFile(t, dir, "b.yaml", "# other file\nmarks:\n  - id: nike\n    kind: trademark\n    names: [耐克]\n")
	_, err := LoadMarks(config.Dir(dir))
	if err == nil || !strings.Contains(err.Error(), `b.yaml:3:9: marks[0].id: duplicate id "nike" (first defined at `) || !strings.Contains(err.Error(), "a.yaml:2") {
		t.Fatalf("got %v", err)
	}
}

func TestSignalsErrors(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"threshold: 1.5\n", "s.yaml:1:12: threshold: must be within (0, 1]"},
		{"weights:\n  mention: 0.6\n", "s.yaml:2:12: weights.mention: must stay below the threshold 0.5"},
		{"slang:\n  - name: x\n    weight: 0\n    terms: [高仿]\n", "s.yaml:3:13: slang[0].weight: must be within (0, 1]"},
		{"slang:\n  - name: x\n    weight: 0.5\n    terms: [':-)']\n", `slang[0].terms[0]: ":-)" has no letters or digits`},
		{"descriptive:\n  before: [适用于]\n  beside: [x]\n", "s.yaml:3:3: descriptive.beside: unknown field; valid fields here: after, before, joiners"},
	}
	for _, c := range cases {
		dir := t.TempDir()
		p := writeFile(t, dir, "s.yaml", c.yaml)
		_, err := LoadSignals(config.Dir(p))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want an error containing %q", c.yaml, err, c.want)
		}
	}
	// A slang group for a mark the registry does not have is ignored, with
	// a warning: the default signals must load with any registry.
	m, err := New([]Mark{{ID: "a", Kind: markwatch.Trademark, Names: []string{"A"}}}, Signals{Slang: []SlangGroup{{Name: "x", Weight: 0.3, Terms: []string{"驴家"}, Mark: "lv"}}})
	if err != nil {
		t.Fatal(err)
	}
	if w := m.Warnings(); len(w) != 1 || !strings.Contains(w[0], `for mark "lv", which is not in the registry`) {
		t.Fatalf("warnings %q", w)
	}
	if v, _ := m.Match(context.Background(), markwatch.Listing{ID: "1", Title: "A 驴家"}); len(v.Signals) != 0 {
		t.Fatalf("ignored group still signals: %+v", v.Signals)
	}
}

func TestDefaultsCoverTheContract(t *testing.T) {
	m := defaultMatcher(t)
	byID := map[string]Mark{}
	for _, mk := range m.Marks() {
		byID[mk.ID] = mk
	}
	// Spot checks of the marks contract (fakemarket/marks.go); the golden cases cover
	// the behaviour.
	want := map[string]struct {
		kind     markwatch.MarkKind
		names    []string
		minPrice float64
		seller   string
		regions  []string
	}{
		"nike":                      {markwatch.Trademark, []string{"耐克", "NIKE"}, 300, "耐克官方旗舰店", nil},
		"apple":                     {markwatch.Trademark, []string{"苹果", "Apple"}, 1500, "Apple官方旗舰店", nil},
		"moutai":                    {markwatch.Trademark, []string{"茅台", "飞天茅台"}, 1499, "贵州茅台官方旗舰店", nil},
		"louis-vuitton":             {markwatch.Trademark, []string{"路易威登", "Louis Vuitton", "LV"}, 5000, "", nil},
		"hangzhou-2022-asian-games": {markwatch.Special, []string{"杭州亚运会", "杭州2022", "第19届亚运会", "第十九届亚运会", "Hangzhou 2022"}, 0, "杭州亚运会官方特许商品旗舰店", nil},
		"hangzhou-2022-mascots":     {markwatch.Special, []string{"琮琮", "莲莲", "宸宸", "江南忆"}, 0, "杭州亚运会官方特许商品旗舰店", nil},
		"hangzhou-2022-emblem":      {markwatch.Special, []string{"潮涌"}, 0, "杭州亚运会官方特许商品旗舰店", nil},
		"china-manned-space":        {markwatch.Special, []string{"中国载人航天", "神舟十六号"}, 0, "中国航天文创旗舰店", nil},
		"gi-yangchenghu-crab":       {markwatch.GI, []string{"阳澄湖大闸蟹"}, 0, "", []string{"苏州", "相城", "昆山", "工业园区"}},
		"gi-xihu-longjing":          {markwatch.GI, []string{"西湖龙井"}, 0, "", []string{"杭州"}},
		"gi-wuchang-rice":           {markwatch.GI, []string{"五常大米"}, 0, "", []string{"五常", "哈尔滨"}},
		"gi-xinhui-chenpi":          {markwatch.GI, []string{"新会陈皮"}, 0, "", []string{"江门", "新会"}},
	}
	for _, id := range []string{"adidas", "xiaomi", "huawei", "chanel", "hermes", "gucci", "prada", "dior", "rolex"} {
		if _, ok := byID[id]; !ok {
			t.Errorf("contract mark %q missing", id)
		}
	}
	for id, w := range want {
		mk, ok := byID[id]
		if !ok {
			t.Errorf("contract mark %q missing", id)
			continue
		}
		has := func(list []string, s string) bool {
			for _, x := range list {
				if x == s {
					return true
				}
			}
			return false
		}
		if mk.Kind != w.kind || mk.MinPrice != w.minPrice {
			t.Errorf("%s: kind %s min_price %v, want %s %v", id, mk.Kind, mk.MinPrice, w.kind, w.minPrice)
		}
		for _, n := range w.names {
			if !has(mk.Names, n) {
				t.Errorf("%s: name %q missing", id, n)
			}
		}
		if w.seller != "" && !has(mk.AuthorizedSellers, w.seller) {
			t.Errorf("%s: authorized seller %q missing", id, w.seller)
		}
		for _, r := range w.regions {
			if !has(mk.Regions, r) {
				t.Errorf("%s: region %q missing", id, r)
			}
		}
		if !mk.ActiveOn(time.Now()) {
			t.Errorf("%s: not in force today, the contract needs it valid", id)
		}
	}
}

func TestValidityWindow(t *testing.T) {
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	at := func(day string) *Matcher {
		now, _ := time.Parse(time.DateOnly, day)
		m, err := Load(config.Dir("testdata/marks-lapsed"), cfg.SignalsLocation(), WithNow(func() time.Time { return now }))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	l := markwatch.Listing{ID: "1", Title: "亚运 潮涌 徽章 ACME 高仿"}
	cases := []struct {
		day     string
		suspect bool
		marks   int
	}{
		{"2026-08-29", true, 1},  // last day of the window: enforced; ACME not yet
		{"2026-08-30", false, 0}, // lapsed
		{"2022-08-29", false, 0}, // before the window
		{"2027-01-01", true, 1},  // ACME in force, emblem lapsed
	}
	for _, c := range cases {
		v, err := at(c.day).Match(context.Background(), l)
		if err != nil {
			t.Fatal(err)
		}
		if v.Suspect != c.suspect || len(v.Marks()) != c.marks {
			t.Errorf("%s: suspect=%v marks=%v, want %v and %d marks", c.day, v.Suspect, v.Marks(), c.suspect, c.marks)
		}
	}
}

// TestAliasesDecodeAndMatch: an alias is written as a plain string (strong)
// or a mapping; its hit is a hit of its mark, via alias, read as the mark's
// first name; a weak alias counts only with its context words; an alias may
// carry a signal of its own.
func TestAliasesDecodeAndMatch(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.yaml", `marks:
  - id: lv
    kind: trademark
    names: [路易威登]
    min_price: 5000
    aliases:
      - 驴牌
      - {name: 驴家, signal: 0.3}
      - {name: 老花, strength: weak, context: [钱包, "*包"]}
`)
	marks, err := LoadMarks(config.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if a := marks[0].Aliases; len(a) != 3 || a[0].Name != "驴牌" || a[0].Weak() || !a[2].Weak() || a[1].Signal != 0.3 {
		t.Fatalf("aliases %+v", a)
	}
	m, err := New(marks, Signals{Threshold: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	price := 6000.0
	for _, c := range []struct {
		title   string
		hit     bool
		suspect bool
	}{
		{"驴牌 手袋", true, false},
		{"驴家 手袋", true, false}, // mention 0.2 + signal 0.3: a lead
		{"老花 斜挎包", true, false},
		{"老花镜 阅读", false, false},
		{"老花 包邮", false, false}, // 包 of 包邮 does not end a word
	} {
		v, _ := m.Match(context.Background(), markwatch.Listing{ID: "1", Title: c.title, Price: &price})
		if got := len(v.Hits) > 0; got != c.hit || v.Suspect != c.suspect {
			t.Errorf("%q: hits %+v suspect %v, want hit %v suspect %v", c.title, v.Hits, v.Suspect, c.hit, c.suspect)
			continue
		}
		if c.hit && (v.Hits[0].Via != "alias" || v.Hits[0].ReadAs != "路易威登") {
			t.Errorf("%q: hit %+v, want via alias read as 路易威登", c.title, v.Hits[0])
		}
	}
}

// The clock is read only when a listing needs it, once: a hit of a mark
// with a validity window, or a patent number (its term). Reading it costs
// about 100 ns on a virtual machine, and most listings need neither.
func TestClockReadOnlyWhenNeeded(t *testing.T) {
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	reads := 0
	clock := func() time.Time { reads++; return time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC) }
	windowed, err := Load(config.Dir("testdata/marks-lapsed"), cfg.SignalsLocation(), WithNow(clock))
	if err != nil {
		t.Fatal(err)
	}
	shipped, err := Load(cfg.MarksLocation(), cfg.SignalsLocation(), WithNow(clock))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		m     *Matcher
		title string
		reads int
	}{
		{windowed, "不锈钢 保温杯 500ml 高仿", 0},
		{windowed, "亚运 潮涌 徽章 潮涌 挂件 ACME", 1}, // three windowed hits, one read
		{shipped, "耐克 跑鞋 男款 高仿", 0},
		{shipped, "专利号 ZL201110006009.X 保温杯", 1},
	} {
		reads = 0
		v, err := c.m.Match(context.Background(), markwatch.Listing{ID: "1", Title: c.title})
		if err != nil {
			t.Fatal(err)
		}
		if reads != c.reads {
			t.Errorf("%q (%d hits): clock read %d times, want %d", c.title, len(v.Hits), reads, c.reads)
		}
	}
}
