package main

import "time"

// WorkerCmd runs crawl tasks from Redis.
type WorkerCmd struct {
	Redis       string        `help:"Redis URL (default: the config's)." placeholder:"URL"`
	Concurrency int           `help:"Tasks in flight (default: the config's)."`
	Lease       time.Duration `help:"Lease length (default: the config's)."`
	Metrics     string        `help:"Address for /metrics, /healthz, /readyz." default:"127.0.0.1:9101"`
}

func (c *WorkerCmd) Run(g *Globals) error { return errNotBuilt }

// EnqueueCmd seeds a run by hand.
type EnqueueCmd struct {
	Redis string   `help:"Redis URL (default: the config's)." placeholder:"URL"`
	Site  string   `help:"Site adapter name." required:""`
	Query []string `help:"Search query (repeatable)." required:"" placeholder:"Q"`
	RunID string   `name:"run" help:"Run id (default: a new one)." placeholder:"ID"`
}

func (c *EnqueueCmd) Run(g *Globals) error { return errNotBuilt }

// QueueCmd groups frontier inspection commands.
type QueueCmd struct {
	Stats   QueueStatsCmd   `cmd:"" help:"Print run accounting."`
	Dead    QueueDeadCmd    `cmd:"" help:"List dead-lettered tasks with their last error."`
	Requeue QueueRequeueCmd `cmd:"" help:"Queue dead-lettered tasks again."`
}

// QueueStatsCmd prints run accounting.
type QueueStatsCmd struct {
	Redis string `help:"Redis URL (default: the config's)." placeholder:"URL"`
	RunID string `name:"run" help:"Only this run." placeholder:"ID"`
	JSON  bool   `help:"Print JSON."`
}

func (c *QueueStatsCmd) Run(g *Globals) error { return errNotBuilt }

// QueueDeadCmd lists dead letters.
type QueueDeadCmd struct {
	Redis string `help:"Redis URL (default: the config's)." placeholder:"URL"`
	Site  string `help:"Only this site."`
	JSON  bool   `help:"Print JSON."`
}

func (c *QueueDeadCmd) Run(g *Globals) error { return errNotBuilt }

// QueueRequeueCmd requeues dead letters.
type QueueRequeueCmd struct {
	Redis string   `help:"Redis URL (default: the config's)." placeholder:"URL"`
	Site  string   `help:"Only this site."`
	IDs   []string `arg:"" optional:"" help:"Task ids (default: all dead letters)."`
}

func (c *QueueRequeueCmd) Run(g *Globals) error { return errNotBuilt }
