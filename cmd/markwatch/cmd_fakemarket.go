package main

import (
	"context"
	"encoding/json"
	"time"

	"github.com/markwatch/markwatch/fakemarket"
)

// FakemarketCmd serves the fake marketplace.
type FakemarketCmd struct {
	Addr         string        `help:"Listen address (loopback). Port 0: each site gets a free port; port P: mart, gbk, api, js on P, P+1, P+2, P+3." default:"127.0.0.1:0"`
	Seed         int64         `help:"Seed for the generated catalogue." default:"1"`
	Listings     int           `help:"Number of listings in the catalogue (every class is on every site from about 310)." default:"900"`
	JSListings   int           `name:"js-listings" help:"Listings of the JavaScript site (js: cards built in the browser from JSON; every class on it from about 310)." default:"0"`
	Latency      time.Duration `help:"Delay added to every response." default:"0s"`
	Fault        []string      `help:"Misbehave: SITE:PATHPREFIX:KIND[:N], e.g. mart:/mart/search:layout or gbk::503:5 (repeatable; kinds: slow 429 503 truncate cut loop foreign huge layout)." placeholder:"RULE" sep:"none"`
	MaxPerSecond int           `help:"Rate-limit every site like a real marketplace: requests beyond this many a second get 429 (0: no limit)." default:"0"`
	BanAfter     int           `help:"With --max-per-second: after this many refused requests a site answers 403 with a verification page (0: never)." default:"0"`
	Dump         bool          `help:"Print the catalogue as JSON lines (listing fields, site paths, ground truth under \"truth\") and exit instead of serving."`
}

// fakemarketReady is the one JSON line the command prints once serving.
type fakemarketReady struct {
	fakemarket.Sites
	Seed     int64    `json:"seed"`
	Listings int      `json:"listings"`
	Suspects int      `json:"suspects"`
	Queries  []string `json:"queries"`
}

func (c *FakemarketCmd) Run(g *Globals) error {
	cfg, err := g.Load()
	if err != nil {
		return err
	}
	logger := g.Logger(cfg)
	var rules []fakemarket.FaultRule
	for _, text := range c.Fault {
		rule, err := fakemarket.ParseFaultRule(text)
		if err != nil {
			return err
		}
		rules = append(rules, rule)
	}
	cat := fakemarket.Generate(c.Seed, fakemarket.WithListings(c.Listings), fakemarket.WithJSListings(c.JSListings))
	if c.Dump {
		enc := json.NewEncoder(g.stdout)
		enc.SetEscapeHTML(false)
		for _, l := range cat.Listings() {
			if err := enc.Encode(l); err != nil {
				return err
			}
		}
		return nil
	}
	srv := fakemarket.New(cat, fakemarket.Options{Logger: logger, Latency: c.Latency, Faults: rules,
		MaxPerSecond: c.MaxPerSecond, BanAfter: c.BanAfter})
	sites, err := srv.Start(c.Addr)
	if err != nil {
		return err
	}
	ready := fakemarketReady{Sites: sites, Seed: c.Seed, Listings: len(cat.Listings()), Queries: cat.Queries()}
	for _, l := range cat.Listings() {
		if l.Truth.Suspect {
			ready.Suspects++
		}
	}
	if err := json.NewEncoder(g.stdout).Encode(ready); err != nil {
		srv.Close()
		return err
	}
	logger.Info("fakemarket serving", "mart", sites.Mart, "gbk", sites.GBK, "api", sites.API, "js", sites.JS, "seed", c.Seed, "listings", ready.Listings)
	ctx, stop := signalContext()
	defer stop()
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		srv.Close()
	}
	logger.Info("fakemarket stopped")
	return nil
}
