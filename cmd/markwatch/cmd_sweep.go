package main

// SchedulerCmd fires due sweep runs.
type SchedulerCmd struct {
	Redis   string `help:"Redis URL (default: the config's)." placeholder:"URL"`
	Metrics string `help:"Address for /metrics, /healthz, /readyz." default:"127.0.0.1:9102"`
}

func (c *SchedulerCmd) Run(g *Globals) error { return errNotBuilt }

// SweepCmd groups sweep commands.
type SweepCmd struct {
	Plan    SweepPlanCmd    `cmd:"" help:"Show each sweep's dated windows and run times."`
	Run     SweepRunCmd     `cmd:"" help:"Fire a sweep now."`
	Status  SweepStatusCmd  `cmd:"" help:"Show a run's progress."`
	Cancel  SweepCancelCmd  `cmd:"" help:"Cancel a run: queued tasks dropped, leased ones finish."`
	History SweepHistoryCmd `cmd:"" help:"List fired runs."`
}

// SweepPlanCmd prints the plan.
type SweepPlanCmd struct {
	From string `help:"First date (YYYY-MM-DD, default today)."`
	To   string `help:"Last date (YYYY-MM-DD, default a year from From)."`
	JSON bool   `help:"Print JSON."`
}

func (c *SweepPlanCmd) Run(g *Globals) error { return errNotBuilt }

// SweepRunCmd fires a sweep by hand.
type SweepRunCmd struct {
	Redis string `help:"Redis URL (default: the config's)." placeholder:"URL"`
	Name  string `arg:"" help:"Sweep name."`
}

func (c *SweepRunCmd) Run(g *Globals) error { return errNotBuilt }

// SweepStatusCmd shows progress.
type SweepStatusCmd struct {
	Redis string `help:"Redis URL (default: the config's)." placeholder:"URL"`
	RunID string `arg:"" name:"run" optional:"" help:"Run id (default: the latest runs)."`
	JSON  bool   `help:"Print JSON."`
}

func (c *SweepStatusCmd) Run(g *Globals) error { return errNotBuilt }

// SweepCancelCmd cancels a run.
type SweepCancelCmd struct {
	Redis string `help:"Redis URL (default: the config's)." placeholder:"URL"`
	RunID string `arg:"" name:"run" help:"Run id."`
}

func (c *SweepCancelCmd) Run(g *Globals) error { return errNotBuilt }

// SweepHistoryCmd lists runs.
type SweepHistoryCmd struct {
	Redis string `help:"Redis URL (default: the config's)." placeholder:"URL"`
	JSON  bool   `help:"Print JSON."`
}

func (c *SweepHistoryCmd) Run(g *Globals) error { return errNotBuilt }

// CalendarCmd prints a year's holidays.
type CalendarCmd struct {
	Year int  `help:"Year (default: this year)."`
	JSON bool `help:"Print JSON."`
}

func (c *CalendarCmd) Run(g *Globals) error { return errNotBuilt }
