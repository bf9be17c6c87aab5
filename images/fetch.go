package images

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/markwatch/markwatch/crawler"
)

// Gate applies the page rules to an image URL before it is fetched:
// allowed domains, robots.txt and the site's rate. *crawler.Crawler is one.
type Gate interface {
	Permit(ctx context.Context, site string, u *url.URL) error
}

// Fetcher fetches listing images with the limits of FetchOptions.
type Fetcher struct {
	gate   Gate
	client *http.Client
	opts   FetchOptions
}

// FetchOptions bound what one image may cost.
type FetchOptions struct {
	// MaxBytes is the largest body read. Default 8 MiB.
	MaxBytes int64
	// MaxPixels is the largest width × height decoded, checked from the
	// header first. Default 16,777,216 (4096 × 4096: 64 MiB as RGBA).
	MaxPixels int
	// Timeout bounds one fetch. Default 20s.
	Timeout time.Duration
	// UserAgent sent with each request.
	UserAgent string
}

func (o *FetchOptions) defaults() {
	if o.MaxBytes <= 0 {
		o.MaxBytes = 8 << 20
	}
	if o.MaxPixels <= 0 {
		o.MaxPixels = 4096 * 4096
	}
	if o.Timeout <= 0 {
		o.Timeout = 20 * time.Second
	}
}

// NewFetcher returns a fetcher that asks gate before every request and
// every redirect; transport nil means http.DefaultTransport.
func NewFetcher(gate Gate, transport http.RoundTripper, opts FetchOptions) *Fetcher {
	opts.defaults()
	if transport == nil {
		transport = http.DefaultTransport
	}
	return &Fetcher{gate: gate, opts: opts, client: &http.Client{Transport: transport, Timeout: opts.Timeout}}
}

// Image is a fetched, checked and decoded image.
type Image struct {
	URL    string
	Body   []byte
	Format string
	Image  image.Image
}

type siteKey struct{}

// Fetch fetches rawURL for site and decodes it. Every error is a *Refusal
// (its Reason is the metric label) except a cancelled ctx.
func (f *Fetcher) Fetch(ctx context.Context, site, rawURL string) (*Image, error) {
	u, err := url.Parse(rawURL)
	if err != nil || !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, refuse(ReasonDomain, "not an absolute http(s) URL: %q", rawURL)
	}
	if err := f.permit(ctx, site, u); err != nil {
		return nil, err
	}
	ctx = context.WithValue(ctx, siteKey{}, site)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, refuse(ReasonFetch, "%w", err)
	}
	if f.opts.UserAgent != "" {
		req.Header.Set("User-Agent", f.opts.UserAgent)
	}
	req.Header.Set("Accept", "image/webp,image/png,image/jpeg,image/gif;q=0.9")
	client := *f.client
	client.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return refuse(ReasonFetch, "more than 5 redirects")
		}
		return f.permit(r.Context(), site, r.URL)
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var r *Refusal
		if errors.As(err, &r) {
			return nil, r
		}
		return nil, refuse(ReasonFetch, "%s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, refuse(ReasonStatus, "%s: status %d", u.Redacted(), resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !imageContentType(ct) {
		return nil, refuse(ReasonContentType, "%s: Content-Type %q is not an image", u.Redacted(), ct)
	}
	if resp.ContentLength > f.opts.MaxBytes {
		return nil, refuse(ReasonTooLarge, "%s: Content-Length %d is over the limit of %d bytes", u.Redacted(), resp.ContentLength, f.opts.MaxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.opts.MaxBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, refuse(ReasonFetch, "%s: reading body: %w", u.Redacted(), err)
	}
	if int64(len(body)) > f.opts.MaxBytes {
		return nil, refuse(ReasonTooLarge, "%s: body is over the limit of %d bytes", u.Redacted(), f.opts.MaxBytes)
	}
	img, format, err := Decode(body, f.opts.MaxPixels)
	if err != nil {
		var r *Refusal
		if errors.As(err, &r) {
			r.Err = fmt.Errorf("%s: %w", u.Redacted(), r.Err)
		}
		return nil, err
	}
	return &Image{URL: rawURL, Body: body, Format: format, Image: img}, nil
}

func (f *Fetcher) permit(ctx context.Context, site string, u *url.URL) error {
	if f.gate == nil {
		return nil
	}
	err := f.gate.Permit(ctx, site, u)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, crawler.ErrDomainNotAllowed), errors.Is(err, crawler.ErrUnknownSite):
		return &Refusal{Reason: ReasonDomain, Err: err}
	case errors.Is(err, crawler.ErrRobotsDisallowed):
		return &Refusal{Reason: ReasonRobots, Err: err}
	case ctx.Err() != nil:
		return ctx.Err()
	default:
		return &Refusal{Reason: ReasonFetch, Err: err}
	}
}

var _ Gate = (*crawler.Crawler)(nil)
