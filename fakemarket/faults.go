package fakemarket

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Fault kinds: the value of the mw_fault query parameter or Fault.Kind.
const (
	FaultSlow     = "slow"     // wait Delay (default 2s, at most 60s), then answer normally
	Fault429      = "429"      // the first N requests of the URL get 429 with Retry-After
	Fault503      = "503"      // the first N requests of the URL get 503 (a burst), Retry-After if set
	FaultTruncate = "truncate" // Content-Length of the whole page, Bytes of it sent, connection dropped
	FaultCut      = "cut"      // a well-formed response whose HTML/JSON stops after Bytes
	FaultLoop     = "loop"     // 302 to the same path forever (mw_hop counts up)
	FaultForeign  = "foreign"  // 302 to another host name (localhost ↔ 127.0.0.1), /foreign/landing
	FaultHuge     = "huge"     // the page padded to Bytes (default 50 MB) and streamed
	FaultLayout   = "layout"   // the page in layout 2: every class the adapters select renamed
	FaultSlider   = "slider"   // after N requests from one client address (default 5), a slider check page (200) instead of every page
)

// FaultKinds lists every fault kind.
func FaultKinds() []string {
	return []string{FaultSlow, Fault429, Fault503, FaultTruncate, FaultCut, FaultLoop, FaultForeign, FaultHuge, FaultLayout, FaultSlider}
}

// Fault is one misbehaviour. Zero fields take the defaults in doc.go.
type Fault struct {
	Kind string `json:"kind"`
	// N: for 429 and 503, how many requests of one URL fail before it
	// answers normally (defaults: 429 → 1, 503 → 3); negative: all of them.
	// For slider, how many requests one client address gets answered
	// before the slider check (default 5).
	N int `json:"n,omitempty"`
	// Delay of a slow response.
	Delay time.Duration `json:"delay,omitempty"`
	// RetryAfter is the Retry-After header of 429 (default "1") and 503
	// (default none): seconds or an HTTP date.
	RetryAfter string `json:"retry_after,omitempty"`
	// Bytes: body bytes sent by truncate and cut (default half the page);
	// total body size of huge (default 50 MB, at most 1 GiB).
	Bytes int `json:"bytes,omitempty"`
	// Declare makes huge send a Content-Length up front.
	Declare bool `json:"declare,omitempty"`
}

// FaultRule applies a fault to every request whose site and path match.
type FaultRule struct {
	Site       string `json:"site,omitempty"`        // "" for every site
	PathPrefix string `json:"path_prefix,omitempty"` // "" for every path
	Fault      Fault  `json:"fault"`
}

func (r FaultRule) matches(site, path string) bool {
	return (r.Site == "" || r.Site == site) && strings.HasPrefix(path, r.PathPrefix)
}

// ParseFaultRule reads a rule written SITE:PATHPREFIX:KIND[:N], as the
// fakemarket command's --fault flag takes it, e.g. "mart:/mart/search:layout"
// or "gbk::503:5" (empty site or prefix: all).
func ParseFaultRule(text string) (FaultRule, error) {
	parts := strings.Split(text, ":")
	if len(parts) < 3 || len(parts) > 4 {
		return FaultRule{}, fmt.Errorf("fault rule %q: want SITE:PATHPREFIX:KIND[:N]", text)
	}
	rule := FaultRule{Site: parts[0], PathPrefix: parts[1], Fault: Fault{Kind: parts[2]}}
	if rule.Site != "" && !slices.Contains(servedSites(), rule.Site) {
		return FaultRule{}, fmt.Errorf("fault rule %q: unknown site %q (want one of %v)", text, rule.Site, servedSites())
	}
	if !slices.Contains(FaultKinds(), rule.Fault.Kind) {
		return FaultRule{}, fmt.Errorf("fault rule %q: unknown fault %q (want one of %v)", text, rule.Fault.Kind, FaultKinds())
	}
	if len(parts) == 4 {
		n, err := strconv.Atoi(parts[3])
		if err != nil {
			return FaultRule{}, fmt.Errorf("fault rule %q: N: %w", text, err)
		}
		switch rule.Fault.Kind {
		case FaultSlow:
			rule.Fault.Delay = time.Duration(n) * time.Millisecond
		case FaultTruncate, FaultCut, FaultHuge:
			rule.Fault.Bytes = n
		default:
			rule.Fault.N = n
		}
	}
	return rule, nil
}

// SetFaults replaces the fault rules (Options.Faults) while serving: a test
// switches a layout change on mid-run this way.
func (s *Server) SetFaults(rules ...FaultRule) {
	s.mu.Lock()
	s.faults = slices.Clone(rules)
	s.mu.Unlock()
}

// faultFor returns the fault for a request: its own mw_* parameters, else
// the first matching rule.
func (s *Server) faultFor(r *http.Request, site string) Fault {
	q := r.URL.Query()
	if kind := q.Get("mw_fault"); kind != "" {
		f := Fault{Kind: kind}
		f.N, _ = strconv.Atoi(q.Get("mw_n"))
		f.Bytes, _ = strconv.Atoi(q.Get("mw_bytes"))
		f.RetryAfter = q.Get("mw_retry_after")
		f.Declare = q.Get("mw_declare") == "1"
		if d := q.Get("mw_delay"); d != "" {
			if ms, err := strconv.Atoi(d); err == nil {
				f.Delay = time.Duration(ms) * time.Millisecond
			} else if dur, err := time.ParseDuration(d); err == nil {
				f.Delay = dur
			}
		}
		return f
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rule := range s.faults {
		if rule.matches(site, r.URL.Path) {
			return rule.Fault
		}
	}
	return Fault{}
}

func (f Fault) bytesOr(def int) int {
	if f.Bytes > 0 {
		return f.Bytes
	}
	return def
}

// failing reports whether this request is among the first N of its URL.
func (s *Server) failing(r *http.Request, n int) bool {
	if n < 0 {
		return true
	}
	s.mu.Lock()
	count := s.uriHits[r.URL.RequestURI()]
	s.mu.Unlock()
	return count <= n
}

// beforeRender carries out the faults that replace the page; it reports
// whether the response is done.
func (s *Server) beforeRender(w http.ResponseWriter, r *http.Request, f Fault) bool {
	switch f.Kind {
	case FaultSlow:
		d := f.Delay
		if d <= 0 {
			d = 2 * time.Second
		}
		return !sleep(r.Context(), min(d, time.Minute))
	case Fault429:
		n := f.N
		if n == 0 {
			n = 1
		}
		if !s.failing(r, n) {
			return false
		}
		ra := f.RetryAfter
		if ra == "" {
			ra = "1"
		}
		w.Header().Set("Retry-After", ra)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, "<!DOCTYPE html><html><head><title>访问过于频繁</title></head><body><div class=\"rate-limited\">您的访问过于频繁，请稍后再试。</div></body></html>")
		return true
	case Fault503:
		n := f.N
		if n == 0 {
			n = 3
		}
		if !s.failing(r, n) {
			return false
		}
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, "<!DOCTYPE html><html><head><title>服务暂不可用</title></head><body><div class=\"unavailable\">系统繁忙，请稍后再试。</div></body></html>")
		return true
	case FaultSlider:
		n := f.N
		if n <= 0 {
			n = 5
		}
		if s.clientRequest(r) <= n {
			return false
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, SliderPage)
		return true
	case FaultLoop:
		q := r.URL.Query()
		hop, _ := strconv.Atoi(q.Get("mw_hop"))
		q.Set("mw_hop", strconv.Itoa(hop+1))
		u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
		http.Redirect(w, r, u.String(), http.StatusFound)
		return true
	case FaultForeign:
		host, port, err := net.SplitHostPort(r.Host)
		if err != nil {
			host, port = r.Host, ""
		}
		other := "localhost"
		if host == "localhost" {
			other = "127.0.0.1"
		}
		if port != "" {
			other = net.JoinHostPort(other, port)
		}
		target := "http://" + other + "/foreign/landing?from=" + url.QueryEscape(r.URL.Path)
		http.Redirect(w, r, target, http.StatusFound)
		return true
	}
	return false
}

// writeTruncated promises the whole body, sends part of it and drops the
// connection, so the client sees an unexpected EOF.
func (s *Server) writeTruncated(w *statusRecorder, resp *response, f Fault) {
	n := min(f.bytesOr(len(resp.body)/2), len(resp.body))
	w.Header().Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.status)
	w.Write(resp.body[:n])
	w.Flush()
	if n < len(resp.body) {
		panic(http.ErrAbortHandler) // net/http closes the connection without logging
	}
}

// hugeCap bounds the huge fault's body.
const hugeCap = 1 << 30

// writeHuge streams the page with a padding comment in the middle of its
// body, so that the total is f.Bytes (default 50 MB): the cards are in the
// first and last part, the padding between.
func (s *Server) writeHuge(w *statusRecorder, r *http.Request, resp *response, f Fault) {
	total := min(f.bytesOr(50<<20), hugeCap)
	split := len(resp.body) / 2
	chunk := bytes.Repeat([]byte("<!-- fakemarket padding: a huge body for the body-limit tests. -->\n"), 1000)
	if strings.Contains(resp.contentType, "json") {
		// JSON allows whitespace between tokens: pad after the first brace.
		split = bytes.IndexByte(resp.body, '{') + 1
		chunk = bytes.Repeat([]byte("                                                               \n"), 1000)
	} else if i := bytes.Index(resp.body, []byte("<body")); i >= 0 {
		split = i
	}
	head, tail := resp.body[:split], resp.body[split:]
	pad := max(total-len(resp.body), 0)
	if f.Declare {
		w.Header().Set("Content-Length", strconv.Itoa(len(resp.body)+pad))
	} else {
		w.Header().Del("Content-Length")
	}
	w.WriteHeader(resp.status)
	if _, err := w.Write(head); err != nil {
		return
	}
	for pad > 0 {
		if r.Context().Err() != nil {
			return
		}
		n := min(pad, len(chunk))
		if _, err := w.Write(chunk[:n]); err != nil {
			return
		}
		pad -= n
	}
	w.Write(tail)
}

// SliderPage is what the slider fault serves: a 200 page with a slider
// check in place of the content, as marketplaces show clients they distrust.
const SliderPage = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>验证码拦截</title></head><body>` +
	`<div id="nc_1_wrapper" class="nc-container"><span class="nc-lang-cnt">请按住滑块，拖动到最右边</span></div>` +
	`<p>访问受限：我们检测到您的访问存在异常，请完成验证后继续访问。</p></body></html>`

// clientRequest counts a request of r's client address (slider fault) and
// returns the count so far.
func (s *Server) clientRequest(r *http.Request) int {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clientHits == nil {
		s.clientHits = map[string]int{}
	}
	s.clientHits[host]++
	return s.clientHits[host]
}
