package crawler

import (
	"bytes"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Robots is a parsed robots.txt (RFC 9309, with Google's reading of it).
//
// We do not use colly's robots support (github.com/temoto/robotstxt v1.1.2):
// against the real 1688.com file it is wrong in ways that matter. Its
// wildcard rules compile to unanchored regular expressions, so
// "Disallow: /tw/*/" also forbids /news/tw/a/ and
// "Disallow: /offerdetail/view_large_pics_*.html" forbids any path that merely
// contains it; it ranks wildcard rules by the length of their escaped regular
// expression rather than of the rule, so the precedence between an Allow and
// a Disallow depends on how many dots a rule has; ties go to the first rule
// instead of to Allow; and colly re-encodes (and re-orders) the query string
// before testing it. Against the cases of Google's reference parser's tests
// it also gets about one in six wrong (TestRobotsBehaviourTable logs the
// count); a Go port of that parser would do, but would mean a new
// dependency for some 300 lines we can test row by row against the RFC.
// The matcher below is the one Google's open-source
// robots.txt parser uses: '*' matches any run of octets, a final '$' anchors
// the end, the longest matching rule wins (Allow on a tie), and the group is
// the one naming the crawler's product token, else '*'.
type Robots struct {
	groups []robotsGroup
	// allowAll / disallowAll: the file was absent (4xx) or unreadable.
	allowAll    bool
	disallowAll bool
}

type robotsGroup struct {
	agents     []string // lower-case product tokens, "*" for everyone
	rules      []robotsRule
	crawlDelay time.Duration
}

type robotsRule struct {
	allow   bool
	pattern string // normalised: percent-escapes upper-cased, non-ASCII escaped
}

// maxRobotsLine is the longest line we read; the rest of a longer line is
// dropped. It is the limit of Google's parser (8 × 2083 octets, less its
// terminating NUL), so a rule cut short there cuts the same way here.
const maxRobotsLine = 8*2083 - 1

// ParseRobots parses a robots.txt body. It never fails: lines it does not
// understand are ignored, as the RFC asks, and never end a group (RFC 9309
// §2.2.4: other records must not interfere with the ones it defines).
//
// Where sites commonly get the syntax wrong we read what they meant, as
// Google's parser does, because a crawler that reads fewer restrictions than
// the site intended is the one that gets banned: a byte-order mark (or the
// first one or two octets of one) before the first line, a missing colon
// ("disallow /"), misspelt Disallow keys, a "User-agent" value with a
// version or comment after the product token.
func ParseRobots(body []byte) *Robots {
	r := &Robots{}
	var cur *robotsGroup
	inAgents := false // the last user-agent, allow or disallow line was a user-agent line
	body = trimBOM(body)
	for len(body) > 0 {
		var line []byte
		line, body = nextLine(body)
		key, value, ok := robotsKeyValue(line)
		if !ok {
			continue
		}
		switch robotsKeyKind(key) {
		case keyUserAgent:
			if !inAgents {
				r.groups = append(r.groups, robotsGroup{})
				cur = &r.groups[len(r.groups)-1]
			}
			inAgents = true
			cur.agents = append(cur.agents, groupToken(value))
		case keyAllow, keyDisallow:
			inAgents = false
			if cur == nil || value == "" { // rules before any user-agent; "Disallow:" allows all
				continue
			}
			allow := robotsKeyKind(key) == keyAllow
			cur.rules = append(cur.rules, robotsRule{allow: allow, pattern: normalizePattern(value)})
			if allow {
				// Google reads "Allow: /dir/index.html" (or .htm) as also
				// allowing the directory itself, "/dir/" and nothing under it.
				if i := strings.LastIndexByte(value, '/'); i >= 0 && strings.HasPrefix(value[i:], "/index.htm") {
					cur.rules = append(cur.rules, robotsRule{allow: true, pattern: normalizePattern(value[:i+1]) + "$"})
				}
			}
		case keyCrawlDelay:
			// Not part of RFC 9309: it belongs to the current group but, like
			// any other record, does not end a run of user-agent lines.
			if cur != nil {
				if f, err := strconv.ParseFloat(value, 64); err == nil && f > 0 && f < 86400 {
					cur.crawlDelay = time.Duration(f * float64(time.Second))
				}
			}
		}
	}
	return r
}

// trimBOM drops a UTF-8 byte-order mark, or the first one or two octets of
// one, from the start of the file.
func trimBOM(body []byte) []byte {
	for _, bom := range []string{"\xEF\xBB\xBF", "\xEF\xBB", "\xEF"} {
		if bytes.HasPrefix(body, []byte(bom)) {
			return body[len(bom):]
		}
	}
	return body
}

// nextLine splits off the first line (ended by \n, \r\n or a lone \r),
// cut to maxRobotsLine octets.
func nextLine(body []byte) (line, rest []byte) {
	i := bytes.IndexAny(body, "\r\n")
	if i < 0 {
		line, rest = body, nil
	} else {
		line, rest = body[:i], body[i+1:]
		if body[i] == '\r' && len(rest) > 0 && rest[0] == '\n' {
			rest = rest[1:]
		}
	}
	if len(line) > maxRobotsLine {
		line = line[:maxRobotsLine]
	}
	return line, rest
}

// robotsKeyValue splits a line into its lower-cased key and its value, with
// the comment and surrounding white space removed. A line without a colon
// is read as "key value" when it has exactly two words ("disallow /").
func robotsKeyValue(line []byte) (key, value string, ok bool) {
	if i := bytes.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	s := strings.TrimSpace(string(line))
	if s == "" {
		return "", "", false
	}
	key, value, ok = strings.Cut(s, ":")
	if !ok {
		i := strings.IndexAny(s, " \t")
		if i < 0 {
			return "", "", false
		}
		key, value = s[:i], strings.TrimLeft(s[i:], " \t")
		if strings.ContainsAny(value, " \t") {
			return "", "", false
		}
	}
	return strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(value), true
}

type robotsKey int

const (
	keyOther robotsKey = iota
	keyUserAgent
	keyAllow
	keyDisallow
	keyCrawlDelay
)

func robotsKeyKind(key string) robotsKey {
	switch key {
	case "user-agent", "useragent", "user agent":
		return keyUserAgent
	case "allow":
		return keyAllow
	case "disallow", "dissallow", "dissalow", "disalow", "diasllow", "disallaw":
		return keyDisallow
	case "crawl-delay":
		return keyCrawlDelay
	}
	return keyOther // sitemap and anything else: ignored
}

// groupToken is the product token a User-agent line names, lower-cased:
// "Baiduspider/2.0" and "Foo Bar" (spaces are not allowed, but written)
// name "baiduspider" and "foo"; "*" is every crawler.
func groupToken(value string) string {
	value = strings.ToLower(strings.TrimSpace(value))
	if value == "*" || strings.HasPrefix(value, "* ") || strings.HasPrefix(value, "*\t") {
		return "*"
	}
	if i := strings.IndexAny(value, "/ \t;(,"); i >= 0 {
		value = value[:i]
	}
	return value
}

// crawlerToken is the product token of our own User-Agent header, the part
// before the version: "markwatch/0.1 (+https://…)" → "markwatch". A name
// with a space in it ("Foo Bar") is kept whole, so it matches no group
// (a group's token never has one) and the crawler obeys the '*' group, as
// Google's parser does.
func crawlerToken(userAgent string) string {
	if i := strings.IndexByte(userAgent, '/'); i >= 0 {
		userAgent = userAgent[:i]
	}
	return strings.ToLower(strings.TrimSpace(userAgent))
}

// normalizePattern brings a rule to the form paths are compared in; '*'
// and a final '$' keep their meaning, a '$' anywhere else is literal.
func normalizePattern(p string) string {
	return canonicalPath(p, true)
}

// canonicalPath is the form rules and paths are compared in, so that two
// spellings of one URL match alike (RFC 9309 §2.2.2, RFC 3986 §6.2.2):
// escapes of unreserved characters are decoded ("%7Ea" is "~a"); other
// escapes get upper-case hex digits; octets that may not appear raw in a
// URL (non-ASCII, space, controls) are escaped; in the query, ':', '/', '?'
// and '@' mean the same raw or escaped, so they are decoded. In a path
// (pattern false) a literal '*' or '$' is escaped, because in a rule a raw
// one is a wildcard and a literal one must be written "%2A" or "%24".
func canonicalPath(p string, pattern bool) string {
	var b strings.Builder
	b.Grow(len(p) + 8)
	inQuery := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '%' && i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]):
			d := unhex(p[i+1])<<4 | unhex(p[i+2])
			if isUnreserved(d) || inQuery && strings.IndexByte(":/?@", d) >= 0 {
				b.WriteByte(d)
			} else {
				b.WriteByte('%')
				b.WriteString(strings.ToUpper(p[i+1 : i+3]))
			}
			i += 2
		case c >= 0x80 || c <= ' ' || c == 0x7f:
			writeEscape(&b, c)
		case (c == '*' || c == '$') && !pattern:
			writeEscape(&b, c)
		case c == '$' && pattern && i != len(p)-1:
			writeEscape(&b, c)
		default:
			if c == '?' {
				inQuery = true
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}

func writeEscape(b *strings.Builder, c byte) {
	const hexDigits = "0123456789ABCDEF"
	b.WriteByte('%')
	b.WriteByte(hexDigits[c>>4])
	b.WriteByte(hexDigits[c&15])
}

func isUnreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// group returns the rules that apply to userAgent: those of the groups
// naming its product token, else those of the '*' groups (several groups
// for one agent are merged, as the RFC says).
func (r *Robots) group(userAgent string) (rules []robotsRule, delay time.Duration) {
	token := crawlerToken(userAgent)
	collect := func(want string) bool {
		found := false
		for _, g := range r.groups {
			for _, a := range g.agents {
				if a == want {
					rules = append(rules, g.rules...)
					delay = max(delay, g.crawlDelay)
					found = true
					break
				}
			}
		}
		return found
	}
	if token != "" && token != "*" && collect(token) {
		return rules, delay
	}
	collect("*")
	return rules, delay
}

// Allowed reports whether userAgent may fetch u.
func (r *Robots) Allowed(userAgent string, u *url.URL) bool {
	if r.allowAll {
		return true
	}
	if r.disallowAll {
		return false
	}
	target := u.EscapedPath()
	if target == "" {
		target = "/"
	}
	if target == "/robots.txt" {
		return true
	}
	if u.RawQuery != "" || u.ForceQuery {
		target += "?" + u.RawQuery
	}
	target = canonicalPath(target, false)
	rules, _ := r.group(userAgent)
	return allowedBy(rules, target)
}

// AllowedPath is Allowed for a path with optional query ("/a/b?x=1").
func (r *Robots) AllowedPath(userAgent, pathAndQuery string) bool {
	u, err := url.Parse(pathAndQuery)
	if err != nil {
		return false
	}
	return r.Allowed(userAgent, u)
}

// CrawlDelay is the Crawl-delay of userAgent's group, 0 if none.
func (r *Robots) CrawlDelay(userAgent string) time.Duration {
	_, d := r.group(userAgent)
	return d
}

// allowedBy applies longest-match precedence: the matching rule with the
// longest pattern decides; on a tie Allow wins; no match allows.
func allowedBy(rules []robotsRule, target string) bool {
	best, allow := -1, true
	for _, rule := range rules {
		n := len(rule.pattern)
		if n < best || (n == best && allow) {
			continue
		}
		if robotsMatch(target, rule.pattern) {
			if n > best {
				best, allow = n, rule.allow
			} else if rule.allow { // equal length: the less restrictive wins
				allow = true
			}
		}
	}
	return allow
}

// robotsMatch reports whether pattern matches a prefix of path, '*' matching
// any run of octets and a final '$' the end of the path. It tracks the set
// of positions in path reachable after each pattern octet, so it runs in
// O(len(path)·len(pattern)) with no backtracking blow-up.
func robotsMatch(path, pattern string) bool {
	pos := make([]int, 1, 16)
	pos[0] = 0
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		if c == '$' && i == len(pattern)-1 {
			return pos[len(pos)-1] == len(path)
		}
		if c == '*' {
			// every position from the smallest reachable one onwards
			first := pos[0]
			pos = pos[:0]
			for p := first; p <= len(path); p++ {
				pos = append(pos, p)
			}
			continue
		}
		next := pos[:0]
		for _, p := range pos {
			if p < len(path) && path[p] == c {
				next = append(next, p+1)
			}
		}
		if len(next) == 0 {
			return false
		}
		pos = next
	}
	return true
}
