package fakemarket

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a Server. The zero value serves every site normally.
type Options struct {
	// Logger receives one debug line per request; nil discards.
	Logger *slog.Logger
	// Latency is added to every response (0: none).
	Latency time.Duration
	// Faults are applied to matching requests as if the request carried the
	// fault's query parameters (see doc.go). A request's own mw_fault
	// parameter wins over a rule.
	Faults []FaultRule
	// Now is the clock of the request log and the rate limit (default time.Now).
	Now func() time.Time
	// MaxPerSecond, when positive, makes every site enforce a rate limit as
	// real marketplaces do: a request arriving when the site has already
	// served MaxPerSecond requests in the past second gets 429 with
	// Retry-After: 1 (Request.Fault "ratelimit").
	MaxPerSecond int
	// BanAfter, when positive (and MaxPerSecond is set), bans a site's
	// clients after that many rate-limited requests: from then on the site
	// answers every request with 403 and a verification page
	// (Request.Fault "banned") until ResetCounts.
	BanAfter int
}

// Server serves the catalogue as four marketplace sites (mart, gbk, api, js). It is an
// http.Handler serving them all on one host (sites told apart by their path
// prefix, one combined robots.txt); Start serves each site on its own
// loopback listener instead, with its own robots.txt, which is what a
// crawler that keeps robots.txt per host should be tested against.
type Server struct {
	cat    *Catalogue
	opts   Options
	logger *slog.Logger
	now    func() time.Time

	mu       sync.Mutex
	faults   []FaultRule
	pathHits map[string]int
	uriHits  map[string]int
	// clientHits counts requests by client address (the slider fault).
	clientHits map[string]int
	requests   []Request
	servers    []*http.Server
	sites      Sites

	recent  map[string][]time.Time // per site: times of served requests in the last second
	limited map[string]int         // per site: rate-limited requests
	banned  map[string]bool

	searchMu    sync.Mutex
	searchCache map[string][]int // site + "\x00" + query → listing indexes
}

// New builds a server for cat.
func New(cat *Catalogue, opts Options) *Server {
	s := &Server{
		cat:         cat,
		opts:        opts,
		logger:      opts.Logger,
		now:         opts.Now,
		faults:      slices.Clone(opts.Faults),
		pathHits:    map[string]int{},
		uriHits:     map[string]int{},
		searchCache: map[string][]int{},
		recent:      map[string][]time.Time{},
		limited:     map[string]int{},
		banned:      map[string]bool{},
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Catalogue returns the catalogue the server serves.
func (s *Server) Catalogue() *Catalogue { return s.cat }

// Sites are the base URLs (scheme and host, no path) of the sites.
// Every site's paths carry its prefix (/mart/, /gbk/, /api/, /js/), so an
// adapter is written once for both serving modes.
type Sites struct {
	Mart string `json:"mart"`
	GBK  string `json:"gbk"`
	API  string `json:"api"`
	// JS is the JavaScript site (its listings: WithJSListings).
	JS string `json:"js"`
}

// URL returns the base URL of a site by name ("mart", "gbk", "api").
func (s Sites) URL(site string) string {
	switch site {
	case SiteMart:
		return s.Mart
	case SiteGBK:
		return s.GBK
	case SiteAPI:
		return s.API
	case SiteJS:
		return s.JS
	}
	return ""
}

// Start serves each site on its own listener. addr is host:port; with port
// 0 every site gets a free port, otherwise mart, gbk, api and js get port,
// port+1, port+2 and port+3. Only loopback hosts are accepted.
func (s *Server) Start(addr string) (Sites, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return Sites{}, fmt.Errorf("fakemarket: listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return Sites{}, fmt.Errorf("fakemarket: listen address %q: only loopback is allowed", addr)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return Sites{}, fmt.Errorf("fakemarket: listen address %q: bad port: %w", addr, err)
	}
	var sites Sites
	var started []*http.Server
	for i, site := range servedSites() {
		p := 0
		if port != 0 {
			p = port + i
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err != nil {
			for _, srv := range started {
				srv.Close()
			}
			return Sites{}, fmt.Errorf("fakemarket: listen for site %s: %w", site, err)
		}
		srv := &http.Server{Handler: s.SiteHandler(site), ReadHeaderTimeout: 10 * time.Second}
		started = append(started, srv)
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.logger.Error("fakemarket serve", "site", site, "err", err)
			}
		}()
		base := "http://" + ln.Addr().String()
		switch site {
		case SiteMart:
			sites.Mart = base
		case SiteGBK:
			sites.GBK = base
		case SiteAPI:
			sites.API = base
		case SiteJS:
			sites.JS = base
		}
	}
	s.mu.Lock()
	s.servers = append(s.servers, started...)
	s.sites = sites
	s.mu.Unlock()
	return sites, nil
}

// Close stops the listeners Start opened, dropping open connections (a
// streaming huge body included).
func (s *Server) Close() error {
	s.mu.Lock()
	servers := s.servers
	s.servers = nil
	s.mu.Unlock()
	var errs []error
	for _, srv := range servers {
		errs = append(errs, srv.Close())
	}
	return errors.Join(errs...)
}

// Shutdown stops the listeners gracefully, waiting for requests in flight
// until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	servers := s.servers
	s.servers = nil
	s.mu.Unlock()
	var errs []error
	for _, srv := range servers {
		errs = append(errs, srv.Shutdown(ctx))
	}
	return errors.Join(errs...)
}

// ServeHTTP serves every site on one host, told apart by path prefix.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.serve(w, r, "") }

// SiteHandler serves one site alone (its prefix, its robots.txt, images,
// and the foreign landing page); other paths are 404.
func (s *Server) SiteHandler(site string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, site) })
}

// siteOf names the site a path belongs to, "" for none.
func siteOf(path string) string {
	for _, site := range servedSites() {
		if path == "/"+site || strings.HasPrefix(path, "/"+site+"/") {
			return site
		}
	}
	return ""
}

// response is a rendered page before faults decide how it is sent.
type response struct {
	status      int
	contentType string
	header      map[string]string
	body        []byte
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, only string) {
	start := s.now()
	site := siteOf(r.URL.Path)
	if site == "" && r.URL.Path == "/robots.txt" {
		site = only
	}
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	idx := s.record(start, site, r)
	fault := s.faultFor(r, site)
	if verdict := s.admit(site, start); verdict != "" {
		fault = Fault{Kind: verdict}
	}
	defer func() {
		s.finish(idx, rec.status, fault.Kind)
		s.logger.Debug("fakemarket request", "site", site, "uri", r.URL.RequestURI(), "status", rec.status,
			"fault", fault.Kind, "duration", time.Since(start))
	}()
	if s.opts.Latency > 0 && !sleep(r.Context(), s.opts.Latency) {
		return
	}
	switch fault.Kind {
	case faultRateLimit:
		rec.Header().Set("Retry-After", "1")
		rec.Header().Set("Content-Type", "text/html; charset=utf-8")
		rec.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(rec, rateLimitedPage)
		return
	case faultBanned:
		rec.Header().Set("Content-Type", "text/html; charset=utf-8")
		rec.WriteHeader(http.StatusForbidden)
		fmt.Fprint(rec, bannedPage)
		return
	}
	if fault.Kind != "" && s.beforeRender(rec, r, fault) {
		return
	}
	var resp *response
	switch {
	case only != "" && site != only && r.URL.Path != "/robots.txt" && !strings.HasPrefix(r.URL.Path, "/foreign/"):
		resp = notFound(only)
	case r.URL.Path == "/robots.txt":
		resp = robots(only)
	case strings.HasPrefix(r.URL.Path, "/foreign/"):
		resp = &response{status: http.StatusOK, contentType: "text/html; charset=utf-8",
			body: []byte("<!DOCTYPE html><html><head><title>别的网站</title></head><body><h1 class=\"foreign\">You left the marketplace.</h1></body></html>")}
	default:
		layout := 1
		if fault.Kind == FaultLayout {
			layout = 2
		}
		switch site {
		case SiteMart:
			resp = s.mart(r, layout)
		case SiteGBK:
			resp = s.gbk(r, layout)
		case SiteAPI:
			resp = s.api(r, layout)
		case SiteJS:
			resp = s.jsSite(r, layout)
		default:
			resp = notFound(only)
		}
	}
	s.write(rec, r, resp, fault)
}

// write sends a rendered response, cut or padded as the fault says.
func (s *Server) write(w *statusRecorder, r *http.Request, resp *response, fault Fault) {
	h := w.Header()
	h.Set("Content-Type", resp.contentType)
	for k, v := range resp.header {
		h.Set(k, v)
	}
	h.Set("Server", "fakemarket")
	switch fault.Kind {
	case FaultTruncate:
		s.writeTruncated(w, resp, fault)
		return
	case FaultCut:
		n := fault.bytesOr(len(resp.body) / 2)
		n = min(n, len(resp.body))
		h.Set("Content-Length", strconv.Itoa(n))
		w.WriteHeader(resp.status)
		w.Write(resp.body[:n])
		return
	case FaultHuge:
		s.writeHuge(w, r, resp, fault)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.status)
	if r.Method != http.MethodHead {
		w.Write(resp.body)
	}
}

func notFound(site string) *response {
	return &response{status: http.StatusNotFound, contentType: "text/html; charset=utf-8",
		body: []byte("<!DOCTYPE html><html><head><title>404 页面不存在</title></head><body><div class=\"error-404\">抱歉，您访问的页面不存在。</div></body></html>")}
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status  int
	written bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.written {
		r.status, r.written = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.written = true
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// searchIndexes returns the catalogue indexes of site's results for query,
// cached.
func (s *Server) searchIndexes(site, query string) []int {
	key := site + "\x00" + query
	s.searchMu.Lock()
	idx, ok := s.searchCache[key]
	s.searchMu.Unlock()
	if ok {
		return idx
	}
	q := strings.ToLower(strings.TrimSpace(query))
	idx = []int{}
	if q != "" {
		for i := range s.cat.listings {
			l := &s.cat.listings[i]
			if l.Site == site && matchesQuery(l, q) {
				idx = append(idx, i)
			}
		}
	}
	s.searchMu.Lock()
	if len(s.searchCache) > 10000 {
		clear(s.searchCache) // bounded: a fuzzing crawler cannot grow it forever
	}
	s.searchCache[key] = idx
	s.searchMu.Unlock()
	return idx
}

// PageSize is the number of listings on a search page.
const PageSize = 40

// pageOf returns the listings on page p (1-based) of the results and the
// number of pages.
func (s *Server) pageOf(site, query string, p int) ([]*Listing, int) {
	idx := s.searchIndexes(site, query)
	pages := (len(idx) + PageSize - 1) / PageSize
	if p < 1 || p > pages {
		return nil, pages
	}
	var out []*Listing
	for _, i := range idx[(p-1)*PageSize : min(p*PageSize, len(idx))] {
		out = append(out, &s.cat.listings[i])
	}
	return out, pages
}

// siteListing returns the listing with id if it belongs to site.
func (s *Server) siteListing(site, id string) *Listing {
	i, ok := s.cat.byID[id]
	if !ok || s.cat.listings[i].Site != site {
		return nil
	}
	return &s.cat.listings[i]
}

// pageNumber reads a 1-based page number parameter (default 1).
func pageNumber(v string) int {
	if v == "" {
		return 1
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0
	}
	return n
}

// Kinds recorded for requests refused by the rate limit (Options.MaxPerSecond).
const (
	faultRateLimit = "ratelimit"
	faultBanned    = "banned"
)

const (
	rateLimitedPage = "<!DOCTYPE html><html><head><title>访问过于频繁</title></head><body><div class=\"rate-limited\">您的访问过于频繁，请稍后再试。</div></body></html>"
	bannedPage      = "<!DOCTYPE html><html><head><title>安全验证</title></head><body><div class=\"captcha\">检测到异常访问，请完成安全验证后继续。<div class=\"slider\">向右滑动验证</div></div></body></html>"
)

// admit applies the site rate limit: "" to serve the request, else the
// kind of refusal.
func (s *Server) admit(site string, now time.Time) string {
	if s.opts.MaxPerSecond <= 0 || site == "" {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.banned[site] {
		return faultBanned
	}
	recent := s.recent[site]
	i := 0
	for i < len(recent) && now.Sub(recent[i]) >= time.Second {
		i++
	}
	recent = recent[i:]
	if len(recent) >= s.opts.MaxPerSecond {
		s.recent[site] = recent
		s.limited[site]++
		if s.opts.BanAfter > 0 && s.limited[site] >= s.opts.BanAfter {
			s.banned[site] = true
		}
		return faultRateLimit
	}
	s.recent[site] = append(recent, now)
	return ""
}
