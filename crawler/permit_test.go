package crawler

import (
	"context"
	"errors"
	"net/url"
	"testing"
)

// Images fetched for a site obey the same allowed domains and robots.txt
// as its pages.
func TestPermitAppliesThePageRules(t *testing.T) {
	ts := newTestSite(t, shopHandler("User-agent: *\nDisallow: /private/\n"))
	site := mustSite(t, ts.URL, shopYAML)
	c, _, _ := newTestCrawler(t, testCfg(), site)
	ctx := context.Background()
	for raw, want := range map[string]error{
		ts.URL + "/img/1.jpg":                    nil,
		ts.URL + "/private/1.jpg":                ErrRobotsDisallowed,
		"http://cdn.elsewhere.example/img/1.jpg": ErrDomainNotAllowed,
	} {
		u, _ := url.Parse(raw)
		err := c.Permit(ctx, site.Name, u)
		if want == nil && err != nil || want != nil && !errors.Is(err, want) {
			t.Errorf("%s: got %v, want %v", raw, err, want)
		}
	}
	u, _ := url.Parse(ts.URL + "/img/1.jpg")
	if err := c.Permit(ctx, "nosuchsite", u); !errors.Is(err, ErrUnknownSite) {
		t.Errorf("unknown site: got %v", err)
	}
}
