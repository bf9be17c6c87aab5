package fakemarket

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// normDigits folds width (NFKC) and keeps only ASCII letters and digits,
// upper-cased: enough to find a patent number however it is written.
func normDigits(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKC.String(s) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	return b.String()
}
