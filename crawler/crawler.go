package crawler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gocolly/colly/v2"
	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/crawler/browser"
	"golang.org/x/time/rate"
)

// Crawler fetches one task's page politely and extracts it through the
// task's site adapter. It is safe for concurrent use; every method bounds
// its own work (in-flight fetches, per-host rate, body size, time).
type Crawler struct {
	cfg     config.Crawl
	sites   map[string]*Site
	client  *http.Client
	robots  *robotsCache
	metrics *Metrics
	log     *slog.Logger
	now     func() time.Time
	slots   chan struct{} // bounds fetches in flight

	limitMu  sync.Mutex
	limiters map[string]*rate.Limiter // site name + host

	cookieMu  sync.RWMutex
	cookies   map[string][]siteCookie // site name → its cookies file's cookies
	cookieErr error                   // from New's first load
	proxies   map[string]*proxyPool   // site name → its proxies
	browser   *browser.Browser        // for fetch: browser; nil: none
}

// Option configures a Crawler.
type Option func(*options)

type options struct {
	metrics     *Metrics
	logger      *slog.Logger
	transport   http.RoundTripper
	concurrency int
	robotsTTL   time.Duration
	now         func() time.Time
	mirrors     Mirrors
	browser     *browser.Browser
}

// WithMetrics records the crawler's metrics in m (see NewMetrics).
func WithMetrics(m *Metrics) Option { return func(o *options) { o.metrics = m } }

// WithLogger logs through l (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithTransport sends requests through rt instead of a transport built
// from the crawl config (tests route a site's host to a loopback server
// this way). Body, header-time and redirect bounds still apply on top;
// the connect timeout is then rt's business.
func WithTransport(rt http.RoundTripper) Option { return func(o *options) { o.transport = rt } }

// WithHTTPClient uses client's Transport, as WithTransport. The crawler
// keeps its own redirect policy, timeout and cookie-less requests.
func WithHTTPClient(client *http.Client) Option {
	return func(o *options) {
		o.transport = client.Transport
		if o.transport == nil {
			o.transport = http.DefaultTransport
		}
	}
}

// WithBrowser renders the pages of adapters with fetch: browser in b.
func WithBrowser(b *browser.Browser) Option { return func(o *options) { o.browser = b } }

// WithConcurrency bounds fetches in flight across all tasks (default
// crawl.concurrency).
func WithConcurrency(n int) Option { return func(o *options) { o.concurrency = n } }

// WithRobotsTTL sets how long a robots.txt is trusted (default 1h).
func WithRobotsTTL(d time.Duration) Option { return func(o *options) { o.robotsTTL = d } }

// New builds a crawler for the given adapters. cfg should be provisioned
// (config.Load does it); zero values get the documented defaults.
func New(cfg config.Crawl, sites map[string]*Site, opts ...Option) *Crawler {
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	def := config.Config{Crawl: cfg}
	_ = def.Provision()
	cfg = def.Crawl
	if o.concurrency <= 0 {
		o.concurrency = cfg.Concurrency
	}
	if o.robotsTTL <= 0 {
		o.robotsTTL = time.Hour
	}
	if o.metrics == nil {
		o.metrics = NewMetrics(nil)
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	if o.now == nil {
		o.now = time.Now
	}
	c := &Crawler{
		cfg:      cfg,
		sites:    sites,
		client:   newClient(cfg, o.transport, o.concurrency),
		metrics:  o.metrics,
		log:      o.logger,
		now:      o.now,
		slots:    make(chan struct{}, o.concurrency),
		limiters: map[string]*rate.Limiter{},
		cookies:  map[string][]siteCookie{},
	}
	bt := c.client.Transport.(*boundedTransport)
	if len(o.mirrors) > 0 {
		bt.base = &mirrorTransport{base: bt.base, mirrors: o.mirrors}
	}
	pools, err := proxyPools(cfg, sites, o.concurrency, o.now)
	if err != nil {
		c.cookieErr = err
		c.log.Error("proxies not set up", "err", err)
	}
	c.proxies = pools
	c.browser = o.browser
	if len(pools) > 0 {
		bt.base = &proxyRouter{direct: bt.base}
	}
	c.robots = newRobotsCache(o.robotsTTL, c.fetchRobots)
	if err := c.ReloadCookies(); err != nil {
		// Commands stop on it at start (CookiesError); a library user
		// gets the log line and requests without the cookies.
		c.cookieErr = errors.Join(c.cookieErr, err)
		c.log.Error("cookies not loaded", "err", err)
	}
	names := make([]string, 0, len(sites))
	for name := range sites {
		names = append(names, name)
	}
	c.metrics.Init(names...)
	return c
}

// Site returns the adapter named name.
func (c *Crawler) Site(name string) (*Site, bool) {
	s, ok := c.sites[name]
	return s, ok
}

// limiter is the token bucket of one site on one host.
func (c *Crawler) limiter(site *Site, host string) *rate.Limiter {
	key := site.Name + "\x00" + host
	c.limitMu.Lock()
	defer c.limitMu.Unlock()
	l := c.limiters[key]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(site.Rate.RequestsPerSecond), site.Rate.Burst)
		c.limiters[key] = l
	}
	return l
}

// Crawl fetches task's page and extracts it. Errors: ErrUnknownSite;
// ErrDomainNotAllowed and ErrRobotsDisallowed (not fetched: skip the task);
// ErrLayoutChanged (a search page the adapter no longer understands);
// a *FetchError, Temporary for timeouts, network errors, 429 and 5xx (retry
// after RetryAfter at least), permanent for other statuses;
// ErrTooManyRedirects, ErrBodyTooLarge, ErrMalformed (permanent).
func (c *Crawler) Crawl(ctx context.Context, task markwatch.Task) (*markwatch.Extracted, error) {
	site, ok := c.sites[task.Site]
	if !ok {
		return nil, fmt.Errorf("task %s: site %q: %w", task.ID, task.Site, ErrUnknownSite)
	}
	log := c.log.With("run", task.Run, "sweep", task.Sweep, "site", site.Name, "task", task.ID, "kind", string(task.Kind))
	u, err := url.Parse(task.URL)
	if err != nil || !u.IsAbs() {
		return nil, fmt.Errorf("task %s: bad URL %q", task.ID, task.URL)
	}
	if !site.AllowsURL(u) {
		c.metrics.OffsiteBlocked.WithLabelValues(site.Name).Inc()
		log.Info("offsite URL not fetched", "url", task.URL)
		return nil, fmt.Errorf("%s: %w", u.Redacted(), ErrDomainNotAllowed)
	}
	if err := c.checkRobots(ctx, site, u); err != nil {
		return nil, c.preflightError(site, log, task.URL, err)
	}
	if err := c.limiter(site, u.Host).Wait(ctx); err != nil {
		return nil, err
	}
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if site.Fetch == "browser" {
		st, shot, err := c.fetchBrowser(ctx, site, log, task)
		<-c.slots
		if err != nil {
			return nil, err
		}
		if err := c.classify(site, log, task, st, nil); err != nil {
			return nil, err
		}
		ex, err := c.extract(ctx, site, log, task, st)
		if ex != nil {
			ex.Page.Screenshot = shot
		}
		return ex, err
	}
	st, fetchErr := c.fetch(ctx, site, task)
	<-c.slots
	if err := c.classify(site, log, task, st, fetchErr); err != nil {
		return nil, err
	}
	return c.extract(ctx, site, log, task, st)
}

// fetchBrowser renders task's page in the browser. Its errors are
// temporary fetch errors (a page that did not render in time is tried
// again later), or ErrDomainNotAllowed when scripts or redirects took the
// page off the allowed domains.
func (c *Crawler) fetchBrowser(ctx context.Context, site *Site, log *slog.Logger, task markwatch.Task) (*fetchState, []byte, error) {
	if c.browser == nil {
		return nil, nil, &FetchError{URL: task.URL, Err: errors.New("the adapter says fetch: browser, but this process has no browser")}
	}
	req := browser.Request{URL: task.URL, Screenshot: true}
	if b := site.Browser; b != nil {
		req.WaitFor, req.Scroll, req.Timeout = b.WaitFor, b.Scroll, b.Timeout.Std()
		req.Screenshot = b.Screenshot == nil || *b.Screenshot
	}
	if bl := site.Blocked; req.WaitFor != "" && bl != nil && len(bl.Selectors) > 0 {
		// A block page never shows what wait_for waits for: wait for
		// either, so that a slider check is classified as a block rather
		// than timing out.
		req.WaitFor += ", " + strings.Join(bl.Selectors, ", ")
	}
	if u, err := url.Parse(task.URL); err == nil {
		req.Cookies = c.browserCookiesFor(site, u)
	}
	pool := c.proxies[site.Name]
	var proxy *proxyEntry
	if pool != nil {
		// Round-robin as for HTTP pages.
		var err error
		if proxy, err = pool.pick(); err != nil {
			return nil, nil, &FetchError{URL: task.URL, Temporary: true, Err: err}
		}
		req.Proxy, req.ProxyUser, req.ProxyPassword = proxy.server, proxy.user, proxy.password
	}
	req.Allow = func(ctx context.Context, u *url.URL) string { return c.allowBrowserRequest(ctx, site, u) }
	start := c.now()
	res, err := c.browser.Fetch(ctx, req)
	if res != nil && len(res.Blocked) > 0 {
		total := 0
		for reason, n := range res.Blocked {
			c.metrics.BrowserBlocked.WithLabelValues(site.Name, reason).Add(float64(n))
			total += n
		}
		log.Info("browser page: requests blocked", "url", task.URL, "blocked", total,
			"offsite", res.Blocked[blockedOffsite], "robots", res.Blocked[blockedRobots], "example", res.BlockedSample)
	}
	if proxy != nil {
		// Only Chromium's proxy errors count against the proxy: a page
		// that did not render may be the page's fault.
		var proxyErr error
		if err != nil && browserProxyFailure(err) {
			proxyErr = err
		}
		if (err == nil || proxyErr != nil) && pool.done(proxy, proxyErr) {
			log.Warn("proxy rests after failures in a row", "site", site.Name, "proxy", proxy.index, "rest", pool.rest)
		}
	}
	c.metrics.FetchDuration.WithLabelValues(site.Name).Observe(c.now().Sub(start).Seconds())
	var navigation *browser.NavigationBlockedError
	if errors.As(err, &navigation) {
		// A redirect off the crawl rules, refused in the browser: the
		// same outcome as that redirect on the plain path.
		switch navigation.Reason {
		case blockedOffsite:
			c.metrics.OffsiteBlocked.WithLabelValues(site.Name).Inc()
			log.Warn("browser page redirected off-site, not followed", "url", task.URL, "to", navigation.URL)
			return nil, nil, fmt.Errorf("%s: %w", navigation.URL, ErrDomainNotAllowed)
		case blockedRobots:
			c.metrics.RobotsDisallowed.WithLabelValues(site.Name).Inc()
			log.Info("browser page redirected to a path robots.txt disallows, not followed", "url", task.URL, "to", navigation.URL)
			return nil, nil, fmt.Errorf("%s: %w", navigation.URL, ErrRobotsDisallowed)
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		fe := &FetchError{URL: task.URL, Temporary: true, Err: err}
		c.metrics.Pages.WithLabelValues(site.Name, statusClassErr).Inc()
		c.metrics.Retries.WithLabelValues(site.Name, retryReason(fe)).Inc()
		log.Warn("browser fetch failed, retryable", "url", task.URL, "err", err)
		return nil, nil, fe
	}
	final, err := url.Parse(res.FinalURL)
	if err != nil || !final.IsAbs() {
		final, _ = url.Parse(task.URL)
	}
	if !site.AllowsURL(final) {
		c.metrics.OffsiteBlocked.WithLabelValues(site.Name).Inc()
		log.Warn("browser page ended off-site", "url", task.URL, "final_url", final.Redacted())
		return nil, nil, fmt.Errorf("%s: %w", final.Redacted(), ErrDomainNotAllowed)
	}
	status := res.Status
	if status == 0 {
		status = http.StatusOK
	}
	c.metrics.ResponseBytes.WithLabelValues(site.Name).Add(float64(len(res.HTML)))
	st := &fetchState{site: site, final: final, status: status, body: res.HTML, responded: true,
		header: http.Header{"Content-Type": {"text/html; charset=utf-8"}}}
	return st, res.Screenshot, nil
}

// allowBrowserRequest decides on a request a browser page makes (its own
// document was checked before): "" lets it go, else the reason it is
// failed. The crawl rules of the page hold for what its scripts fetch:
// allowed domains, then robots.txt of the request's host (a robots.txt
// that cannot be read blocks the request rather than the page).
func (c *Crawler) allowBrowserRequest(ctx context.Context, site *Site, u *url.URL) string {
	switch u.Scheme {
	case "data", "blob", "about":
		return "" // no request leaves the browser
	}
	if !site.AllowsURL(u) {
		return blockedOffsite
	}
	if err := c.checkRobots(ctx, site, u); err != nil {
		return blockedRobots
	}
	return ""
}

// preflightError counts and returns an error found before fetching.
func (c *Crawler) preflightError(site *Site, log *slog.Logger, target string, err error) error {
	var fe *FetchError
	switch {
	case errors.Is(err, ErrRobotsDisallowed):
		c.metrics.RobotsDisallowed.WithLabelValues(site.Name).Inc()
		log.Info("disallowed by robots.txt", "url", target)
	case errors.As(err, &fe) && fe.Temporary:
		c.metrics.Retries.WithLabelValues(site.Name, retryReason(fe)).Inc()
		log.Warn("robots.txt unavailable, will retry", "url", target, "err", err)
	}
	return err
}

// fetch runs one GET through a fresh Colly collector. A collector per task
// keeps tasks independent (no shared visited set, callbacks or context);
// what is shared, and pooled, is the HTTP client under it.
func (c *Crawler) fetch(ctx context.Context, site *Site, task markwatch.Task) (*fetchState, error) {
	st := &fetchState{site: site, maxRedirects: c.cfg.MaxRedirects, bodyLimit: c.cfg.BodyLimit}
	if !site.Authorized() {
		st.robots = func(ctx context.Context, u *url.URL) error { return c.checkRobots(ctx, site, u) }
	}
	st.wait = func(ctx context.Context, u *url.URL) error { return c.limiter(site, u.Host).Wait(ctx) }
	if site.Cookies != "" {
		st.cookies = func(u *url.URL) []*http.Cookie { return c.cookiesFor(site, u) }
	}
	st.proxies, st.log = c.proxies[site.Name], c.log
	col := &colly.Collector{}
	// Init, not NewCollector: NewCollector lets COLLY_* environment
	// variables override these settings behind the configuration's back.
	col.Init()
	col.UserAgent = c.cfg.UserAgent
	col.IgnoreRobotsTxt = true // checked before the fetch, by robots.go's matcher
	col.AllowURLRevisit = true // deduplication is the frontier's job
	col.ParseHTTPErrorResponse = true
	col.MaxBodySize = 0 // boundedTransport bounds bodies
	col.SetClient(c.client)
	col.Context = context.WithValue(ctx, fetchKey{}, st)
	if len(site.Headers) > 0 {
		h := http.Header{}
		for k, v := range site.Headers {
			h.Set(k, v)
		}
		col.Headers = &h
	}
	start := c.now()
	err := col.Visit(task.URL)
	c.metrics.FetchDuration.WithLabelValues(site.Name).Observe(c.now().Sub(start).Seconds())
	if st.responded {
		c.metrics.ResponseBytes.WithLabelValues(site.Name).Add(float64(len(st.body)))
	}
	return st, err
}

// classify turns a fetch outcome into the error the caller acts on, and
// counts it; nil means a 2xx page to extract.
func (c *Crawler) classify(site *Site, log *slog.Logger, task markwatch.Task, st *fetchState, err error) error {
	m := c.metrics
	switch {
	case errors.Is(err, ErrDomainNotAllowed):
		m.Pages.WithLabelValues(site.Name, statusClass(st.status)).Inc()
		m.OffsiteBlocked.WithLabelValues(site.Name).Inc()
		log.Warn("redirect off-site not followed", "url", task.URL, "to", st.offsite)
		return err
	case errors.Is(err, ErrRobotsDisallowed):
		m.Pages.WithLabelValues(site.Name, statusClass(st.status)).Inc()
		m.RobotsDisallowed.WithLabelValues(site.Name).Inc()
		log.Info("redirect target disallowed by robots.txt", "url", task.URL, "err", err)
		return err
	case errors.Is(err, ErrTooManyRedirects):
		m.Pages.WithLabelValues(site.Name, statusClass(st.status)).Inc()
		m.PageErrors.WithLabelValues(site.Name, reasonTooManyRedirects).Inc()
		log.Warn("redirect chain too long", "url", task.URL, "err", err)
		return err
	case !st.responded:
		if err == nil {
			err = errors.New("no response")
		}
		m.Pages.WithLabelValues(site.Name, statusClassErr).Inc()
		var netErr *url.Error
		if !errors.As(err, &netErr) {
			// Not from the HTTP client: Colly refused the request (a URL
			// it cannot parse, say). Retrying would fail the same way.
			log.Warn("fetch refused", "url", task.URL, "err", err)
			return &FetchError{URL: task.URL, Err: err}
		}
		fe := &FetchError{URL: task.URL, Temporary: true, Err: err}
		var fromRobots *FetchError
		if errors.As(err, &fromRobots) { // a redirect target's robots.txt was unreadable
			fe = fromRobots
		}
		m.Retries.WithLabelValues(site.Name, retryReason(fe)).Inc()
		log.Warn("fetch failed, retryable", "url", task.URL, "err", err)
		return fe
	}
	// A response came; Colly's own complaints (a charset it cannot
	// convert, say) do not matter: the crawler decodes the raw body itself.
	m.Pages.WithLabelValues(site.Name, statusClass(st.status)).Inc()
	status := st.status
	switch {
	case status >= 200 && status < 300:
		return nil
	case status == http.StatusTooManyRequests || status >= 500:
		fe := &FetchError{URL: task.URL, Status: status, Temporary: true,
			RetryAfter: parseRetryAfter(st.header.Get("Retry-After"), c.now())}
		m.Retries.WithLabelValues(site.Name, retryReason(fe)).Inc()
		log.Warn("server asks to retry", "url", task.URL, "status", status, "retry_after", fe.RetryAfter)
		return fe
	default:
		if site.Blocked != nil {
			text, _, _ := decodeBody(st.body, st.header.Get("Content-Type"), site.Encoding)
			if err := c.blocked(site, log, task, status, text); err != nil {
				return err
			}
		}
		log.Warn("fetch failed", "url", task.URL, "status", status)
		return &FetchError{URL: task.URL, Status: status, Err: fmt.Errorf("status %d", status)}
	}
}

func retryReason(fe *FetchError) string {
	switch {
	case fe.Status == http.StatusTooManyRequests:
		return retry429
	case fe.Status >= 500:
		return retry5xx
	case isTimeout(fe.Err):
		return retryTimeout
	}
	return retryNetwork
}

// headerKeep are the response headers kept with a page for evidence.
var headerKeep = []string{"Content-Type", "Content-Length", "Content-Language", "Date", "Last-Modified",
	"ETag", "Server", "Cache-Control", "Expires", "Retry-After", "X-Robots-Tag"}

func headerSubset(h http.Header) map[string]string {
	out := make(map[string]string, 4)
	for _, k := range headerKeep {
		if v := h.Get(k); v != "" {
			out[k] = v
		}
	}
	return out
}

// extract reads a 2xx page: listings, item and next-page tasks.
func (c *Crawler) extract(ctx context.Context, site *Site, log *slog.Logger, task markwatch.Task, st *fetchState) (*markwatch.Extracted, error) {
	m := c.metrics
	fetchedAt := c.now().UTC()
	page := &markwatch.Page{
		Task: task, URL: task.URL, FinalURL: st.final.String(), Status: st.status,
		Header: headerSubset(st.header), Body: st.body, FetchedAt: fetchedAt,
		Truncated: st.limited || st.readErr != nil, Adapter: site.Label(),
	}
	if page.Truncated {
		m.PageErrors.WithLabelValues(site.Name, reasonTruncated).Inc()
		log.Warn("page truncated", "url", task.URL, "bytes", len(st.body), "limit_hit", st.limited, "err", st.readErr)
	}
	text, enc, lossy := decodeBody(st.body, st.header.Get("Content-Type"), site.Encoding)
	if lossy && !page.Truncated {
		m.PageErrors.WithLabelValues(site.Name, reasonEncoding).Inc()
		log.Warn("page does not decode cleanly", "url", task.URL, "encoding", enc)
	}
	var ex *Extraction
	if task.Kind == markwatch.KindItem {
		ex = site.ExtractItem(text, st.final)
	} else {
		ex = site.ExtractSearch(text, st.final)
	}
	if ex.Malformed != nil {
		m.PageErrors.WithLabelValues(site.Name, reasonMalformed).Inc()
		log.Warn("malformed page", "url", task.URL, "err", ex.Malformed)
	}
	// An item page on which none of the adapter's item fields is found
	// is not the item page the adapter knows.
	itemEmpty := task.Kind == markwatch.KindItem && len(site.item.fields) > 0 && len(ex.Missing) == len(site.item.fields)
	// A page cut short that yielded nothing is a failed fetch, not a
	// layout change: retry a cut connection, give up on a body over the limit.
	if page.Truncated && (len(ex.Listings) == 0 && !ex.NoResults || itemEmpty) {
		if st.readErr != nil {
			fe := &FetchError{URL: task.URL, Temporary: true, Err: fmt.Errorf("body cut short: %w", st.readErr)}
			m.Retries.WithLabelValues(site.Name, retryReason(fe)).Inc()
			return nil, fe
		}
		return nil, fmt.Errorf("%s: %w (%d bytes)", task.URL, ErrBodyTooLarge, c.cfg.BodyLimit)
	}
	if (ex.Malformed != nil && len(ex.Listings) == 0) || itemEmpty || (task.Kind != markwatch.KindItem && ex.Cards == 0 && !ex.NoResults) {
		// Not the page the adapter expects: a block page, or a layout change.
		if err := c.blocked(site, log, task, st.status, text); err != nil {
			return nil, err
		}
	}
	if ex.Malformed != nil && len(ex.Listings) == 0 {
		if task.Kind != markwatch.KindItem {
			// A search API answering with something else (a login wall, a
			// slider check) is, for the adapter, a layout it does not know.
			m.ExtractionFailures.WithLabelValues(site.Name).Inc()
			log.Error("layout changed: search page does not parse", "url", task.URL, "final_url", page.FinalURL, "err", ex.Malformed)
			return nil, fmt.Errorf("%s: %w: %v", task.URL, ErrLayoutChanged, ex.Malformed)
		}
		return nil, fmt.Errorf("%s: %w", task.URL, ex.Malformed)
	}
	out := &markwatch.Extracted{Page: page}
	if task.Kind == markwatch.KindItem {
		item := markwatch.Listing{}
		if len(ex.Listings) > 0 {
			item = ex.Listings[0]
		}
		if itemEmpty {
			// Keeping the card alone and acking would hide a redesign of
			// the item pages: count it and let the worker dead-letter it.
			m.ExtractionFailures.WithLabelValues(site.Name).Inc()
			log.Error("layout changed: item page has none of the item fields", "url", task.URL, "final_url", page.FinalURL, "bytes", len(st.body))
			return nil, fmt.Errorf("%s: %w: item page has none of the adapter's item fields", task.URL, ErrLayoutChanged)
		}
		l := item
		if task.Listing != nil {
			l = merge(*task.Listing, item)
		}
		l.Site, l.FetchedAt = site.Name, fetchedAt
		if l.URL == "" {
			l.URL = task.URL
		}
		if l.ID == "" {
			l.ID = site.CanonicalURL(l.URL)
		}
		out.Listings = []markwatch.Listing{l}
		m.Listings.WithLabelValues(site.Name).Inc()
		return out, nil
	}
	if ex.Cards == 0 && !ex.NoResults {
		m.ExtractionFailures.WithLabelValues(site.Name).Inc()
		log.Error("layout changed: no listing cards and no no-results marker", "url", task.URL, "final_url", page.FinalURL, "bytes", len(st.body))
		return nil, fmt.Errorf("%s: %w", task.URL, ErrLayoutChanged)
	}
	for i := range ex.Listings {
		l := ex.Listings[i]
		l.FetchedAt = fetchedAt
		follow, why, ok := c.itemTask(ctx, site, log, task, l)
		if ok {
			out.Follow = append(out.Follow, follow)
			continue
		}
		l.ItemPage = why
		out.Listings = append(out.Listings, l)
	}
	m.Listings.WithLabelValues(site.Name).Add(float64(len(out.Listings)))
	if next, ok := c.nextTask(site, log, task, ex); ok {
		out.Follow = append(out.Follow, next)
	}
	log.Debug("page crawled", "url", task.URL, "status", st.status, "cards", ex.Cards, "listings", len(out.Listings), "follow", len(out.Follow))
	return out, nil
}

// blocked returns a *BlockedError, counted and logged, when a page matches
// the adapter's blocked markers.
func (c *Crawler) blocked(site *Site, log *slog.Logger, task markwatch.Task, status int, text []byte) error {
	reason := site.BlockedBy(status, text)
	if reason == "" {
		return nil
	}
	c.metrics.Blocked.WithLabelValues(site.Name).Inc()
	log.Warn("blocked by the site", "url", task.URL, "status", status, "marker", reason)
	return &BlockedError{URL: task.URL, Status: status, Reason: reason}
}

// itemTask is the item-page task for a card, when the adapter follows item
// pages and the page may be fetched; otherwise the card is the listing,
// and why says why its item page is not read (as Listing.ItemPage).
func (c *Crawler) itemTask(ctx context.Context, site *Site, log *slog.Logger, task markwatch.Task, l markwatch.Listing) (t markwatch.Task, why string, ok bool) {
	if !site.FollowItems() {
		return markwatch.Task{}, "", false
	}
	if l.URL == "" {
		return markwatch.Task{}, string(OutcomeSkipped) + ": the card has no item URL", false
	}
	u, err := url.Parse(l.URL)
	if err != nil {
		return markwatch.Task{}, string(OutcomeSkipped) + ": bad item URL", false
	}
	if !site.AllowsURL(u) {
		c.metrics.OffsiteBlocked.WithLabelValues(site.Name).Inc()
		log.Info("item page off-site, keeping the card", "url", l.URL)
		return markwatch.Task{}, string(OutcomeSkipped) + ": " + ErrDomainNotAllowed.Error(), false
	}
	if !site.Authorized() {
		// An item page robots.txt forbids would be skipped, and the card
		// lost with it: keep the card instead. The item host's robots.txt
		// is fetched once (usually it is the search host's, cached); if it
		// cannot be read now, the item task decides later.
		if r, err := c.robots.get(ctx, site, u); err == nil && !r.Allowed(c.cfg.UserAgent, u) {
			c.metrics.RobotsDisallowed.WithLabelValues(site.Name).Inc()
			log.Info("item page disallowed by robots.txt, keeping the card", "url", l.URL)
			return markwatch.Task{}, string(OutcomeSkipped) + ": " + ErrRobotsDisallowed.Error(), false
		}
	}
	card := l
	return markwatch.Task{Run: task.Run, Sweep: task.Sweep, Site: site.Name, Kind: markwatch.KindItem,
		URL: l.URL, Query: task.Query, Listing: &card}, "", true
}

// nextTask is the next search page's task, within the page bound.
func (c *Crawler) nextTask(site *Site, log *slog.Logger, task markwatch.Task, ex *Extraction) (markwatch.Task, bool) {
	page := max(task.Page, 1)
	limit := task.MaxPages
	if limit <= 0 {
		limit = site.MaxPages()
	}
	if page >= limit || ex.Cards == 0 {
		return markwatch.Task{}, false
	}
	var next string
	switch {
	case site.listing.next != nil || site.listing.nextPath != nil:
		next = ex.Next // the page's own link, or none: the last page
	case task.Query != "":
		next, _ = site.SearchURL(task.Query, page+1)
	}
	if next == "" {
		return markwatch.Task{}, false
	}
	u, err := url.Parse(next)
	if err != nil {
		return markwatch.Task{}, false
	}
	if !site.AllowsURL(u) {
		c.metrics.OffsiteBlocked.WithLabelValues(site.Name).Inc()
		log.Warn("next page off-site, not followed", "url", next)
		return markwatch.Task{}, false
	}
	return markwatch.Task{Run: task.Run, Sweep: task.Sweep, Site: site.Name, Kind: markwatch.KindSearch,
		URL: next, Query: task.Query, Page: page + 1, MaxPages: task.MaxPages}, true
}
