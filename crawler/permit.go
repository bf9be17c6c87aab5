package crawler

import (
	"context"
	"fmt"
	"net/url"
)

// Permit applies the page rules to a URL another fetcher (the images
// step) is about to fetch for site: it must be on the adapter's
// allowed_domains (ErrDomainNotAllowed), robots.txt must allow it
// (ErrRobotsDisallowed, or a temporary *FetchError when robots.txt cannot
// be read now), and it waits for the site's token on that host, so images
// share the pages' rate instead of adding a second one.
func (c *Crawler) Permit(ctx context.Context, siteName string, u *url.URL) error {
	site, ok := c.sites[siteName]
	if !ok {
		return fmt.Errorf("site %q: %w", siteName, ErrUnknownSite)
	}
	if !site.AllowsURL(u) {
		c.metrics.OffsiteBlocked.WithLabelValues(site.Name).Inc()
		return fmt.Errorf("%s: %w", u.Redacted(), ErrDomainNotAllowed)
	}
	if err := c.checkRobots(ctx, site, u); err != nil {
		return err
	}
	return c.limiter(site, u.Host).Wait(ctx)
}

// UserAgent is the User-Agent the crawler sends (images are fetched with it too).
func (c *Crawler) UserAgent() string { return c.cfg.UserAgent }
