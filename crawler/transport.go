package crawler

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/markwatch/markwatch/config"
)

// The HTTP layer under Colly. One http.Client (and so one connection pool)
// serves every task; each fetch carries a *fetchState in its request
// context, which the redirect policy consults and the transport fills with
// what the evidence needs: the raw body exactly as received (before any
// charset conversion, which Colly applies to its own copy), whether it was
// cut short, and the final URL after redirects.

type fetchKey struct{}

// fetchState is one fetch's policy and result. The HTTP client calls
// RoundTrip and CheckRedirect one after another, never at once, so no lock.
type fetchState struct {
	site         *Site
	maxRedirects int
	bodyLimit    int64
	// robots checks a redirect target; nil when robots.txt is not consulted.
	robots func(context.Context, *url.URL) error
	// wait takes a token of the target host's bucket before a redirect is
	// followed: every request counts against the rate, hops included.
	wait func(context.Context, *url.URL) error
	// cookies are the site's cookies for a request's URL (redirect hops
	// included); nil without a cookies file.
	cookies func(*url.URL) []*http.Cookie
	// proxies is the site's proxy pool; nil: direct.
	proxies *proxyPool
	log     *slog.Logger

	final     *url.URL
	status    int
	header    http.Header
	body      []byte
	limited   bool  // the body hit bodyLimit
	readErr   error // the body ended early (connection cut, timeout)
	responded bool
	offsite   *url.URL // a redirect target outside allowed_domains
}

func stateFrom(ctx context.Context) *fetchState {
	st, _ := ctx.Value(fetchKey{}).(*fetchState)
	return st
}

// boundedTransport reads every body itself, bounded, under a header
// timeout, and hands the client a buffered copy.
type boundedTransport struct {
	base          http.RoundTripper
	headerTimeout time.Duration
	bodyLimit     int64
}

// timeoutError is a net.Error that says it timed out.
type timeoutError struct{ msg string }

func (e *timeoutError) Error() string   { return e.msg }
func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Temporary() bool { return true }

var _ net.Error = (*timeoutError)(nil)

func (t *boundedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if st := stateFrom(req.Context()); st != nil && st.cookies != nil {
		if cs := st.cookies(req.URL); len(cs) > 0 {
			req = req.Clone(req.Context())
			req.Header.Del("Cookie")
			for _, c := range cs {
				req.AddCookie(c)
			}
		}
	}
	ctx, cancel := context.WithCancel(req.Context())
	var headerTimedOut atomic.Bool
	timer := time.AfterFunc(t.headerTimeout, func() { headerTimedOut.Store(true); cancel() })
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	timer.Stop()
	if headerTimedOut.Load() {
		if resp != nil {
			resp.Body.Close()
		}
		cancel()
		return nil, &timeoutError{fmt.Sprintf("no response headers from %s within %v", req.URL.Host, t.headerTimeout)}
	}
	if err != nil {
		cancel()
		return nil, err
	}
	defer cancel()
	st := stateFrom(req.Context())
	limit := t.bodyLimit
	if st != nil && st.bodyLimit > 0 {
		limit = st.bodyLimit
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 && resp.Header.Get("Location") != "" {
		limit = min(limit, 64<<10) // a redirect's body is never used
	}
	var src io.Reader = resp.Body
	if !resp.Uncompressed && strings.EqualFold(strings.TrimSpace(resp.Header.Get("Content-Encoding")), "gzip") {
		// Gzip the transport did not ask for (and so did not undo): undo
		// it here, so that the limit bounds the decompressed size (a
		// gzip bomb stops at the limit too) and Colly sees plain bytes.
		if gz, err := gzip.NewReader(resp.Body); err == nil {
			src = gz
			resp.Header.Del("Content-Encoding")
			resp.Header.Del("Content-Length")
			resp.Uncompressed = true
		}
	}
	body, limited, readErr := readBounded(src, limit, resp.ContentLength)
	resp.Body.Close()
	if st != nil {
		st.final, st.status, st.header = req.URL, resp.StatusCode, resp.Header
		st.body, st.limited, st.readErr, st.responded = body, limited, readErr, true
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// readBounded reads at most limit bytes; limited says more were there. A
// read error ends the body early; what came before it is kept.
func readBounded(r io.Reader, limit, sizeHint int64) (body []byte, limited bool, err error) {
	var buf bytes.Buffer
	if sizeHint > 0 {
		buf.Grow(int(min(sizeHint, limit) + bytes.MinRead))
	}
	n, err := buf.ReadFrom(io.LimitReader(r, limit))
	if err != nil {
		return buf.Bytes(), false, err
	}
	if n == limit {
		var one [1]byte
		if m, _ := io.ReadFull(r, one[:]); m > 0 {
			limited = true
		}
	}
	return buf.Bytes(), limited, nil
}

// checkRedirect bounds redirect chains (loops included) and refuses
// targets outside allowed_domains or forbidden by robots.txt.
func checkRedirect(req *http.Request, via []*http.Request) error {
	st := stateFrom(req.Context())
	if st == nil {
		if len(via) >= 10 {
			return ErrTooManyRedirects
		}
		return nil
	}
	if len(via) > st.maxRedirects {
		return fmt.Errorf("%w: more than %d", ErrTooManyRedirects, st.maxRedirects)
	}
	target := req.URL.String()
	for _, v := range via {
		if v.URL.String() == target {
			return fmt.Errorf("%w: loop back to %s", ErrTooManyRedirects, target)
		}
	}
	if !st.site.AllowsURL(req.URL) {
		st.offsite = req.URL
		return fmt.Errorf("redirect to %s: %w", req.URL.Redacted(), ErrDomainNotAllowed)
	}
	if st.robots != nil {
		if err := st.robots(req.Context(), req.URL); err != nil {
			return fmt.Errorf("redirect to %s: %w", req.URL.Redacted(), err)
		}
	}
	if st.wait != nil {
		return st.wait(req.Context(), req.URL)
	}
	return nil
}

// newClient builds the shared HTTP client: base (or a transport with the
// configured connect and header timeouts) under boundedTransport, the whole
// request bounded by cfg.Timeout, no cookies, and the redirect policy.
func newClient(cfg config.Crawl, base http.RoundTripper, conns int) *http.Client {
	if base == nil {
		dialer := &net.Dialer{Timeout: cfg.ConnectTimeout.Std(), KeepAlive: 30 * time.Second}
		base = &http.Transport{
			// No Proxy from the environment: configuration has one source.
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   cfg.ConnectTimeout.Std(),
			ResponseHeaderTimeout: cfg.HeaderTimeout.Std(),
			MaxIdleConns:          max(conns*2, 64),
			MaxIdleConnsPerHost:   max(conns, 8),
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		}
	}
	return &http.Client{
		Transport:     &boundedTransport{base: base, headerTimeout: cfg.HeaderTimeout.Std(), bodyLimit: cfg.BodyLimit},
		CheckRedirect: checkRedirect,
		Timeout:       cfg.Timeout.Std(),
	}
}

// isTimeout reports whether err is a timeout of any layer.
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// parseRetryAfter reads a Retry-After header: seconds or an HTTP date.
// The result is capped at an hour: a server asking for more is treated as
// asking for an hour (the queue's backoff takes over from there).
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := time.ParseDuration(v + "s"); err == nil && !strings.ContainsAny(v, "hmsu") {
		d = secs
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), time.Hour)
}
