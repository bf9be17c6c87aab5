// Package crawler fetches marketplace pages politely and reads listings off
// them through site adapters written as YAML (configs/sites/*.yaml): a new
// marketplace, or a marketplace whose layout changed, is a config file, not
// a code change.
//
// # Adapters
//
// A Site (site.go) says where a marketplace lives (base_url,
// allowed_domains), how to fetch it (encoding, robots, rate, headers), how
// to build search URLs ({query} escaped for its position in the URL,
// {page}), and how to read listing cards: CSS selectors for HTML pages,
// dotted JSON paths for search APIs (format: json). Item pages can be
// followed and merged into the card's listing. LoadSites decodes adapters
// strictly through package config, so a typo names its file, line and field.
//
// # Fetching
//
// Crawler.Crawl handles one markwatch.Task: it refuses URLs outside the
// adapter's allowed_domains, consults robots.txt (robots.go: our own
// RFC 9309 matcher, because colly's library gets wildcards and precedence
// wrong on real files) unless the operator recorded that the platform
// authorised the crawl, waits for the site's per-host token bucket and a
// concurrency slot, then fetches with a fresh Colly collector over one
// shared HTTP client (transport.go). The transport bounds connect, header
// and total time, reads at most crawl.body_limit bytes, keeps the raw
// body for evidence, and the redirect policy bounds chains, stops loops and
// refuses off-site or robots-forbidden targets.
//
// robots.txt is fetched once per host however many tasks ask at once,
// trusted for an hour (a minute after a failure), and its Crawl-delay slows
// the host's bucket when it is slower than the adapter's rate. A robots.txt
// that cannot be read now (5xx, 429, network) makes the URL retry later; a
// missing one (4xx) allows everything, as RFC 9309 says.
//
// Failures come back typed (errors.go) for the worker to act on: skip
// (ErrRobotsDisallowed, ErrDomainNotAllowed), dead-letter (ErrLayoutChanged),
// retry with backoff honouring Retry-After (a Temporary *FetchError: timeouts,
// network errors, 429, 5xx) or fail (other statuses, ErrTooManyRedirects,
// ErrBodyTooLarge, ErrMalformed). The crawler never retries by itself inside
// Crawl; Runner (run.go) is the small in-process loop of `markwatch crawl`
// that does, within a per-task retry budget, using Backoff.
//
// # Extraction
//
// extract.go reads cards with goquery (selectors compiled once), collapses
// white space, resolves relative URLs against the page (or its <base>),
// parses prices as marketplaces write them (price.go: ¥1,299.00, 99-199,
// 1.2万) and decodes GBK and other legacy encodings (encoding.go). A search
// page with no cards and no no_results marker is a layout change, counted
// and logged with its URL, never "no listings"; so is an item page on which
// none of the adapter's item fields is found (ErrLayoutChanged, not the card
// alone acked as a success). A truncated or damaged page
// yields what can be read from it, and is counted.
//
// # Tools
//
// check.go is `markwatch sites check`: what an adapter reads from a saved
// page, field by field, naming every selector that finds nothing. The
// benchmark (bench_test.go) measures the crawl against a bare Colly
// collector with the same selectors on the fake marketplace, and the fuzz
// test (fuzz_test.go) feeds the extraction arbitrary pages.
package crawler
