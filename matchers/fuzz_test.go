package matchers

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/markwatch/markwatch"
)

// FuzzNormalize checks the offset contract on any text: the skeleton maps
// back into the original runes in order, and every hit the matcher reports
// is exactly the original substring at [start, end) in runes.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		"N I K E 高仿", "耐-克", "ＰＲＡＤＡ", "愛馬仕 1:1", "Chаnel", "R0LEX", "耐\u200b克", "ⓃⒾⓀⒺ", "𝐃𝐈𝐎𝐑 A货",
		"适用于华为P40手机壳", "crabapple", "茅台镇 飞天茅台", "ZL201110006009.X", "ＺＬ２０１１１０００６００９．Ｘ",
		"㈱ ﬁ ①② ℡", "e\u0301\u0301", "\xff\xfe bad utf8", "CH@NEL $", "", "1:1", "心心相融，@未来",
	} {
		f.Add(s, "")
	}
	f.Add("运动鞋", "耐克 原单 ZL 2020 1 0566088.9")
	m := defaultMatcher(f)
	f.Fuzz(func(t *testing.T, title, desc string) {
		skeleton, from := Normalize(title)
		n := utf8.RuneCountInString(title)
		if len(skeleton) != len(from) {
			t.Fatalf("skeleton %d runes, offset map %d", len(skeleton), len(from))
		}
		for i, o := range from {
			if o < 0 || o >= n || (i > 0 && o < from[i-1]) {
				t.Fatalf("offset map %v is not an ordered map into %d runes", from, n)
			}
		}
		// Normalising is idempotent on the skeleton's letters.
		if again := foldString(string(skeleton)); strings.Count(again, "") > strings.Count(string(skeleton), "") {
			t.Fatalf("skeleton %q grew when normalised again: %q", string(skeleton), again)
		}
		v, err := m.Match(context.Background(), markwatch.Listing{ID: "f", Title: title, Description: desc})
		if err != nil {
			t.Fatal(err)
		}
		checkHitTexts(t, markwatch.Listing{Title: title, Description: desc}, v)
		if v.Score < 0 || v.Score > 1 {
			t.Fatalf("score %v outside [0,1]", v.Score)
		}
	})
}

// FuzzPatentNumber checks the patent parser: it never panics, a parsed
// number has a consistent year and type, its canonical form parses back to
// itself, and Validate agrees with the check character.
func FuzzPatentNumber(f *testing.F) {
	for _, s := range []string{
		"ZL201110006009.X", "CN201310699744.2", "201510958772.0", "ZL 2023 2 2865413.3", "ＺＬ２０１１１０００６００９．Ｘ",
		"95115608.X", "ZL97101765.4", "201110006009", "ZL201110006009.3", "ZL202710000001.3", "zl201220000001.2",
		"CN ZL201110006009.X", "2011100060091", "ZL2011100060.X", "", "ZL", "12345678.", "专利ZL201110006009.X",
	} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePatentNumber(s)
		if err == nil {
			if len(p.Digits) != 12 && len(p.Digits) != 8 {
				t.Fatalf("%q parsed to %d digits", s, len(p.Digits))
			}
			back, err := ParsePatentNumber(p.String())
			if err != nil || back.Digits != p.Digits || back.Check != p.Check || back.Year != p.Year || back.Type != p.Type {
				t.Fatalf("%q → %q does not parse back (%+v, %v)", s, p.String(), back, err)
			}
			problem, why := p.Validate(now)
			if p.Check != 0 && p.Check != CheckChar(p.Digits) && problem == PatentOK {
				t.Fatalf("%q: wrong check character accepted", s)
			}
			if (problem == PatentOK) != (why == "") {
				t.Fatalf("%q: problem %q with explanation %q", s, problem, why)
			}
		}
		runes := []rune(s)
		for _, m := range scanPatents(runes, nil) {
			if m.start < 0 || m.end > len(runes) || m.start >= m.end {
				t.Fatalf("%q: match [%d,%d) out of range", s, m.start, m.end)
			}
			if _, err := ParsePatentNumber(string(runes[m.start:m.end])); err != nil {
				t.Fatalf("%q: scanned %q does not parse: %v", s, string(runes[m.start:m.end]), err)
			}
		}
	})
}
