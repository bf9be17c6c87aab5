package fakemarket

import "strings"

// Each site's robots.txt. Every site disallows its /private/ directory (a
// page is served there, so a test can prove it was never fetched) and has a
// wildcard and an end-anchored rule, a longer Allow inside a Disallow, and a
// group for a named bot that may fetch nothing.
var robotsRules = map[string][]string{
	SiteMart: {
		"Disallow: /mart/private/",
		"Allow: /mart/private/help.html",
		"Disallow: /mart/cart",
		"Disallow: /mart/*?*sort=",
		"Disallow: /mart/*.json$",
	},
	SiteGBK: {
		"Disallow: /gbk/private/",
		"Disallow: /gbk/member.php",
		"Disallow: /gbk/*?*orderby=",
	},
	SiteAPI: {
		"Disallow: /api/private/",
		"Disallow: /api/v1/internal",
		"Disallow: /api/*?*debug=",
		"Disallow: /api/static/*.map$",
	},
	SiteJS: {
		"Disallow: /js/private/",
		"Disallow: /js/api/internal",
	},
}

// robots renders the robots.txt of one site, or of all of them (site "").
func robots(site string) *response {
	var b strings.Builder
	b.WriteString("# robots.txt of the markwatch fake marketplace\n")
	b.WriteString("User-agent: BadBot\nDisallow: /\n\n")
	b.WriteString("User-agent: *\n")
	for _, name := range servedSites() {
		if site == "" || site == name {
			for _, line := range robotsRules[name] {
				b.WriteString(line + "\n")
			}
		}
	}
	return &response{status: 200, contentType: "text/plain; charset=utf-8", body: []byte(b.String())}
}
