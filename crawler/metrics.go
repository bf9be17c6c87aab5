package crawler

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the crawler's metrics (names fixed by the team's catalogue;
// alerts and dashboards use them). Labels: site (adapter names),
// status_class (2xx 3xx 4xx 5xx error) and reason (small fixed sets).
type Metrics struct {
	Pages              *prometheus.CounterVec   // site, status_class
	FetchDuration      *prometheus.HistogramVec // site
	ResponseBytes      *prometheus.CounterVec   // site
	Retries            *prometheus.CounterVec   // site, reason: timeout network status_429 status_5xx
	RobotsDisallowed   *prometheus.CounterVec   // site
	OffsiteBlocked     *prometheus.CounterVec   // site
	ExtractionFailures *prometheus.CounterVec   // site
	PageErrors         *prometheus.CounterVec   // site, reason: truncated malformed encoding too_many_redirects
	Listings           *prometheus.CounterVec   // site
	Blocked            *prometheus.CounterVec   // site: pages the site served to block us (ErrBlocked)
	BrowserBlocked     *prometheus.CounterVec   // site, reason: offsite robots malformed
}

// NewMetrics builds the crawler metrics and registers them with reg (nil:
// not registered, for tests and tools that do not serve /metrics).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Pages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "markwatch_crawl_pages_total",
			Help: "Fetches by site and response status class (2xx, 3xx, 4xx, 5xx, or error when no response came).",
		}, []string{"site", "status_class"}),
		FetchDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "markwatch_crawl_fetch_duration_seconds",
			Help:    "Time to fetch a page, body included, by site.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"site"}),
		ResponseBytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "markwatch_crawl_response_bytes_total",
			Help: "Response body bytes read, by site.",
		}, []string{"site"}),
		Retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "markwatch_crawl_retries_total",
			Help: "Retryable fetch failures handed back for retry, by site and reason (timeout, network, status_429, status_5xx).",
		}, []string{"site", "reason"}),
		RobotsDisallowed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "markwatch_crawl_robots_disallowed_total",
			Help: "URLs not fetched because robots.txt forbids them, by site.",
		}, []string{"site"}),
		OffsiteBlocked: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "markwatch_crawl_offsite_blocked_total",
			Help: "URLs and redirects outside the adapter's allowed_domains, not fetched, by site.",
		}, []string{"site"}),
		ExtractionFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "markwatch_crawl_extraction_failures_total",
			Help: "Pages in a layout the adapter no longer knows, by site: search pages with no listing cards and no no-results marker, item pages with none of the item fields.",
		}, []string{"site"}),
		PageErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "markwatch_crawl_page_errors_total",
			Help: "Damaged pages by site and reason (truncated, malformed, encoding, too_many_redirects).",
		}, []string{"site", "reason"}),
		Listings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "markwatch_crawl_listings_extracted_total",
			Help: "Listings extracted, by site.",
		}, []string{"site"}),
		Blocked: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "markwatch_site_blocked_total",
			Help: "Pages a site served instead of the one asked for (a slider check, a login wall: the adapter's blocked markers), by site.",
		}, []string{"site"}),
		BrowserBlocked: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "markwatch_browser_requests_blocked_total",
			Help: "Requests of browser pages (scripts, XHR, images, frames) failed before they left the browser, by site and reason (offsite: a host outside allowed_domains; robots: disallowed by, or no answer from, robots.txt; malformed: an unreadable URL).",
		}, []string{"site", "reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.Pages, m.FetchDuration, m.ResponseBytes, m.Retries, m.RobotsDisallowed,
			m.OffsiteBlocked, m.ExtractionFailures, m.PageErrors, m.Listings, m.Blocked, m.BrowserBlocked)
	}
	return m
}

// Init creates every series of the given sites at zero, so that dashboards
// show a healthy site's failure counters as 0 rather than "no data", and
// rate() and increase() see a counter's first increment.
func (m *Metrics) Init(sites ...string) {
	for _, site := range sites {
		for _, class := range []string{"2xx", "3xx", "4xx", "5xx", statusClassErr} {
			m.Pages.WithLabelValues(site, class)
		}
		m.ResponseBytes.WithLabelValues(site)
		for _, reason := range []string{retryTimeout, retryNetwork, retry429, retry5xx} {
			m.Retries.WithLabelValues(site, reason)
		}
		m.RobotsDisallowed.WithLabelValues(site)
		m.OffsiteBlocked.WithLabelValues(site)
		m.ExtractionFailures.WithLabelValues(site)
		for _, reason := range []string{reasonTruncated, reasonMalformed, reasonEncoding, reasonTooManyRedirects} {
			m.PageErrors.WithLabelValues(site, reason)
		}
		m.Listings.WithLabelValues(site)
		m.Blocked.WithLabelValues(site)
		for _, reason := range []string{blockedOffsite, blockedRobots, reasonMalformed} {
			m.BrowserBlocked.WithLabelValues(site, reason)
		}
	}
}

// Page error reasons and retry reasons: the only label values used.
const (
	reasonTruncated        = "truncated"
	reasonMalformed        = "malformed"
	reasonEncoding         = "encoding"
	reasonTooManyRedirects = "too_many_redirects"

	retryTimeout   = "timeout"
	retryNetwork   = "network"
	retry429       = "status_429"
	retry5xx       = "status_5xx"
	statusClassErr = "error"

	// Reasons a browser page's request is failed (and reasonMalformed).
	blockedOffsite = "offsite"
	blockedRobots  = "robots"
)

func statusClass(status int) string {
	switch {
	case status >= 200 && status < 300:
		return "2xx"
	case status >= 300 && status < 400:
		return "3xx"
	case status >= 400 && status < 500:
		return "4xx"
	case status >= 500 && status < 600:
		return "5xx"
	}
	return statusClassErr
}
