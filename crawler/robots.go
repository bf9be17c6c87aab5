package crawler

import (
	"bufio"
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
// before testing it. The matcher below is the one Google's open-source
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

// ParseRobots parses a robots.txt body. It never fails: lines it does not
// understand are ignored, as the RFC asks.
func ParseRobots(body []byte) *Robots {
	r := &Robots{}
	var cur *robotsGroup
	inAgents := false // the previous meaningful line was a user-agent line
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	sc.Split(scanLinesCR)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key = strings.ToLower(strings.TrimSpace(key))
		value = strings.TrimSpace(value)
		switch key {
		case "user-agent", "useragent", "user agent":
			if !inAgents {
				r.groups = append(r.groups, robotsGroup{})
				cur = &r.groups[len(r.groups)-1]
			}
			inAgents = true
			agent := strings.ToLower(value)
			if agent != "*" {
				agent = productToken(agent)
			}
			cur.agents = append(cur.agents, agent)
		case "allow", "disallow":
			inAgents = false
			if cur == nil || value == "" { // rules before any user-agent; "Disallow:" allows all
				continue
			}
			cur.rules = append(cur.rules, robotsRule{allow: key == "allow", pattern: normalizePattern(value)})
		case "crawl-delay":
			inAgents = false
			if cur != nil {
				if f, err := strconv.ParseFloat(value, 64); err == nil && f > 0 && f < 86400 {
					cur.crawlDelay = time.Duration(f * float64(time.Second))
				}
			}
		default:
			// sitemap and unknown keys end a run of user-agent lines too.
			if key == "sitemap" {
				continue // sitemap lines are not group members
			}
			inAgents = false
		}
	}
	return r
}

// scanLinesCR splits on \n, \r\n or a lone \r.
func scanLinesCR(data []byte, atEOF bool) (int, []byte, error) {
	if atEOF && len(data) == 0 {
		return 0, nil, nil
	}
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		if data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			return i + 2, data[:i], nil
		}
		if data[i] == '\r' && i+1 == len(data) && !atEOF {
			return 0, nil, nil // wait: \r\n may be split across reads
		}
		return i + 1, data[:i], nil
	}
	if atEOF {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// productToken is the name part of a user agent: "markwatch/0.1 (+…)" → "markwatch".
func productToken(ua string) string {
	ua = strings.ToLower(strings.TrimSpace(ua))
	if i := strings.IndexAny(ua, "/ ;("); i >= 0 {
		ua = ua[:i]
	}
	return ua
}

// normalizePattern percent-escapes non-ASCII octets and upper-cases escape
// hex digits, so that a rule written with raw UTF-8 matches the escaped path.
func normalizePattern(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c >= 0x80 || c == ' ':
			b.WriteString("%" + strings.ToUpper(strconv.FormatUint(uint64(c)>>4, 16)+strconv.FormatUint(uint64(c)&15, 16)))
		case c == '%' && i+2 < len(p) && isHex(p[i+1]) && isHex(p[i+2]):
			b.WriteByte('%')
			b.WriteString(strings.ToUpper(p[i+1 : i+3]))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// group returns the rules that apply to userAgent: those of the groups
// naming its product token, else those of the '*' groups (several groups
// for one agent are merged, as the RFC says).
func (r *Robots) group(userAgent string) (rules []robotsRule, delay time.Duration) {
	token := productToken(userAgent)
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
	target = normalizePattern(target)
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
