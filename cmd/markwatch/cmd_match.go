package main

// MatchCmd judges listings read as JSON lines.
type MatchCmd struct {
	Signals     string `help:"Signals file (default: the config's)." type:"existingfile" placeholder:"PATH"`
	WithListing bool   `help:"Carry each input listing in its verdict, for markwatch ingest."`
}

func (c *MatchCmd) Run(g *Globals) error { return errNotBuilt }

// MarksCmd groups marks registry tools.
type MarksCmd struct {
	Check MarksCheckCmd `cmd:"" help:"Validate mark files and print what each mark will match."`
}

// MarksCheckCmd validates mark files.
type MarksCheckCmd struct {
	Paths []string `arg:"" help:"Mark files or directories." type:"existingpath"`
}

func (c *MarksCheckCmd) Run(g *Globals) error { return errNotBuilt }
