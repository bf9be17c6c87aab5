package crawler

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// ParsePrice reads a price as a marketplace writes it, in CNY unless the
// text names another currency; see ParsePriceIn.
func ParsePrice(s string) (price float64, ok bool) {
	price, _, ok = ParsePriceIn(s, "CNY")
	return price, ok
}

// ParsePriceIn reads the current price out of a price text and says its
// currency: the one the text names (¥ ￥ 元 CNY RMB → CNY; US $, US$, USD,
// $ → USD; HK$, HKD → HKD; € EUR → EUR; £ GBP → GBP), else currency.
//
//   - "¥1,299.00" → 1299; "1 299" and "1\u00a0299" → 1299 (space and
//     no-break space group thousands); "1.299,50 €" → 1299.5 (a decimal
//     comma, when the currency writes one: EUR);
//   - a number after a currency sign wins over other numbers: "月销1000+
//     ¥59" → 59, and a price labelled original (原价, 市场价, 划线价 …) gives
//     way to the others: "原价¥99 现价¥59" → 59; otherwise the first price
//     counts ("¥59 原价¥99" → 59);
//   - a range gives its lowest number, and a multiplier (万, w, 千, k)
//     written once applies to every number of the range: "1-2万" → 10000;
//   - a discount (3.5折), a threshold or rebate (满300减50), a count (1000+,
//     200人付款, 30件) is never a price.
//
// Full-width digits and punctuation are folded first. ok is false when no
// price is found.
func ParsePriceIn(s, currency string) (price float64, cur string, ok bool) {
	s = width.Fold.String(s) // "￥５９．９" → "¥59.9"
	if currency == "" {
		currency = "CNY"
	}
	decimalComma := commaCurrencies[currency]
	if c, found := textCurrency(s); found {
		decimalComma = commaCurrencies[c]
	}
	nums := scanNumbers(s, decimalComma)
	pick := -1
	for pass := 0; pass < 3 && pick < 0; pass++ {
		for i, n := range nums {
			if n.excluded {
				continue
			}
			ok := false
			switch pass {
			case 0: // a currency sign, not labelled as the original price
				ok = n.currency != "" && !n.original
			case 1: // any currency sign
				ok = n.currency != ""
			case 2: // any number
				ok = !n.original
			}
			if ok {
				pick = i
				break
			}
		}
	}
	if pick < 0 {
		return 0, "", false
	}
	n := nums[pick]
	price, cur = n.value, n.currency
	if pick+1 < len(nums) && nums[pick+1].rangeWithPrev && !nums[pick+1].excluded {
		m := nums[pick+1]
		first := n.value
		if m.mult != 1 && n.mult == 1 {
			first *= m.mult // "1-2万": the 万 binds both ends
		}
		price = min(first, m.value)
		if cur == "" {
			cur = m.currency
		}
	}
	if cur == "" {
		cur = currency
	}
	return price, cur, true
}

// commaCurrencies write a decimal comma ("12,50 €").
var commaCurrencies = map[string]bool{"EUR": true}

// currencyMarks, longest first where one is a prefix of another. Prefix
// marks stand before the number, suffix marks after it.
var (
	currencyPrefix = []struct{ mark, code string }{
		{"US $", "USD"}, {"US$", "USD"}, {"USD", "USD"}, {"HK$", "HKD"}, {"HKD", "HKD"},
		{"CNY", "CNY"}, {"RMB", "CNY"}, {"EUR", "EUR"}, {"GBP", "GBP"},
		{"¥", "CNY"}, {"€", "EUR"}, {"£", "GBP"}, {"$", "USD"},
	}
	currencySuffix = []struct{ mark, code string }{
		{"元", "CNY"}, {"CNY", "CNY"}, {"RMB", "CNY"}, {"€", "EUR"}, {"EUR", "EUR"}, {"USD", "USD"}, {"HKD", "HKD"}, {"GBP", "GBP"},
	}
	// originalLabels mark a crossed-out or reference price.
	originalLabels = []string{"原价", "市场价", "划线价", "参考价", "吊牌价", "专柜价", "定价", "门市价", "原"}
	// countBefore and countAfter mark numbers that count things (sales,
	// reviews, pieces), give a discount or a threshold: never a price.
	countBefore = []string{"满", "减", "月销", "已售", "销量", "售出", "评价", "收货", "付款", "库存"}
	countAfter  = []string{"折", "+", "人", "件", "条", "笔", "%", "评", "销", "个", "天", "年", "月", "GB", "G", "mAh", "ml", "g", "kg", "cm", "mm", "寸", "英寸", "岁"}
	rangeSeps   = []string{"-", "~", "〜", "—", "–", "至", "到"}
)

// textCurrency is the first currency mark anywhere in s.
func textCurrency(s string) (string, bool) {
	best, code := -1, ""
	for _, list := range [][]struct{ mark, code string }{currencyPrefix, currencySuffix} {
		for _, m := range list {
			if i := strings.Index(s, m.mark); i >= 0 && (best < 0 || i < best) {
				best, code = i, m.code
			}
		}
	}
	return code, best >= 0
}

type priceNumber struct {
	value         float64
	mult          float64
	currency      string
	original      bool // labelled as the original price
	excluded      bool // a count, discount or threshold
	rangeWithPrev bool // joined to the previous number by a range separator
}

// scanNumbers finds every number of s with its context.
func scanNumbers(s string, decimalComma bool) []priceNumber {
	var out []priceNumber
	prevEnd := 0
	for i := 0; i < len(s); {
		c := s[i]
		isStart := c >= '0' && c <= '9'
		if !decimalComma && c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' && (i == 0 || s[i-1] < '0' || s[i-1] > '9') {
			isStart = true // ".5"
		}
		if !isStart {
			i++
			continue
		}
		v, end := readNumber(s, i, decimalComma)
		n := priceNumber{value: v, mult: 1}
		before := s[prevEnd:i]
		after := s[end:]
		trimmed := strings.TrimLeftFunc(after, unicode.IsSpace)
		for _, m := range []struct {
			mark string
			mult float64
		}{{"万", 1e4}, {"千", 1e3}, {"w", 1e4}, {"W", 1e4}, {"k", 1e3}, {"K", 1e3}} {
			if strings.HasPrefix(trimmed, m.mark) {
				rest := trimmed[len(m.mark):]
				if r, _ := utf8.DecodeRuneInString(rest); len(m.mark) == 1 && r < utf8.RuneSelf && unicode.IsLetter(r) {
					continue // "5kg", "3W白": a unit, not a multiplier
				}
				n.mult = m.mult
				end += len(after) - len(trimmed) + len(m.mark)
				after = s[end:]
				trimmed = strings.TrimLeftFunc(after, unicode.IsSpace)
				break
			}
		}
		n.value *= n.mult
		tb := strings.TrimRightFunc(before, unicode.IsSpace)
		for _, m := range currencyPrefix {
			if strings.HasSuffix(tb, m.mark) {
				n.currency = m.code
				tb = strings.TrimRightFunc(strings.TrimSuffix(tb, m.mark), unicode.IsSpace)
				break
			}
		}
		for _, m := range currencySuffix {
			if strings.HasPrefix(trimmed, m.mark) {
				if n.currency == "" {
					n.currency = m.code
				}
				end += len(after) - len(trimmed) + len(m.mark)
				after = s[end:]
				trimmed = strings.TrimLeftFunc(after, unicode.IsSpace)
				break
			}
		}
		tb = strings.TrimRight(tb, ":：")
		for _, l := range originalLabels {
			if strings.HasSuffix(tb, l) {
				n.original = true
				break
			}
		}
		for _, l := range countBefore {
			// After a currency sign only a threshold or rebate (满¥300
			// 减¥50) is not a price: "200人付款 ¥59" is 59.
			if (n.currency == "" || l == "满" || l == "减") && strings.HasSuffix(tb, l) {
				n.excluded = true
				break
			}
		}
		if n.currency == "" {
			for _, l := range countAfter {
				if strings.HasPrefix(trimmed, l) {
					n.excluded = true
					break
				}
			}
		}
		if len(out) > 0 {
			sep := strings.TrimSpace(before)
			for _, m := range currencyPrefix {
				sep = strings.TrimSpace(strings.TrimSuffix(sep, m.mark))
			}
			for _, r := range rangeSeps {
				if sep == r {
					n.rangeWithPrev = true
				}
			}
		}
		out = append(out, n)
		prevEnd = end
		i = end
	}
	return out
}

// readNumber reads the number starting at s[start]: digits with thousands
// separators (',' or '.' for decimal-comma currencies; space, no-break
// space and narrow no-break space followed by exactly three digits) and
// one decimal mark. It returns the value and the end offset.
func readNumber(s string, start int, decimalComma bool) (float64, int) {
	thousands, decimal := byte(','), byte('.')
	if decimalComma {
		thousands, decimal = '.', ','
	}
	var digits strings.Builder
	i := start
	seenDot := false
	for i < len(s) {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits.WriteByte(c)
			i++
			continue
		case c == thousands && !seenDot && digits.Len() > 0 && isDigits(s, i+1, 3):
			i++
			continue
		case !seenDot && digits.Len() > 0 && (c == ' ' || strings.HasPrefix(s[i:], "\u00a0") || strings.HasPrefix(s[i:], "\u202f")):
			_, size := utf8.DecodeRuneInString(s[i:])
			if isDigits(s, i+size, 3) {
				i += size
				continue
			}
		case c == decimal && !seenDot && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			seenDot = true
			if digits.Len() == 0 {
				digits.WriteByte('0')
			}
			digits.WriteByte('.')
			i++
			continue
		}
		break
	}
	v, err := strconv.ParseFloat(digits.String(), 64)
	if err != nil {
		return 0, max(i, start+1)
	}
	return v, i
}

// isDigits reports whether s[i:i+n] are n ASCII digits not followed by another digit.
func isDigits(s string, i, n int) bool {
	if i+n > len(s) {
		return false
	}
	for j := i; j < i+n; j++ {
		if s[j] < '0' || s[j] > '9' {
			return false
		}
	}
	return i+n == len(s) || s[i+n] < '0' || s[i+n] > '9'
}

// collapse trims s and turns every run of white space (ideographic and
// no-break spaces included) into one ASCII space.
func collapse(s string) string {
	if s == "" {
		return s
	}
	clean := true
	prevSpace := true
	for _, r := range s {
		space := unicode.IsSpace(r)
		if space && (prevSpace || r != ' ') {
			clean = false
			break
		}
		prevSpace = space
	}
	if clean && !prevSpace {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}
