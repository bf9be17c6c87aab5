package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/crawler"
	"github.com/markwatch/markwatch/crawler/browser"
)

// CrawlCmd crawls one query of one site in-process.
type CrawlCmd struct {
	Site     string   `help:"Site adapter file." required:"" type:"existingfile" placeholder:"FILE"`
	Query    []string `help:"Search query (repeatable; commas are part of the query)." required:"" placeholder:"Q" sep:"none"`
	MaxPages int      `help:"Stop after this many search pages (0: the adapter's max_pages)."`
	BaseURL  string   `name:"base-url" help:"Crawl this origin instead of the adapter's base_url (a local mirror, or markwatch fakemarket on another port)." placeholder:"URL"`
	Mirror   []string `help:"Fetch HOST's pages from URL instead, keeping the site's own URLs in the output (repeatable; HOST * maps every host of the adapter not named)." placeholder:"HOST=URL" sep:"none"`
	NoFollow bool     `name:"no-follow" help:"Read only search pages, not item pages (cards are printed as the search page shows them)."`
}

// Exit statuses of markwatch crawl (documented in its --help and README).
const (
	crawlExitSearchFailed = 5 // search pages failed: the cards on them were never read
	crawlExitItemsNotRead = 6 // every card printed, some without their item page
	crawlExitCardsLost    = 7 // cards read but not printed: a bug
)

// Help is the long help of markwatch crawl: its exit statuses.
func (c *CrawlCmd) Help() string {
	return `Listings go to stdout as JSON lines. A card whose item page was not read
(skipped by robots.txt or allowed_domains, gone, failed) is printed on its
own with "item_page" saying why, as the worker judges it. A host that refuses
connections or does not resolve is reported once and not retried.

Exit status: 0 every page read; 1 the crawl could not run (adapter, output,
interrupted); 2 usage; 5 search pages failed (their cards were never read; a
layout change among them); 6 every card printed but some item pages not read;
7 a card was read but not printed (should never happen: a bug).`
}

// crawlExit is an error with the exit status of markwatch crawl.
type crawlExit struct {
	code int
	msg  string
}

func (e *crawlExit) Error() string { return e.msg }

// ExitCode is the process exit status main uses.
func (e *crawlExit) ExitCode() int { return e.code }

// Run crawls every query with the in-process Runner (no Redis) and prints
// each listing as a JSON line on stdout; a summary goes to the log.
func (c *CrawlCmd) Run(g *Globals) error {
	cfg, err := g.Load()
	if err != nil {
		return err
	}
	log := g.Logger(cfg)
	site, err := crawler.LoadSite(config.Dir(c.Site), "")
	if err != nil {
		return err
	}
	if c.BaseURL != "" {
		if site, err = site.Rebase(c.BaseURL); err != nil {
			return err
		}
	}
	if c.NoFollow {
		site = site.WithoutItems()
	}
	if c.MaxPages < 0 {
		return fmt.Errorf("--max-pages must not be negative")
	}
	mirrors := crawler.Mirrors{}
	for _, spec := range c.Mirror {
		host, target, err := crawler.ParseMirror(spec)
		if err != nil {
			return fmt.Errorf("--mirror: %w", err)
		}
		mirrors[host] = target
	}
	if c.BaseURL != "" || len(mirrors) > 0 {
		var rebased string
		if u, err := url.Parse(c.BaseURL); err == nil {
			rebased = u.Hostname()
		}
		if hosts := site.UnmappedHosts(mirrors, rebased); len(hosts) > 0 {
			log.Warn("these hosts of the adapter are not mapped to a mirror and are fetched as they are (map them with --mirror HOST=URL, or --mirror '*=URL')",
				"site", site.Name, "hosts", strings.Join(hosts, " "))
		}
	}
	opts := []crawler.Option{crawler.WithLogger(log), crawler.WithMirrors(mirrors)}
	if browser.NeededBy(site.Fetch) {
		b := browser.New(browser.Options{UserAgent: cfg.Crawl.UserAgent})
		defer b.Close()
		opts = append(opts, crawler.WithBrowser(b))
	}
	cr := crawler.New(cfg.Crawl, map[string]*crawler.Site{site.Name: site}, opts...)
	if err := cr.CookiesError(); err != nil {
		return err
	}
	run := "crawl-" + time.Now().UTC().Format("20060102T150405Z")
	var seeds []markwatch.Task
	for _, q := range c.Query {
		t := site.SearchTask(run, q, 1)
		t.MaxPages = c.MaxPages
		seeds = append(seeds, t)
	}
	ctx, cancel := signalContext()
	defer cancel()
	enc := json.NewEncoder(g.stdout)
	enc.SetEscapeHTML(false)
	var writeErr error
	runner := &crawler.Runner{Crawler: cr, Logger: log, GiveUpUnreachable: true}
	stats, err := runner.Run(ctx, seeds, func(ex *markwatch.Extracted) {
		for _, l := range ex.Listings {
			if err := enc.Encode(l); err != nil && writeErr == nil {
				writeErr = err
			}
		}
	})
	log.Info("crawl finished", "run", run, "site", site.Name, "adapter", site.Label(), "pages", stats.Pages,
		"listings", stats.Listings, "retries", stats.Retries, "skipped", stats.Skipped, "failed", stats.Failed,
		"layout_changed", stats.LayoutChanged, "search_failed", stats.SearchFailed, "items_not_read", stats.ItemsNotRead,
		"cards_lost", stats.CardsLost, "unreachable", strings.Join(stats.Unreachable, " "))
	switch {
	case err != nil:
		return err
	case writeErr != nil:
		return writeErr
	case stats.CardsLost > 0:
		return &crawlExit{crawlExitCardsLost, fmt.Sprintf("%d search card(s) were read but not printed (a bug: please report it)", stats.CardsLost)}
	case stats.SearchLayoutChanged > 0:
		return &crawlExit{crawlExitSearchFailed, fmt.Sprintf("%d search page(s) of %s matched neither listing.item nor listing.no_results: the layout changed or the adapter is wrong (try markwatch sites check --page)", stats.SearchLayoutChanged, site.Name)}
	case stats.SearchFailed > 0:
		return &crawlExit{crawlExitSearchFailed, fmt.Sprintf("%d search page(s) failed (see the log): the cards on them were not read", stats.SearchFailed)}
	case stats.ItemsNotRead > 0:
		msg := fmt.Sprintf("%d item page(s) not read; their search cards were printed with item_page saying why", stats.ItemsNotRead)
		if len(stats.Unreachable) > 0 {
			msg += "; unreachable host(s): " + strings.Join(stats.Unreachable, " ")
		}
		return &crawlExit{crawlExitItemsNotRead, msg}
	}
	return nil
}

// SitesCmd groups site adapter tools.
type SitesCmd struct {
	Check SitesCheckCmd `cmd:"" help:"Validate an adapter and show what it extracts from a saved page."`
}

// SitesCheckCmd validates a site adapter.
type SitesCheckCmd struct {
	File string `arg:"" help:"Site adapter file." type:"existingfile"`
	Page string `help:"A saved search page to extract from." type:"existingfile" placeholder:"FILE"`
	Item bool   `help:"Read --page as an item page (item.fields) rather than a search page."`
	URL  string `name:"url" help:"The URL the page was saved from, to resolve relative links (default: base_url)." placeholder:"URL"`
	JSON bool   `name:"json" help:"Print the report as JSON (fields with found/cards, samples, warnings, problems)."`
}

// Run validates the adapter (errors name file, line and field) and, with
// --page, shows field by field on how many cards it reads a value, with
// samples; a field under 90 % of the cards is a warning naming its
// selector. It fails when a field or the card selector finds nothing.
func (c *SitesCheckCmd) Run(g *Globals) error {
	site, err := crawler.LoadSite(config.Dir(c.File), "")
	if err != nil {
		return err
	}
	report := site.Describe()
	if c.Page != "" {
		page, err := os.ReadFile(c.Page)
		if err != nil {
			return err
		}
		report = site.Check(page, c.Item, c.URL)
	}
	if c.JSON {
		if err := report.WriteJSON(g.stdout); err != nil {
			return err
		}
	} else {
		report.Write(g.stdout)
	}
	if !report.OK() {
		return fmt.Errorf("%s: %d problem(s) with %s", c.File, len(report.Problems), c.Page)
	}
	return nil
}
