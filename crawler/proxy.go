package crawler

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/crawler/browser"
	"golang.org/x/net/proxy"
)

// ProxyRules route a site's requests through proxies (the networks a
// platform's IP-protection programme grants), round-robin; a proxy that
// fails MaxFailures times in a row (no connection, no response) rests for
// Rest before it is used again. Proxy addresses and credentials are never
// logged: logs name a proxy by its position in the list.
type ProxyRules struct {
	// URLs of the proxies: http://, https:// or socks5://, with
	// user:password@ when the proxy needs it (fetch: browser answers an
	// HTTP proxy's challenge with them; it cannot authenticate to SOCKS5,
	// so a socks5:// URL with credentials is refused there). Required.
	URLs []string `yaml:"urls"`
	// MaxFailures in a row before a proxy rests. Default 3.
	MaxFailures int `yaml:"max_failures"`
	// Rest is how long a failing proxy rests. Default 5m.
	Rest config.Duration `yaml:"rest"`
}

// validateProxies checks the proxy list (called from Site.Validate).
func (s *Site) validateProxies() error {
	p := s.Proxies
	if p == nil {
		return nil
	}
	var errs []error
	if len(p.URLs) == 0 {
		errs = append(errs, config.Errorf("proxies.urls", "is required with proxies"))
	}
	for i, raw := range p.URLs {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5") {
			// The value is not echoed: it may hold a password.
			errs = append(errs, config.Errorf(fmt.Sprintf("proxies.urls[%d]", i), "must be an http://, https:// or socks5:// URL with a host"))
		}
		if err == nil && u.User != nil && u.Scheme == "socks5" && s.Fetch == "browser" {
			errs = append(errs, config.Errorf(fmt.Sprintf("proxies.urls[%d]", i), "is a SOCKS5 proxy with credentials, which Chromium (fetch: browser) cannot authenticate to: use an http:// proxy, or a SOCKS5 one without them (e.g. a local forwarder that adds them)"))
		}
	}
	if p.MaxFailures < 0 {
		errs = append(errs, config.Errorf("proxies.max_failures", "must not be negative"))
	}
	if p.Rest < 0 {
		errs = append(errs, config.Errorf("proxies.rest", "must not be negative"))
	}
	return errors.Join(errs...)
}

// proxyPool is one site's proxies with their health.
type proxyPool struct {
	site        string
	maxFailures int
	rest        time.Duration
	now         func() time.Time

	mu      sync.Mutex
	next    int
	proxies []*proxyEntry
}

type proxyEntry struct {
	index     int
	server    string // scheme://host:port, without credentials (for Chromium)
	user      string // credentials, for Chromium's proxy challenges
	password  string
	transport http.RoundTripper
	failures  int
	restUntil time.Time
}

func newProxyPool(cfg config.Crawl, site *Site, conns int, now func() time.Time) (*proxyPool, error) {
	p := &proxyPool{site: site.Name, maxFailures: site.Proxies.MaxFailures, rest: site.Proxies.Rest.Std(), now: now}
	if p.maxFailures == 0 {
		p.maxFailures = 3
	}
	if p.rest == 0 {
		p.rest = 5 * time.Minute
	}
	for i, raw := range site.Proxies.URLs {
		u, err := url.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("crawler: site %s proxy %d: bad URL", site.Name, i)
		}
		dialer := &net.Dialer{Timeout: cfg.ConnectTimeout.Std(), KeepAlive: 30 * time.Second}
		t := &http.Transport{
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   cfg.ConnectTimeout.Std(),
			ResponseHeaderTimeout: cfg.HeaderTimeout.Std(),
			MaxIdleConnsPerHost:   max(conns, 8),
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		}
		if u.Scheme == "socks5" {
			d, err := proxy.FromURL(u, dialer)
			if err != nil {
				return nil, fmt.Errorf("crawler: site %s proxy %d: %v", site.Name, i, err)
			}
			cd, ok := d.(proxy.ContextDialer)
			if !ok {
				return nil, fmt.Errorf("crawler: site %s proxy %d: SOCKS5 dialer without context", site.Name, i)
			}
			t.DialContext = cd.DialContext
		} else {
			t.Proxy = http.ProxyURL(u)
		}
		e := &proxyEntry{index: i, transport: t, server: u.Scheme + "://" + u.Host}
		if u.User != nil {
			e.user = u.User.Username()
			e.password, _ = u.User.Password()
		}
		p.proxies = append(p.proxies, e)
	}
	return p, nil
}

// errAllProxiesResting: every proxy of the site is resting (a temporary
// failure: the task is retried later).
var errAllProxiesResting = errors.New("every proxy of the site is resting after failures")

// pick returns the next proxy that is not resting, round-robin.
func (p *proxyPool) pick() (*proxyEntry, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	for range p.proxies {
		e := p.proxies[p.next%len(p.proxies)]
		p.next++
		if !now.Before(e.restUntil) {
			return e, nil
		}
	}
	return nil, errAllProxiesResting
}

// done records a request's outcome through e: a transport error counts
// against it, a response clears its failures.
func (p *proxyPool) done(e *proxyEntry, err error) (rested bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err == nil {
		e.failures = 0
		return false
	}
	e.failures++
	if e.failures >= p.maxFailures {
		e.failures = 0
		e.restUntil = p.now().Add(p.rest)
		return true
	}
	return false
}

// browserProxyFailure reports whether a browser page failed because its
// proxy could not be reached or refused the connection (Chromium's net
// errors for proxies).
func browserProxyFailure(err error) bool {
	if errors.Is(err, browser.ErrProxyAuth) {
		return true
	}
	msg := err.Error()
	for _, code := range []string{"ERR_PROXY_CONNECTION_FAILED", "ERR_SOCKS_CONNECTION_FAILED", "ERR_TUNNEL_CONNECTION_FAILED",
		"ERR_PROXY_AUTH_UNSUPPORTED", "ERR_PROXY_CERTIFICATE_INVALID", "ERR_NO_SUPPORTED_PROXIES"} {
		if strings.Contains(msg, code) {
			return true
		}
	}
	return false
}

// proxyRouter sends a request through the proxy its fetch picked, or
// through direct when the site has no proxies.
type proxyRouter struct {
	direct http.RoundTripper
}

func (r *proxyRouter) RoundTrip(req *http.Request) (*http.Response, error) {
	st := stateFrom(req.Context())
	if st == nil || st.proxies == nil {
		return r.direct.RoundTrip(req)
	}
	e, err := st.proxies.pick()
	if err != nil {
		return nil, &net.OpError{Op: "proxy", Net: "tcp", Err: err}
	}
	resp, err := e.transport.RoundTrip(req)
	if st.proxies.done(e, err) && st.log != nil {
		st.log.Warn("proxy rests after failures in a row", "site", st.proxies.site, "proxy", e.index, "rest", st.proxies.rest)
	}
	if err != nil {
		// The proxy's own address may be in the error: name it by index.
		return nil, fmt.Errorf("via proxy %d: %w", e.index, scrubProxyError(err))
	}
	return resp, nil
}

// scrubProxyError drops anything after "proxyconnect" that could carry a
// proxy's address, keeping the error's type for classification.
func scrubProxyError(err error) error {
	if strings.Contains(err.Error(), "@") {
		return &net.OpError{Op: "proxy", Net: "tcp", Err: errors.New("proxy connection failed")}
	}
	return err
}

// proxyPools builds the pools of the sites with proxies.
func proxyPools(cfg config.Crawl, sites map[string]*Site, conns int, now func() time.Time) (map[string]*proxyPool, error) {
	out := map[string]*proxyPool{}
	var errs []error
	for name, s := range sites {
		if s == nil || s.Proxies == nil {
			continue
		}
		p, err := newProxyPool(cfg, s, conns, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[name] = p
	}
	return out, errors.Join(errs...)
}
