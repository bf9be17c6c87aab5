package main

import (
	"encoding/json"
	"fmt"
	"time"
)

// QueueSitesCmd lists the frontier's sites and their pauses.
type QueueSitesCmd struct {
	Redis string `help:"Redis URL (default: the config's)." placeholder:"URL"`
	JSON  bool   `help:"Print one JSON object per site."`
}

// Run prints every site the frontier knows: paused ones with until when,
// how many blocks in a row and the marker that matched.
func (c *QueueSitesCmd) Run(g *Globals) error {
	f, client, err := openFrontier(g, c.Redis)
	if err != nil {
		return err
	}
	defer client.Close()
	defer f.Close()
	ctx, stop := signalContext()
	defer stop()
	states, err := f.SiteStates(ctx)
	if err != nil {
		return err
	}
	if c.JSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetEscapeHTML(false)
		for _, s := range states {
			if err := enc.Encode(s); err != nil {
				return err
			}
		}
		return nil
	}
	for _, s := range states {
		switch {
		case s.Paused:
			fmt.Fprintf(g.stdout, "%s\tPAUSED until %s (%s left), block %d in a row: %s\n", s.Site,
				s.PausedUntil.UTC().Format(time.RFC3339), time.Until(s.PausedUntil).Round(time.Second), s.Strikes, s.Reason)
		case s.Strikes > 0:
			fmt.Fprintf(g.stdout, "%s\tactive (last blocked %s: %s)\n", s.Site, s.PausedAt.UTC().Format(time.RFC3339), s.Reason)
		default:
			fmt.Fprintf(g.stdout, "%s\tactive\n", s.Site)
		}
	}
	return nil
}

// QueueResumeCmd lifts a site's pause.
type QueueResumeCmd struct {
	Site  string `arg:"" help:"Site name."`
	Redis string `help:"Redis URL (default: the config's)." placeholder:"URL"`
}

// Run lifts the pause and forgets the site's strikes: its tasks are leased
// again at once.
func (c *QueueResumeCmd) Run(g *Globals) error {
	f, client, err := openFrontier(g, c.Redis)
	if err != nil {
		return err
	}
	defer client.Close()
	defer f.Close()
	ctx, stop := signalContext()
	defer stop()
	if err := f.ResumeSite(ctx, c.Site); err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "%s resumed\n", c.Site)
	return nil
}
