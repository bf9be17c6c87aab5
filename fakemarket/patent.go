package fakemarket

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Patent numbers (domain facts §4): YYYY + type digit + 7-digit serial + "."
// + check character. The check is the sum of the digits weighted
// 2,3,4,5,6,7,8,9,2,3,4,5 modulo 11, 10 written X.
//
// The ground truth of generated numbers holds for any current date from
// 2026-01-01 to 2028-12-31: valid utility models are filed 2019 or later
// (10-year term), valid inventions 2011 or later (20 years), valid designs
// 2018 or later (15 years); "future" numbers are filed 2031–2039; expired
// utility models 2004–2014.

var patentWeights = [12]int{2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5}

// patentCheck returns the check character of the 12 (new) or 8 (old)
// leading digits.
func patentCheck(digits string) (byte, error) {
	if len(digits) != 12 && len(digits) != 8 {
		return 0, fmt.Errorf("patent number %q: want 8 or 12 digits, got %d", digits, len(digits))
	}
	sum := 0
	for i := 0; i < len(digits); i++ {
		d := digits[i]
		if d < '0' || d > '9' {
			return 0, fmt.Errorf("patent number %q: %q is not a digit", digits, d)
		}
		sum += int(d-'0') * patentWeights[i]
	}
	r := sum % 11
	if r == 10 {
		return 'X', nil
	}
	return byte('0' + r), nil
}

// patentTypeName is the category written before a number (专利标识标注办法).
var patentTypeName = map[byte]string{'1': "发明专利", '2': "实用新型专利", '3': "外观设计专利"}

// Real valid numbers from the domain facts.
var realPatents = []string{"201110006009.X", "201310699744.2", "201510958772.0", "202322865413.3", "202010566088.9"}

// newPatent builds a number (normalised form) for year and type with a
// random serial and the correct check character.
func newPatent(rng *rand.Rand, year int, typ byte) string {
	digits := fmt.Sprintf("%04d%c%07d", year, typ, rng.IntN(10_000_000))
	c, _ := patentCheck(digits)
	return digits + "." + string(c)
}

// writePatent writes a normalised number the way listings do: with ZL or
// CN, with spaces between year, type and serial, or in full-width digits.
func writePatent(n string, style int) string {
	switch style % 5 {
	case 0:
		return "ZL" + n
	case 1:
		return "ZL " + n[:4] + " " + n[4:5] + " " + n[5:]
	case 2:
		return "CN" + n
	case 3:
		return toFullwidth("ZL" + n)
	}
	return n
}

// toFullwidth maps ASCII letters, digits and the dot to full-width forms.
func toFullwidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > ' ' && r < 0x7f {
			r += 0xFEE0
		}
		b.WriteRune(r)
	}
	return b.String()
}

var patentGoods = []hardNegative{
	{title: "多功能折叠晾衣架 家用 落地", category: "家居日用 > 晾晒", lo: 49, hi: 159},
	{title: "可调节颈椎按摩枕 记忆棉", category: "家居日用 > 枕头", lo: 69, hi: 199},
	{title: "厨房伸缩沥水篮 水槽置物架", category: "家居日用 > 厨房收纳", lo: 19, hi: 69},
	{title: "儿童防摔学饮杯 吸管 带手柄", category: "母婴 > 水杯", lo: 29, hi: 79},
	{title: "免打孔 淋浴花洒支架 可调角度", category: "家居日用 > 卫浴", lo: 15, hi: 49},
	{title: "车载手机支架 出风口 重力感应", category: "汽车用品 > 支架", lo: 19, hi: 59},
}

func patentListing(rng *rand.Rand, round int, class, number, detail string) Listing {
	n := patentGoods[round%len(patentGoods)]
	n.class = class
	n.query = "专利"
	l := n.listing(rng, round)
	written := writePatent(number, round)
	kind := patentTypeName[number[4]]
	if round%2 == 0 {
		l.Title = fmt.Sprintf("%s %s %s", n.title, kind, written)
	} else {
		l.Title = n.title + " 专利产品"
		l.Description = fmt.Sprintf("本产品受专利保护，%s：%s。%s", kind, written, prose(rng, 2))
	}
	l.Truth.Patent = number
	l.Truth.Detail = detail
	l.Terms = append(l.Terms, pick(rng, defaultFamilyQueries()))
	return l
}

func validPatentListing(rng *rand.Rand, round int) Listing {
	var number string
	switch round % 4 {
	case 0:
		number = realPatents[(round/4)%len(realPatents)]
	case 1:
		number = newPatent(rng, 2011+rng.IntN(15), '1')
	case 2:
		number = newPatent(rng, 2019+rng.IntN(7), '2')
	default:
		number = newPatent(rng, 2018+rng.IntN(8), '3')
	}
	return patentListing(rng, round, ClassValidPatent, number, "valid")
}

func invalidPatentListing(rng *rand.Rand, round int) Listing {
	var number, detail string
	switch round % 3 {
	case 0:
		// Right shape, wrong check character.
		good := newPatent(rng, 2012+rng.IntN(13), byte('1'+rng.IntN(3)))
		c, _ := patentCheck(good[:12])
		v := 10
		if c != 'X' {
			v = int(c - '0')
		}
		v = (v + 1 + rng.IntN(10)) % 11
		bad := byte('0' + v)
		if v == 10 {
			bad = 'X'
		}
		number, detail = good[:13]+string(bad), "bad-check"
	case 1:
		number, detail = newPatent(rng, 2031+rng.IntN(9), byte('1'+rng.IntN(3))), "future"
	default:
		number, detail = newPatent(rng, 2004+rng.IntN(11), '2'), "expired-utility-model"
	}
	l := patentListing(rng, round, ClassInvalidPatent, number, detail)
	l.Truth.Marks = []string{"patent"}
	return l
}
