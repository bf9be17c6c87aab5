package queue

import (
	"crypto/sha256"
	"net/url"
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
	q := u.Query()
	for k := range q {
		lk := strings.ToLower(k)
		drop := strings.HasPrefix(lk, "utm_")
		for _, t := range alwaysDropped {
			drop = drop || lk == t
		}
		for _, t := range extraTracking {
			drop = drop || lk == strings.ToLower(t)
		}
		if drop {
			delete(q, k)
		}
	}
	for _, vs := range q {
		sort.Strings(vs)
	}
	u.RawQuery = q.Encode() // Encode sorts by key
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
