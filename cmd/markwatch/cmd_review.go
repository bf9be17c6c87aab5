package main

// ServeCmd serves the review app.
type ServeCmd struct {
	Data  string `help:"Data directory (default: the config's)." placeholder:"DIR"`
	Addr  string `help:"Listen address (default: the config's)." placeholder:"HOST:PORT"`
	Redis string `help:"Consume findings from this Redis (default: the config's)." placeholder:"URL"`
}

func (c *ServeCmd) Run(g *Globals) error { return errNotBuilt }

// IngestCmd stores verdict lines read on stdin.
type IngestCmd struct {
	Data  string `help:"Data directory (default: the config's)." placeholder:"DIR"`
	RunID string `name:"run" help:"Run id to file the findings under." default:"ingest"`
}

func (c *IngestCmd) Run(g *Globals) error { return errNotBuilt }

// UsersCmd groups user management.
type UsersCmd struct {
	Add   UsersAddCmd   `cmd:"" help:"Add a user (password read from stdin)."`
	List  UsersListCmd  `cmd:"" help:"List users."`
	Token UsersTokenCmd `cmd:"" help:"Create an API token for a user."`
}

// UsersAddCmd adds a user.
type UsersAddCmd struct {
	Data string `help:"Data directory (default: the config's)." placeholder:"DIR"`
	Name string `arg:""`
	Role string `help:"viewer, reviewer or admin." default:"reviewer" enum:"viewer,reviewer,admin"`
}

func (c *UsersAddCmd) Run(g *Globals) error { return errNotBuilt }

// UsersListCmd lists users.
type UsersListCmd struct {
	Data string `help:"Data directory (default: the config's)." placeholder:"DIR"`
}

func (c *UsersListCmd) Run(g *Globals) error { return errNotBuilt }

// UsersTokenCmd creates an API token.
type UsersTokenCmd struct {
	Data string `help:"Data directory (default: the config's)." placeholder:"DIR"`
	Name string `arg:""`
}

func (c *UsersTokenCmd) Run(g *Globals) error { return errNotBuilt }
