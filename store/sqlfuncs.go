package store

import (
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strings"
	"unicode"

	"modernc.org/sqlite"

	"github.com/markwatch/markwatch"
)

// SQL functions the schema's triggers call. They are registered with the
// driver once, so every connection the store opens has them; a plain
// sqlite3 shell does not, and must not write listings.
func init() {
	must := func(err error) {
		if err != nil {
			panic("store: register SQL function: " + err.Error())
		}
	}
	must(sqlite.RegisterDeterministicScalarFunction("markwatch_grams", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		return Grams(text(args[0])), nil
	}))
	must(sqlite.RegisterDeterministicScalarFunction("markwatch_province", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		return Province(text(args[0])), nil
	}))
	must(sqlite.RegisterDeterministicScalarFunction("markwatch_signal_key", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		var signals []markwatch.Signal
		json.Unmarshal([]byte(text(args[0])), &signals)
		return SignalKey(signals), nil
	}))
}

func text(v driver.Value) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	return ""
}

// gram is one character as it appears in a search token: its lower-cased
// UTF-8 bytes in hex (UTF-8 is prefix-free, so a token's first character
// is known from its first bytes).
func gram(r rune) string { return hex.EncodeToString([]byte(string(unicode.ToLower(r)))) }

// Grams turns text into the short-term index's tokens: every pair of
// adjacent characters (a bigram) and the last character of every run
// between spaces. A two-character term is then one token; a
// one-character term is a prefix query, since every occurrence of a
// character starts a bigram or ends a run. One token per character, and
// no positions to store (detail=none).
func Grams(s string) string {
	var b strings.Builder
	var prev string
	flush := func() {
		if prev != "" {
			b.WriteString(prev)
			b.WriteByte(' ')
			prev = ""
		}
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			flush()
			continue
		}
		g := gram(r)
		if prev != "" {
			b.WriteString(prev)
			b.WriteString(g)
			b.WriteByte(' ')
		}
		prev = g
	}
	flush()
	return b.String()
}

// Province is the first word of a ship-from place ("广东 莆田" → "广东"),
// with the common suffixes 省/市 dropped so that "广东省" and "广东" count
// together.
func Province(shipFrom string) string {
	f := strings.Fields(shipFrom)
	if len(f) == 0 {
		return ""
	}
	p := f[0]
	for _, suffix := range []string{"省", "市", "自治区"} {
		if q := strings.TrimSuffix(p, suffix); q != "" {
			p = q
		}
	}
	return p
}

// SignalKey is a verdict's distinct signal types, sorted and comma-joined:
// what calibration learns a precision for.
func SignalKey(signals []markwatch.Signal) string {
	seen := map[string]bool{}
	var types []string
	for _, s := range signals {
		if s.Type != "" && !seen[s.Type] {
			seen[s.Type] = true
			types = append(types, s.Type)
		}
	}
	sort.Strings(types)
	return strings.Join(types, ",")
}
