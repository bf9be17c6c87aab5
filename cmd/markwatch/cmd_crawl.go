package main

// CrawlCmd crawls one query of one site in-process.
type CrawlCmd struct {
	Site     string   `help:"Site adapter file." required:"" type:"existingfile" placeholder:"FILE"`
	Query    []string `help:"Search query (repeatable)." required:"" placeholder:"Q"`
	MaxPages int      `help:"Stop after this many search pages (0: the adapter's max_pages)."`
}

func (c *CrawlCmd) Run(g *Globals) error { return errNotBuilt }

// SitesCmd groups site adapter tools.
type SitesCmd struct {
	Check SitesCheckCmd `cmd:"" help:"Validate an adapter and show what it extracts from a saved page."`
}

// SitesCheckCmd validates a site adapter.
type SitesCheckCmd struct {
	File string `arg:"" help:"Site adapter file." type:"existingfile"`
	Page string `help:"A saved search page to extract from." type:"existingfile" placeholder:"FILE"`
}

func (c *SitesCheckCmd) Run(g *Globals) error { return errNotBuilt }
