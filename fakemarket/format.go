package fakemarket

import (
	"hash/fnv"
	"strconv"
	"strings"
)

// Price display styles on search cards. The number a crawler must read is
// always Listing.Price (the lowest price shown).
const (
	styleComma    = iota // ¥1,299.00
	styleShort           // ￥59.9
	styleWan             // 1.2万 (only for whole thousands from 10,000 up; else styleComma)
	stylePlain           // ¥1299
	numPriceStyle        // count
)

// priceStyle picks a listing's card price style, stable per listing.
func priceStyle(l *Listing) int {
	if l.PriceHigh > 0 {
		return -1 // a range
	}
	return int(hashString(l.ID) % numPriceStyle)
}

func hashString(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

// cardPrice writes the listing's price as its search card shows it. yen is
// the currency sign the site uses in the "comma" style ("¥" or "￥").
func cardPrice(l *Listing, yen string) string {
	p := *l.Price
	switch priceStyle(l) {
	case -1:
		return yen + short(p) + "-" + short(l.PriceHigh)
	case styleShort:
		return "￥" + short(p)
	case styleWan:
		if p >= 10000 && p == float64(int64(p)) && int64(p)%1000 == 0 {
			return short(p/10000) + "万"
		}
	case stylePlain:
		return yen + short(p)
	}
	return yen + comma(p)
}

// short writes a price with as few digits as needed: 59.9, 1983, 1.2.
func short(p float64) string { return strconv.FormatFloat(p, 'f', -1, 64) }

// comma writes a price with thousands separators and two decimals: 1,299.00.
func comma(p float64) string {
	s := strconv.FormatFloat(p, 'f', 2, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String() + "." + frac
}

// salesText writes the "monthly sales" noise shown on cards.
func salesText(n int) string {
	if n >= 10000 {
		return "月销 " + short(float64(n/1000)/10) + "万+"
	}
	return "已售 " + strconv.Itoa(n)
}
