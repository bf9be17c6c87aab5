package crawler

import (
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// ParsePrice reads a price as a marketplace writes it and returns it in CNY:
// "¥1,299.00" → 1299, "￥59.9" → 59.9, "99-199" (a range) → 99, the lowest,
// "1.2万" → 12000, "3千" → 3000, "RMB 88元起" → 88. Full-width digits and
// punctuation are folded first. ok is false when no number is found.
//
// Only the first price expression counts: "¥59 原价¥99" is 59. A range is
// two numbers joined by -, ~, 〜, —, – or 至, with optional currency marks.
func ParsePrice(s string) (price float64, ok bool) {
	s = width.Fold.String(s) // "￥５９．９" → "¥59.9"
	first, rest, ok := readNumber(s)
	if !ok {
		return 0, false
	}
	price = first
	// A range: separator, then optional currency, then a number.
	r := strings.TrimLeft(rest, " \t")
	for _, sep := range []string{"-", "~", "〜", "—", "–", "至"} {
		if strings.HasPrefix(r, sep) {
			r = strings.TrimLeft(r[len(sep):], " \t¥$")
			r = strings.TrimPrefix(r, "RMB")
			r = strings.TrimLeft(r, " ")
			if len(r) > 0 && r[0] >= '0' && r[0] <= '9' {
				if second, _, ok := readNumber(r); ok {
					price = min(price, second)
				}
			}
			break
		}
	}
	return price, true
}

// readNumber finds the first number in s, with thousands separators and an
// optional 万/千 multiplier, and returns it and the text after it.
func readNumber(s string) (float64, string, bool) {
	start := strings.IndexFunc(s, func(r rune) bool { return r >= '0' && r <= '9' })
	if start < 0 {
		return 0, "", false
	}
	// ".5" is 0.5.
	if start > 0 && s[start-1] == '.' {
		start--
	}
	var digits strings.Builder
	i := start
	seenDot := false
	for i < len(s) {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits.WriteByte(c)
		case c == ',' && !seenDot && digits.Len() > 0 && isDigits(s, i+1, 3):
			// a thousands separator: exactly three digits follow
		case c == '.' && !seenDot && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			seenDot = true
			if digits.Len() == 0 {
				digits.WriteByte('0')
			}
			digits.WriteByte('.')
		default:
			goto done
		}
		i++
	}
done:
	v, err := strconv.ParseFloat(digits.String(), 64)
	if err != nil {
		return 0, "", false
	}
	rest := s[i:]
	trimmed := strings.TrimLeftFunc(rest, unicode.IsSpace)
	switch {
	case strings.HasPrefix(trimmed, "万"):
		v *= 10000
		rest = trimmed[len("万"):]
	case strings.HasPrefix(trimmed, "千"):
		v *= 1000
		rest = trimmed[len("千"):]
	}
	return v, rest, true
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
