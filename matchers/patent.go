package matchers

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Chinese patent numbers (../shared/domain/README.md §4).
//
// An application number filed since 2003-10-01 is YYYY + a type digit + a
// 7-digit serial + "." + a check character (201811564288.X); before that it
// was YY + type + 5-digit serial + check (97101765.4). A granted patent is
// written "ZL" + the application number, "CN" may prefix it, single spaces
// may separate year, type and serial, and listings use full-width digits
// and dots too.

// PatentType is the type digit of an application number.
type PatentType byte

// Patent types.
const (
	Invention        PatentType = '1'
	UtilityModel     PatentType = '2'
	Design           PatentType = '3'
	PCTInvention     PatentType = '8'
	PCTUtilityModel  PatentType = '9'
	unknownPatentTyp PatentType = 0
)

func (t PatentType) String() string {
	switch t {
	case Invention:
		return "invention"
	case UtilityModel:
		return "utility model"
	case Design:
		return "design"
	case PCTInvention:
		return "PCT invention"
	case PCTUtilityModel:
		return "PCT utility model"
	}
	return fmt.Sprintf("unknown type %q", byte(t))
}

// PatentNumber is a parsed Chinese patent application number.
type PatentNumber struct {
	Digits  string     // the 12 (or, before 2003-10, 8) digits without the check character
	Check   byte       // '0'-'9' or 'X'; 0 when the listing omitted it
	Year    int        // filing year
	Type    PatentType // type digit
	Granted bool       // written with ZL
}

// String is the canonical form, e.g. "201110006009.X" (no ZL/CN prefix).
func (p PatentNumber) String() string {
	if p.Check == 0 {
		return p.Digits
	}
	return p.Digits + "." + string(p.Check)
}

// CheckChar computes the check character of the digits.
func CheckChar(digits string) byte {
	weights := [...]int{2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5}
	sum := 0
	for i := 0; i < len(digits) && i < len(weights); i++ {
		sum += int(digits[i]-'0') * weights[i]
	}
	if r := sum % 11; r == 10 {
		return 'X'
	} else {
		return byte('0' + r)
	}
}

// PatentProblem is what is wrong with a number; "" when nothing is.
type PatentProblem string

// Problems a patent number can have.
const (
	PatentOK         PatentProblem = ""
	PatentBadCheck   PatentProblem = "check"
	PatentBadType    PatentProblem = "type"
	PatentBadYear    PatentProblem = "year"
	PatentFuture     PatentProblem = "future"
	PatentExpired    PatentProblem = "expired"
	PatentBadPattern PatentProblem = "format"
)

// termYears is how long a patent filed in year lasts.
func termYears(t PatentType, year int) int {
	switch t {
	case Invention, PCTInvention:
		return 20
	case UtilityModel, PCTUtilityModel:
		return 10
	case Design:
		// 10 years for filings before 2021-06-01, 15 after. A 2021 number
		// may be either; take the longer so "expired" stays certain.
		if year < 2021 {
			return 10
		}
		return 15
	}
	return 0
}

// Validate checks the number at time now and explains the first problem.
func (p PatentNumber) Validate(now time.Time) (PatentProblem, string) {
	switch p.Type {
	case Invention, UtilityModel, Design, PCTInvention, PCTUtilityModel:
	default:
		return PatentBadType, fmt.Sprintf("type digit %q is none of 1, 2, 3, 8, 9", byte(p.Type))
	}
	if len(p.Digits) == 12 && p.Year < 2003 {
		return PatentBadYear, fmt.Sprintf("12-digit numbers began in 2003, this one says %d", p.Year)
	}
	if len(p.Digits) == 8 && (p.Year < 1985 || p.Year > 2003) {
		return PatentBadYear, fmt.Sprintf("8-digit numbers were used 1985-2003, this one says %d", p.Year)
	}
	if p.Year > now.Year() {
		return PatentFuture, fmt.Sprintf("filing year %d is in the future", p.Year)
	}
	if p.Check != 0 {
		if want := CheckChar(p.Digits); want != p.Check {
			return PatentBadCheck, fmt.Sprintf("check character is %c, the number says %c", want, p.Check)
		}
	}
	if term := termYears(p.Type, p.Year); now.Year() > p.Year+term {
		return PatentExpired, fmt.Sprintf("%s filed in %d expired after %d years (by the end of %d)", p.Type, p.Year, term, p.Year+term)
	}
	return PatentOK, ""
}

// ParsePatentNumber parses one number in any written form: "ZL201110006009.X",
// "CN 2011 1 0006009.X", "ＺＬ２０１１１０００６００９．Ｘ", "97101765.4",
// "201110006009" (no check character). It does not validate the check
// character or dates (see Validate).
func ParsePatentNumber(s string) (PatentNumber, error) {
	runes := []rune(strings.TrimSpace(s))
	m, ok := parsePatentAt(runes, 0, true)
	if !ok || m.end != len(runes) {
		return PatentNumber{}, fmt.Errorf("matchers: %q is not a Chinese patent number", s)
	}
	return m.number, nil
}

// patentMatch is a number found at runes[start:end].
type patentMatch struct {
	start, end int
	number     PatentNumber
	prefixed   bool // ZL or CN
	dotted     bool // has "." and a check character
	field      uint8
}

// asciiOf folds full-width ASCII and the ideographic space.
func asciiOf(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFEE0
	case r == 0x3000 || r == 0xA0:
		return ' '
	case r == '。' || r == '·' || r == '﹒':
		return '.'
	}
	return r
}

func isDigitRune(r rune) bool { r = asciiOf(r); return r >= '0' && r <= '9' }

// parsePatentAt parses a number starting exactly at runes[i] (with its
// prefix, if any). lenient accepts a bare number with no prefix and no
// check character (ParsePatentNumber); the scanner is stricter.
func parsePatentAt(runes []rune, i int, lenient bool) (patentMatch, bool) {
	m := patentMatch{start: i}
	at := func(k int) rune {
		if k < len(runes) {
			return asciiOf(runes[k])
		}
		return 0
	}
	upper := func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r - 32
		}
		return r
	}
	k := i
	if p := string([]rune{upper(at(k)), upper(at(k + 1))}); p == "ZL" || p == "CN" {
		m.prefixed = true
		m.number.Granted = p == "ZL"
		k += 2
		if at(k) == ' ' {
			k++
		}
		if upper(at(k)) == 'Z' && upper(at(k+1)) == 'L' && p == "CN" { // CN ZL…
			m.number.Granted = true
			k += 2
			if at(k) == ' ' {
				k++
			}
		}
	}
	var digits []byte
	for len(digits) < 12 {
		r := at(k)
		if r >= '0' && r <= '9' {
			digits = append(digits, byte(r))
			k++
			continue
		}
		// One space may separate groups: year|type|serial.
		if r == ' ' && isDigitRune(runeAt(runes, k+1)) && (len(digits) == 4 || len(digits) == 5 || len(digits) == 2 || len(digits) == 3) {
			k++
			continue
		}
		break
	}
	if len(digits) != 12 && len(digits) != 8 {
		return m, false
	}
	if isDigitRune(runeAt(runes, k)) { // longer digit run: not a patent number
		return m, false
	}
	m.number.Digits = string(digits)
	if at(k) == '.' {
		if c := upper(at(k + 1)); (c >= '0' && c <= '9') || c == 'X' {
			m.number.Check = byte(c)
			m.dotted = true
			k += 2
		}
	}
	m.end = k
	if r := at(k); (r >= '0' && r <= '9') || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') {
		return m, false // runs on into other letters or digits
	}
	if len(digits) == 12 {
		y, _ := strconv.Atoi(string(digits[:4]))
		m.number.Year = y
		m.number.Type = PatentType(digits[4])
	} else {
		y, _ := strconv.Atoi(string(digits[:2]))
		if y >= 85 {
			y += 1900
		} else {
			y += 2000
		}
		m.number.Year = y
		m.number.Type = PatentType(digits[2])
	}
	if !lenient && !m.prefixed && !m.dotted {
		return m, false
	}
	return m, true
}

func runeAt(runes []rune, k int) rune {
	if k >= 0 && k < len(runes) {
		return runes[k]
	}
	return 0
}

// scanPatents finds patent numbers in a field. A number counts when it has a
// ZL or CN prefix, or a dot and check character; an unprefixed number must
// also look like one (a plausible year and type digit, or the word 专利
// shortly before it), so that order numbers and prices are not read as
// patents.
func scanPatents(runes []rune, out []patentMatch) []patentMatch {
	for i := 0; i < len(runes); i++ {
		r := asciiOf(runes[i])
		startsPrefix := (r == 'Z' || r == 'z' || r == 'C' || r == 'c')
		if !startsPrefix && !(r >= '0' && r <= '9') {
			continue
		}
		if i > 0 {
			p := asciiOf(runes[i-1])
			if (p >= '0' && p <= '9') || (p >= 'A' && p <= 'Z') || (p >= 'a' && p <= 'z') || p == '.' {
				continue
			}
		}
		m, ok := parsePatentAt(runes, i, false)
		if !ok {
			continue
		}
		if !m.prefixed && !patentWordBefore(runes, i) {
			n := m.number
			plausible := n.Type == Invention || n.Type == UtilityModel || n.Type == Design || n.Type == PCTInvention || n.Type == PCTUtilityModel
			if len(n.Digits) == 12 {
				plausible = plausible && n.Year >= 2003 && n.Year < 2100
			} else {
				plausible = false // 8 digits and a dot: too often something else
			}
			if !plausible {
				continue
			}
		}
		out = append(out, m)
		i = m.end - 1
	}
	return out
}

// patentWordBefore reports whether 专利 occurs within the 12 runes before i.
func patentWordBefore(runes []rune, i int) bool {
	from := max(0, i-12)
	for k := from; k+1 < i; k++ {
		if runes[k] == '专' && runes[k+1] == '利' {
			return true
		}
	}
	return false
}
