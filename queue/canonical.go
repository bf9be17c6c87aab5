package queue

import (
	"crypto/sha256"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/markwatch/markwatch"
)

// alwaysDropped are tracking parameters no marketplace needs to serve a page.
var alwaysDropped = []string{"spm", "scm"}

// CanonicalURL normalises a URL for dedup: scheme and host lower-cased,
// default port and fragment dropped, query parameters sorted, and tracking
// parameters (spm, scm, utm_*, and the extra names given) dropped. A URL
// that does not parse is returned trimmed but otherwise unchanged.
func CanonicalURL(raw string, extraTracking ...string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	u.Scheme = strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		host += ":" + port
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	u.Host = host
	u.Fragment, u.RawFragment = "", ""
	u.User = nil
	if u.Path == "" {
		u.Path = "/"
	}
	u.RawQuery = canonicalQuery(u.RawQuery, extraTracking)
	u.ForceQuery = false
	return u.String()
}

// DedupKey is what a task is deduplicated on within its run: its canonical
// URL, or for a task without a URL (a search page the crawler will build
// the URL of) its kind, query and page.
func DedupKey(t markwatch.Task, extraTracking ...string) string {
	if t.URL != "" {
		return CanonicalURL(t.URL, extraTracking...)
	}
	return string(t.Kind) + "\x00" + t.Query + "\x00" + strconv.Itoa(t.Page)
}

// dedupHashLen is the size of a dedup entry: 12 bytes of SHA-256 keep a
// collision below one in 10^13 at ten million URLs a run, and fit Redis'
// smallest string allocation.
const dedupHashLen = 12

func dedupHash(key string) string {
	h := sha256.Sum256([]byte(key))
	return string(h[:dedupHashLen])
}

// isTracking says whether a query parameter is dropped from canonical URLs.
func isTracking(key string, extraTracking []string) bool {
	lk := strings.ToLower(key)
	if strings.HasPrefix(lk, "utm_") || slices.Contains(alwaysDropped, lk) {
		return true
	}
	for _, t := range extraTracking {
		if lk == strings.ToLower(t) {
			return true
		}
	}
	return false
}

// canonicalQuery is url.Values' parse, tracking parameters dropped, values
// of a key sorted, then Encode (keys sorted, each escaped with
// url.QueryEscape), without building the map: a hot path of every Add.
// Parameters already in canonical form are copied, not re-escaped.
func canonicalQuery(raw string, extraTracking []string) string {
	if raw == "" {
		return ""
	}
	if strings.Count(raw, "&") >= 64 {
		// Rare; url.ParseQuery's own limits apply.
		return slowCanonicalQuery(raw, extraTracking)
	}
	type param struct{ key, value, rawKey, rawValue string }
	var buf [16]param
	params := buf[:0]
	size := 0
	for q := raw; q != ""; {
		var seg string
		seg, q, _ = strings.Cut(q, "&")
		// As url.ParseQuery: empty settings are skipped, and so are
		// settings with a semicolon or a bad escape.
		if seg == "" || strings.Contains(seg, ";") {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(seg, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			continue
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			continue
		}
		if isTracking(key, extraTracking) {
			continue
		}
		params = append(params, param{key, value, rawKey, rawValue})
		size += len(seg) + 1
	}
	if len(params) == 0 {
		return ""
	}
	slices.SortFunc(params, func(a, b param) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.value, b.value)
	})
	var b strings.Builder
	b.Grow(size)
	for i, p := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		writeQueryEscaped(&b, p.key, p.rawKey)
		b.WriteByte('=')
		writeQueryEscaped(&b, p.value, p.rawValue)
	}
	return b.String()
}

// writeQueryEscaped writes url.QueryEscape(s); raw is s as it was escaped
// in the URL, written as is when it already is that.
func writeQueryEscaped(b *strings.Builder, s, raw string) {
	if isQueryEscaped(raw) {
		b.WriteString(raw)
		return
	}
	b.WriteString(url.QueryEscape(s))
}

// isQueryEscaped says whether raw is exactly what url.QueryEscape makes of
// its unescaped form: only unreserved bytes, '+' for spaces, and upper-case
// %XX for every other byte.
func isQueryEscaped(raw string) bool {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case unreserved(c) || c == '+':
		case c == '%' && i+2 < len(raw) && upperHex(raw[i+1]) && upperHex(raw[i+2]):
			d := unhex(raw[i+1])<<4 | unhex(raw[i+2])
			if unreserved(d) || d == ' ' {
				return false
			}
			i += 2
		default:
			return false
		}
	}
	return true
}

func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
}

func upperHex(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' }

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c - 'A' + 10
}

func slowCanonicalQuery(raw string, extraTracking []string) string {
	q, _ := url.ParseQuery(raw)
	for k := range q {
		if isTracking(k, extraTracking) {
			delete(q, k)
		}
	}
	for _, vs := range q {
		sort.Strings(vs)
	}
	return q.Encode() // Encode sorts by key
}
