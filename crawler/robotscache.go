package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// robotsCache holds one parsed robots.txt per scheme and host, fetched once
// however many tasks ask at the same time, kept for a bounded time (ttl
// after a fetch, errTTL after a failure, so that a robots.txt that could not
// be read is tried again soon) and for a bounded number of hosts.
type robotsCache struct {
	ttl, errTTL time.Duration
	maxHosts    int
	fetch       func(ctx context.Context, site *Site, robotsURL *url.URL) (*Robots, error)
	now         func() time.Time

	mu      sync.Mutex
	entries map[string]*robotsEntry
}

type robotsEntry struct {
	ready   chan struct{} // closed when robots/err are set
	robots  *Robots
	err     error
	expires time.Time
}

func newRobotsCache(ttl time.Duration, fetch func(context.Context, *Site, *url.URL) (*Robots, error)) *robotsCache {
	return &robotsCache{ttl: ttl, errTTL: min(ttl, time.Minute), maxHosts: 10000, fetch: fetch, now: time.Now, entries: map[string]*robotsEntry{}}
}

// get returns the robots.txt that governs u. The fetch runs under its own
// context so that one waiter giving up does not fail the others.
func (c *robotsCache) get(ctx context.Context, site *Site, u *url.URL) (*Robots, error) {
	key := u.Scheme + "://" + u.Host
	c.mu.Lock()
	e := c.entries[key]
	if e != nil {
		select {
		case <-e.ready:
			if c.now().After(e.expires) {
				e = nil
			}
		default: // being fetched: wait below
		}
	}
	if e == nil {
		c.evictLocked()
		e = &robotsEntry{ready: make(chan struct{})}
		c.entries[key] = e
		c.mu.Unlock()
		robotsURL := &url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/robots.txt"}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		r, err := c.fetch(fctx, site, robotsURL)
		cancel()
		e.robots, e.err = r, err
		ttl := c.ttl
		if err != nil {
			ttl = c.errTTL
		}
		e.expires = c.now().Add(ttl)
		close(e.ready)
		return r, err
	}
	c.mu.Unlock()
	select {
	case <-e.ready:
		return e.robots, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// evictLocked makes room for one more host: expired entries first, then
// any settled entry.
func (c *robotsCache) evictLocked() {
	if len(c.entries) < c.maxHosts {
		return
	}
	now := c.now()
	for k, e := range c.entries {
		select {
		case <-e.ready:
			if now.After(e.expires) {
				delete(c.entries, k)
			}
		default:
		}
	}
	for k, e := range c.entries {
		if len(c.entries) < c.maxHosts {
			return
		}
		select {
		case <-e.ready:
			delete(c.entries, k)
		default:
		}
	}
}

// robotsBodyLimit is the most of a robots.txt read (Google reads 500 KiB).
const robotsBodyLimit = 512 << 10

// fetchRobots reads robots.txt as RFC 9309 says: 2xx is parsed; 4xx means
// there is none (everything allowed); 5xx, 429 and network errors mean the
// site cannot say now, so the URL is retried later (a temporary
// *FetchError) rather than fetched or skipped. A redirect that leaves
// allowed_domains is treated as "disallow all", the polite reading.
func (c *Crawler) fetchRobots(ctx context.Context, site *Site, robotsURL *url.URL) (*Robots, error) {
	if err := c.limiter(site, robotsURL.Host).Wait(ctx); err != nil {
		return nil, err
	}
	st := &fetchState{site: site, maxRedirects: 5, bodyLimit: robotsBodyLimit, proxies: c.proxies[site.Name], log: c.log}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, fetchKey{}, st), http.MethodGet, robotsURL.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	resp, err := c.client.Do(req)
	if resp != nil {
		resp.Body.Close()
	}
	switch {
	case errors.Is(err, ErrDomainNotAllowed):
		c.log.Warn("robots.txt redirects off-site; treating the host as disallowed", "site", site.Name, "url", robotsURL.String(), "to", st.offsite)
		return &Robots{disallowAll: true}, nil
	case errors.Is(err, ErrTooManyRedirects):
		return &Robots{allowAll: true}, nil // RFC 9309: unavailable
	case err != nil:
		return nil, &FetchError{URL: robotsURL.String(), Temporary: true, Err: fmt.Errorf("robots.txt: %w", err)}
	}
	switch {
	case st.status >= 200 && st.status < 300:
		r := ParseRobots(st.body)
		c.applyCrawlDelay(site, robotsURL.Host, r)
		return r, nil
	case st.status == http.StatusTooManyRequests || st.status >= 500:
		return nil, &FetchError{URL: robotsURL.String(), Status: st.status, Temporary: true,
			RetryAfter: parseRetryAfter(st.header.Get("Retry-After"), c.now()), Err: errors.New("robots.txt unavailable")}
	default: // 3xx without a usable Location, 4xx
		return &Robots{allowAll: true}, nil
	}
}

// applyCrawlDelay slows the host's token bucket to robots.txt's
// Crawl-delay for our group when that is slower than the adapter's rate:
// one request per delay, no bursts.
func (c *Crawler) applyCrawlDelay(site *Site, host string, r *Robots) {
	d := r.CrawlDelay(c.cfg.UserAgent)
	if d <= 0 {
		return
	}
	l := c.limiter(site, host)
	if every := rate.Every(d); every < l.Limit() {
		l.SetLimit(every)
		l.SetBurst(1)
		c.log.Info("robots.txt Crawl-delay slows the site", "site", site.Name, "host", host, "delay", d)
	}
}

// FleetLimit is the rate at which a whole fleet may fetch a site: the
// adapter's rate, or robots.txt's Crawl-delay for the site's own host once
// this crawler has read it and it is slower (one request per delay, no
// burst). The queue's fleet-wide token bucket asks for it at every lease,
// so a Crawl-delay binds the fleet, not only each process.
func (c *Crawler) FleetLimit(name string) (perSecond float64, burst int) {
	site, ok := c.sites[name]
	if !ok || site == nil {
		return 0, 0
	}
	perSecond, burst = site.Rate.RequestsPerSecond, site.Rate.Burst
	if site.base == nil {
		return perSecond, burst
	}
	c.limitMu.Lock()
	l := c.limiters[site.Name+"\x00"+site.base.Host]
	c.limitMu.Unlock()
	if l != nil && l.Burst() == 1 {
		if lim := float64(l.Limit()); lim > 0 && (perSecond <= 0 || lim < perSecond) {
			return lim, 1
		}
	}
	return perSecond, burst
}

// checkRobots returns ErrRobotsDisallowed (wrapped) when robots.txt forbids
// u, a temporary *FetchError when robots.txt cannot be read now, and nil for
// sites whose crawl the operator recorded as authorised.
func (c *Crawler) checkRobots(ctx context.Context, site *Site, u *url.URL) error {
	if site.Authorized() {
		return nil
	}
	r, err := c.robots.get(ctx, site, u)
	if err != nil {
		return err
	}
	if !r.Allowed(c.cfg.UserAgent, u) {
		return fmt.Errorf("%s: %w", u.Redacted(), ErrRobotsDisallowed)
	}
	return nil
}
