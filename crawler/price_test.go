package crawler

import "testing"

func TestParsePrice(t *testing.T) {
	cases := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"¥1,299.00", 1299, true},
		{"￥59.9", 59.9, true},
		{"99-199", 99, true},
		{"¥99 - ¥199", 99, true},
		{"199~99", 99, true},
		{"￥１２９.５", 129.5, true}, // full-width digits
		{"1.2万", 12000, true},
		{"¥6.5 万", 65000, true},
		{"3千", 3000, true},
		{"RMB 88元起", 88, true},
		{"¥1299", 1299, true},
		{"¥12,345,678.9", 12345678.9, true},
		{"1,29", 1, true}, // not a thousands group
		{"¥.5", 0.5, true},
		{"¥59 原价¥99", 59, true}, // the first price only
		{"价格面议", 0, false},
		{"", 0, false},
		{"¥", 0, false},
	}
	for _, tc := range cases {
		got, ok := ParsePrice(tc.in)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("ParsePrice(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCollapse(t *testing.T) {
	for in, want := range map[string]string{
		"  耐克\u3000 运动鞋\n\t男 ": "耐克 运动鞋 男",
		"a\u00a0b":             "a b",
		"plain":                "plain",
		"耐\u200b克":             "耐\u200b克", // zero-width is not space: the matcher needs it
		"":                     "",
	} {
		if got := collapse(in); got != want {
			t.Errorf("collapse(%q) = %q, want %q", in, got, want)
		}
	}
}
