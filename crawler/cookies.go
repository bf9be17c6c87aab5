package crawler

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"context"
	"log/slog"

	"github.com/markwatch/markwatch/crawler/browser"
)

// Authorised access: a site's requests may carry the cookies of an account
// the platform's IP-protection programme granted (Site.Cookies). The file
// is read at start and again on SIGHUP (ReloadCookies); a cookie is sent
// only to a host of the site's allowed_domains that its own domain, path
// and secure flag match, and never appears in logs, metrics, evidence
// (pages keep response headers only) or the review app.

// siteCookie is one cookie of a cookies file.
type siteCookie struct {
	domain   string // lower-case, without a leading dot
	hostOnly bool   // only domain itself, not its subdomains
	path     string
	secure   bool
	expires  time.Time // zero: a session cookie
	name     string
	value    string
}

// matches reports whether the cookie goes with a request to u at now.
func (c *siteCookie) matches(u *url.URL, now time.Time) bool {
	host := strings.ToLower(u.Hostname())
	if host != c.domain && (c.hostOnly || !strings.HasSuffix(host, "."+c.domain)) {
		return false
	}
	if c.secure && u.Scheme != "https" {
		return false
	}
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if c.path != "" && c.path != "/" && p != c.path && !strings.HasPrefix(p, strings.TrimSuffix(c.path, "/")+"/") {
		return false
	}
	return c.expires.IsZero() || now.Before(c.expires)
}

// parseCookies reads a Netscape cookies.txt or a JSON export (an array of
// objects with domain, name, value, path, secure, hostOnly and
// expirationDate, as browser extensions write them). Every cookie's domain
// must be one the site may fetch: a cookie for another site is an error,
// so that a wrong file is noticed rather than leaked.
func parseCookies(file string, data []byte, site *Site) ([]siteCookie, error) {
	var out []siteCookie
	add := func(where string, c siteCookie) error {
		c.domain = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(c.domain), "."))
		if c.name == "" || c.domain == "" {
			return fmt.Errorf("%s: %s: a cookie needs a domain and a name", file, where)
		}
		if !site.AllowsHost(c.domain) && !site.allowsSubdomainsOf(c.domain) {
			return fmt.Errorf("%s: %s: cookie %q is for %s, which is not in %s's allowed_domains", file, where, c.name, c.domain, site.Name)
		}
		out = append(out, c)
		return nil
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && (trimmed[0] == '[' || trimmed[0] == '{') {
		var list []struct {
			Domain         string   `json:"domain"`
			Name           string   `json:"name"`
			Value          string   `json:"value"`
			Path           string   `json:"path"`
			Secure         bool     `json:"secure"`
			HostOnly       bool     `json:"hostOnly"`
			ExpirationDate *float64 `json:"expirationDate"`
		}
		if trimmed[0] == '{' {
			var wrapped struct {
				Cookies json.RawMessage `json:"cookies"`
			}
			if err := json.Unmarshal(trimmed, &wrapped); err != nil {
				return nil, fmt.Errorf("%s: JSON cookies: %v", file, err)
			}
			trimmed = wrapped.Cookies
		}
		if err := json.Unmarshal(trimmed, &list); err != nil {
			return nil, fmt.Errorf("%s: JSON cookies: %v", file, err)
		}
		for i, e := range list {
			c := siteCookie{domain: e.Domain, hostOnly: e.HostOnly, path: e.Path, secure: e.Secure, name: e.Name, value: e.Value}
			if e.ExpirationDate != nil && *e.ExpirationDate > 0 {
				c.expires = time.Unix(int64(*e.ExpirationDate), 0)
			}
			if err := add(fmt.Sprintf("cookie [%d]", i), c); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimRight(sc.Text(), "\r")
		if strings.HasPrefix(text, "#HttpOnly_") {
			text = strings.TrimPrefix(text, "#HttpOnly_")
		} else if strings.HasPrefix(text, "#") || strings.TrimSpace(text) == "" {
			continue
		}
		f := strings.Split(text, "\t")
		if len(f) != 7 {
			return nil, fmt.Errorf("%s:%d: want 7 tab-separated fields (domain, include subdomains, path, secure, expiry, name, value), got %d", file, line, len(f))
		}
		c := siteCookie{domain: f[0], hostOnly: !strings.EqualFold(f[1], "TRUE"), path: f[2], secure: strings.EqualFold(f[3], "TRUE"), name: f[5], value: f[6]}
		if exp, err := strconv.ParseInt(f[4], 10, 64); err != nil {
			return nil, fmt.Errorf("%s:%d: expiry %q is not a Unix time", file, line, f[4])
		} else if exp > 0 {
			c.expires = time.Unix(exp, 0)
		}
		if err := add(fmt.Sprintf("line %d", line), c); err != nil {
			return nil, err
		}
	}
	return out, sc.Err()
}

// allowsSubdomainsOf reports whether allowed_domains has "*.d" (a cookie
// for d with subdomains then serves allowed hosts).
func (s *Site) allowsSubdomainsOf(d string) bool {
	for _, a := range s.domains {
		if a == "."+d {
			return true
		}
	}
	return false
}

// cookiesPath is the site's cookies file: relative paths resolve against
// the adapter file's directory.
func (s *Site) cookiesPath() string {
	if s.Cookies == "" || filepath.IsAbs(s.Cookies) {
		return s.Cookies
	}
	return filepath.Join(filepath.Dir(s.file), s.Cookies)
}

// ReloadCookies reads every site's cookies file again (at start, and on
// SIGHUP: ReloadCookiesOnSIGHUP). On an error the sites keep the cookies
// they had; the error names the file and line.
func (c *Crawler) ReloadCookies() error {
	var errs []error
	loaded := map[string][]siteCookie{}
	for name, s := range c.sites {
		if s == nil || s.Cookies == "" {
			continue
		}
		path := s.cookiesPath()
		data, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("crawler: site %s cookies: %w", name, err))
			continue
		}
		cs, err := parseCookies(path, data, s)
		if err != nil {
			errs = append(errs, fmt.Errorf("crawler: site %s cookies: %w", name, err))
			continue
		}
		loaded[name] = cs
		c.log.Info("cookies loaded", "site", name, "cookies", len(cs)) // never the values
	}
	c.cookieMu.Lock()
	for name, cs := range loaded {
		c.cookies[name] = cs
	}
	c.cookieMu.Unlock()
	return errors.Join(errs...)
}

// CookiesError is the error of loading the sites' cookies files and
// setting up their proxies when the crawler was built (nil when all went
// well): commands stop on it.
func (c *Crawler) CookiesError() error { return c.cookieErr }

// matchingCookies returns the cookies of site that go with a request to u.
func (c *Crawler) matchingCookies(site *Site, u *url.URL) []*siteCookie {
	if site.Cookies == "" || !site.AllowsURL(u) {
		return nil
	}
	c.cookieMu.RLock()
	cs := c.cookies[site.Name]
	c.cookieMu.RUnlock()
	now := c.now()
	var out []*siteCookie
	for i := range cs {
		if cs[i].matches(u, now) {
			out = append(out, &cs[i])
		}
	}
	return out
}

// cookiesFor returns the cookies of site that go with a request to u.
func (c *Crawler) cookiesFor(site *Site, u *url.URL) []*http.Cookie {
	var out []*http.Cookie
	for _, sc := range c.matchingCookies(site, u) {
		out = append(out, &http.Cookie{Name: sc.name, Value: sc.value})
	}
	return out
}

// browserCookiesFor returns the cookies of site that go with a page at u,
// for the browser, which sets them for u's host only: a page's scripts
// and images on other hosts never get them.
func (c *Crawler) browserCookiesFor(site *Site, u *url.URL) []browser.Cookie {
	var out []browser.Cookie
	for _, sc := range c.matchingCookies(site, u) {
		out = append(out, browser.Cookie{Name: sc.name, Value: sc.value, Path: sc.path, Secure: sc.secure, Expires: sc.expires})
	}
	return out
}

// ReloadCookiesOnSIGHUP reloads the crawler's cookies whenever the process
// gets SIGHUP, until ctx ends.
func ReloadCookiesOnSIGHUP(ctx context.Context, c *Crawler, log *slog.Logger) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	go func() {
		defer signal.Stop(ch)
		for {
			select {
			case <-ctx.Done():
				return
			case <-ch:
				if err := c.ReloadCookies(); err != nil {
					log.Error("reload cookies on SIGHUP", "err", err)
				} else {
					log.Info("cookies reloaded on SIGHUP")
				}
			}
		}
	}()
}
