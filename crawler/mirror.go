package crawler

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Mirrors send requests for some hosts to another origin (a local server
// of saved pages, the fake marketplace) while every URL the crawler sees,
// records and emits stays the site's own: allowed_domains, robots.txt,
// listing URLs and ids are those of the real site. `markwatch crawl
// --mirror HOST=URL` builds one. The key "*" maps every host not named.
type Mirrors map[string]*url.URL

// ParseMirror reads "HOST=URL" (HOST may be "*").
func ParseMirror(spec string) (host string, target *url.URL, err error) {
	host, raw, ok := strings.Cut(spec, "=")
	host = strings.ToLower(strings.TrimSpace(host))
	if !ok || host == "" || strings.ContainsAny(host, "/:") {
		return "", nil, fmt.Errorf("mirror %q: want HOST=URL (HOST a host name or *)", spec)
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", nil, fmt.Errorf("mirror %q: %q is not an absolute http(s) URL", spec, raw)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return host, u, nil
}

// For returns the mirror of host, if any.
func (m Mirrors) For(host string) (*url.URL, bool) {
	host = strings.ToLower(host)
	if u, ok := m[host]; ok {
		return u, true
	}
	u, ok := m["*"]
	return u, ok
}

// mirrorTransport rewrites each request's scheme and host (and prefixes
// the mirror's path) before base sends it, and rewrites a redirect back
// to the mirror into the original host, so that the layers above never
// see the mirror.
type mirrorTransport struct {
	base    http.RoundTripper
	mirrors Mirrors
}

func (t *mirrorTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	to, ok := t.mirrors.For(req.URL.Hostname())
	if !ok {
		return t.base.RoundTrip(req)
	}
	orig := req.URL
	r := req.Clone(req.Context())
	u := *orig
	u.Scheme, u.Host = to.Scheme, to.Host
	if to.Path != "" {
		u.Path = to.Path + orig.Path
		u.RawPath = ""
	}
	r.URL, r.Host = &u, ""
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		if l, err := u.Parse(loc); err == nil && strings.EqualFold(l.Host, to.Host) {
			l.Scheme, l.Host = orig.Scheme, orig.Host
			l.Path = strings.TrimPrefix(l.Path, to.Path)
			resp.Header.Set("Location", l.String())
		}
	}
	resp.Request = req
	return resp, nil
}

// WithMirrors sends requests for the mapped hosts to their mirrors.
func WithMirrors(m Mirrors) Option { return func(o *options) { o.mirrors = m } }
