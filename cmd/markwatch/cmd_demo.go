package main

// DemoCmd runs the whole pipeline in one process.
type DemoCmd struct {
	Addr  string `help:"Review server address." default:"127.0.0.1:8080"`
	Data  string `help:"Data directory (default: a temporary directory)." placeholder:"DIR"`
	Once  bool   `help:"Run one sweep, print a JSON summary with precision and recall, and exit."`
	Seed  int64  `help:"Fake marketplace seed." default:"1"`
	Redis string `help:"Run the sweep on a Redis frontier at this URL instead of in-process." placeholder:"URL"`
}

func (c *DemoCmd) Run(g *Globals) error { return errNotBuilt }
