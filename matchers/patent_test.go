package matchers

import (
	"testing"
	"time"
)

func TestCheckCharOnRealNumbers(t *testing.T) {
	// Numbers from ../shared/domain/README.md §4, verified on real patents.
	for _, n := range []string{"201110006009.X", "201310699744.2", "201510958772.0", "202322865413.3", "202010566088.9", "95115608.X", "97101765.4"} {
		p, err := ParsePatentNumber(n)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if got := CheckChar(p.Digits); got != p.Check {
			t.Errorf("%s: CheckChar = %c, want %c", n, got, p.Check)
		}
	}
}

func TestParsePatentNumberForms(t *testing.T) {
	cases := []struct {
		in      string
		want    string
		year    int
		typ     PatentType
		granted bool
	}{
		{"ZL201110006009.X", "201110006009.X", 2011, Invention, true},
		{"CN201110006009.X", "201110006009.X", 2011, Invention, false},
		{"CN ZL201110006009.X", "201110006009.X", 2011, Invention, true},
		{"ZL 2023 2 2865413.3", "202322865413.3", 2023, UtilityModel, true},
		{"ＺＬ２０１１１０００６００９．Ｘ", "201110006009.X", 2011, Invention, true},
		{"zl201110006009.x", "201110006009.X", 2011, Invention, true},
		{"97101765.4", "97101765.4", 1997, Invention, false},
		{"ZL95115608.X", "95115608.X", 1995, Invention, true},
		{"201530123456", "201530123456", 2015, Design, false},
	}
	for _, c := range cases {
		p, err := ParsePatentNumber(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if p.String() != c.want || p.Year != c.year || p.Type != c.typ || p.Granted != c.granted {
			t.Errorf("%q: got %s year %d type %s granted %v, want %s %d %s %v", c.in, p, p.Year, p.Type, p.Granted, c.want, c.year, c.typ, c.granted)
		}
	}
	for _, bad := range []string{"", "ZL", "2011100060", "20111000600912", "ZL201110006009.XX", "ZL2011100060.X", "ZLA01110006009.X", "12345"} {
		if p, err := ParsePatentNumber(bad); err == nil {
			t.Errorf("%q parsed as %s", bad, p)
		}
	}
}

func TestPatentValidate(t *testing.T) {
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want PatentProblem
	}{
		{"201110006009.X", PatentOK},       // invention 2011, lives to 2031
		{"201110006009.3", PatentBadCheck}, // wrong check
		{"202710000001.3", PatentFuture},   // 2027 > 2026
		{"201220000001.2", PatentExpired},  // utility model 2012: 10 years
		{"201620222222.2", PatentOK},       // utility model 2016 may still live in 2026
		{"201530123456.2", PatentExpired},  // design 2015: 10 years before 2021-06
		{"202130123456.8", PatentOK},       // design 2021: 15 years
		{"200410111222.7", PatentExpired},  // invention 2004: 20 years
		{"201150000001.4", PatentBadType},  // type 5 does not exist
		{"199910000001.8", PatentBadYear},  // 12 digits began in 2003
		{"97101765.4", PatentExpired},      // invention 1997
		{"201110006009", PatentOK},         // no check character: nothing to check
	}
	for _, c := range cases {
		p, err := ParsePatentNumber(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		got, why := p.Validate(now)
		if got != c.want {
			t.Errorf("%s: got %q (%s), want %q", c.in, got, why, c.want)
		}
		if (got == PatentOK) != (why == "") {
			t.Errorf("%s: problem %q explained %q", c.in, got, why)
		}
	}
}

func TestScanPatentsNeedsEvidence(t *testing.T) {
	cases := map[string][]string{
		"专利产品 ZL201110006009.X 收纳":          {"201110006009.X"},
		"订单号 202311223344 快递":               nil, // bare 12 digits: an order number
		"电话 13800138000":                    nil,
		"版本 12345678.9":                     nil, // 8 digits and a dot, no prefix, no 专利
		"专利号 95115608.X 药枕":                 {"95115608.X"},
		"价格 201110006009.X 元":               {"201110006009.X"}, // plausible year and type with a check character
		"编号 201150000001.4":                 nil,                // implausible type without prefix
		"ZL201110006009.X和ZL201310699744.2": {"201110006009.X", "201310699744.2"},
		"AZL201110006009.X":                 nil, // runs on from a word
		"ZL2011100060091":                   nil, // too many digits
	}
	for in, want := range cases {
		var got []string
		for _, m := range scanPatents([]rune(in), nil) {
			got = append(got, m.number.String())
		}
		if len(got) != len(want) {
			t.Errorf("%q: got %v, want %v", in, got, want)
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%q: got %v, want %v", in, got, want)
			}
		}
	}
}
