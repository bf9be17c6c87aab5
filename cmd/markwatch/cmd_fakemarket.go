package main

// FakemarketCmd serves the fake marketplace.
type FakemarketCmd struct {
	Addr string `help:"Listen address (loopback)." default:"127.0.0.1:0"`
	Seed int64  `help:"Seed for the generated catalogue." default:"1"`
}

func (c *FakemarketCmd) Run(g *Globals) error { return errNotBuilt }
