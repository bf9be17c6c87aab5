package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/crawler"
)

// CrawlCmd crawls one query of one site in-process.
type CrawlCmd struct {
	Site     string   `help:"Site adapter file." required:"" type:"existingfile" placeholder:"FILE"`
	Query    []string `help:"Search query (repeatable; commas are part of the query)." required:"" placeholder:"Q" sep:"none"`
	MaxPages int      `help:"Stop after this many search pages (0: the adapter's max_pages)."`
	BaseURL  string   `name:"base-url" help:"Crawl this origin instead of the adapter's base_url (a local mirror, or markwatch fakemarket on another port)." placeholder:"URL"`
}

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
	if c.MaxPages < 0 {
		return fmt.Errorf("--max-pages must not be negative")
	}
	cr := crawler.New(cfg.Crawl, map[string]*crawler.Site{site.Name: site}, crawler.WithLogger(log))
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
	runner := &crawler.Runner{Crawler: cr, Logger: log}
	stats, err := runner.Run(ctx, seeds, func(ex *markwatch.Extracted) {
		for _, l := range ex.Listings {
			if err := enc.Encode(l); err != nil && writeErr == nil {
				writeErr = err
			}
		}
	})
	log.Info("crawl finished", "run", run, "site", site.Name, "adapter", site.Label(), "pages", stats.Pages,
		"listings", stats.Listings, "retries", stats.Retries, "skipped", stats.Skipped, "failed", stats.Failed,
		"layout_changed", stats.LayoutChanged)
	switch {
	case err != nil:
		return err
	case writeErr != nil:
		return writeErr
	case stats.LayoutChanged > 0:
		return fmt.Errorf("%d search page(s) of %s matched neither listing.item nor listing.no_results: the layout changed or the adapter is wrong (try markwatch sites check --page)", stats.LayoutChanged, site.Name)
	case stats.Failed > 0:
		return fmt.Errorf("%d of %d task(s) failed (see the log)", stats.Failed, stats.Pages+stats.Failed+stats.Skipped)
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
}

// Run validates the adapter (errors name file, line and field) and, with
// --page, shows field by field what it reads from the page. It fails when
// a field or the card selector finds nothing.
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
	report.Write(g.stdout)
	if !report.OK() {
		return fmt.Errorf("%s: %d problem(s) with %s", c.File, len(report.Problems), c.Page)
	}
	return nil
}
