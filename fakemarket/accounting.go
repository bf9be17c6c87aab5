package fakemarket

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Request is one request the server received, for tests: politeness (no
// one-second window above a rate), dedup (each item page fetched once),
// robots (a disallowed path never fetched) and fault counts.
type Request struct {
	Time   time.Time `json:"time"` // arrival
	Site   string    `json:"site"` // "mart", "gbk", "api"; "" for paths outside the sites (and /robots.txt on the combined host)
	Method string    `json:"method"`
	Path   string    `json:"path"`
	URI    string    `json:"uri"`    // path and query as requested
	Status int       `json:"status"` // 0 while the response is in flight
	Fault  string    `json:"fault,omitempty"`
}

// maxRequestLog bounds the request log; older entries are dropped (the hit
// counters are not).
const maxRequestLog = 200_000

func (s *Server) record(t time.Time, site string, r *http.Request) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pathHits[r.URL.Path]++
	s.uriHits[r.URL.RequestURI()]++
	if len(s.requests) >= maxRequestLog {
		s.requests = slices.Delete(s.requests, 0, len(s.requests)/2)
	}
	s.requests = append(s.requests, Request{Time: t, Site: site, Method: r.Method, Path: r.URL.Path, URI: r.URL.RequestURI()})
	return len(s.requests) - 1
}

func (s *Server) finish(idx, status int, fault string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if idx < len(s.requests) {
		s.requests[idx].Status = status
		s.requests[idx].Fault = fault
	}
}

// Hits returns how many requests the server received for a path (no query,
// e.g. "/mart/item/M000001.html"), or, when the argument contains "?", for
// that exact path and query.
func (s *Server) Hits(pathOrURI string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.Contains(pathOrURI, "?") {
		return s.uriHits[pathOrURI]
	}
	return s.pathHits[pathOrURI]
}

// HitCounts returns a copy of the counts per request URI (path and query
// as requested, e.g. "/gbk/goods.php?id=G000001"): the dedup check, since
// the gbk and api item pages differ only in their query.
func (s *Server) HitCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.uriHits)
}

// PathHitCounts returns a copy of the counts per path (query ignored).
func (s *Server) PathHitCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.pathHits)
}

// Requests returns a copy of the request log in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// ResetCounts forgets all hits and the request log (and with them the
// progress of 429 and 503 bursts, the rate-limit window and any ban).
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.pathHits)
	clear(s.uriHits)
	clear(s.clientHits)
	clear(s.recent)
	clear(s.limited)
	clear(s.banned)
	s.requests = nil
}

// MaxInWindow returns the largest number of requests to site ("" for all)
// that arrived within any window of the given length (sliding, not aligned
// to clock seconds): a politeness test asserts it stays at or under
// rate × window + burst.
func (s *Server) MaxInWindow(site string, window time.Duration) int {
	var times []time.Time
	for _, r := range s.Requests() {
		if site == "" || r.Site == site {
			times = append(times, r.Time)
		}
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	best, lo := 0, 0
	for hi := range times {
		for times[hi].Sub(times[lo]) >= window {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// PerSecond returns the number of requests to site ("" for all) in each
// clock second, keyed by the second's Unix time.
func (s *Server) PerSecond(site string) map[int64]int {
	out := map[int64]int{}
	for _, r := range s.Requests() {
		if site == "" || r.Site == site {
			out[r.Time.Unix()]++
		}
	}
	return out
}
