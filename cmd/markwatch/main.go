// Command markwatch watches marketplaces for infringing listings. Each
// subcommand lives in its own cmd_*.go file and only parses flags and wires
// packages together.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/alecthomas/kong"
)

// CLI is the whole command tree.
type CLI struct {
	Globals

	Demo       DemoCmd       `cmd:"" help:"Run everything in one process against the built-in fake marketplace."`
	Fakemarket FakemarketCmd `cmd:"" help:"Serve the fake marketplace on loopback (tests, demos, adapter development)."`
	Crawl      CrawlCmd      `cmd:"" help:"Crawl one query of one site in-process and print listings as JSON lines."`
	Sites      SitesCmd      `cmd:"" help:"Site adapter tools."`
	Match      MatchCmd      `cmd:"" help:"Read listings as JSON lines on stdin, write one verdict per line."`
	Marks      MarksCmd      `cmd:"" help:"Marks registry tools."`
	Worker     WorkerCmd     `cmd:"" help:"Run crawl tasks from Redis until stopped."`
	Enqueue    EnqueueCmd    `cmd:"" help:"Seed a run by hand: search pages for each query."`
	Queue      QueueCmd      `cmd:"" help:"Inspect the Redis frontier."`
	Scheduler  SchedulerCmd  `cmd:"" help:"Fire due sweep runs (safe on several machines)."`
	Sweep      SweepCmd      `cmd:"" help:"Plan, run, watch and cancel sweeps."`
	Calendar   CalendarCmd   `cmd:"" help:"Print a year's official holidays, days off and make-up workdays."`
	Serve      ServeCmd      `cmd:"" help:"Serve the review web app, JSON API and /metrics; consume findings from Redis."`
	Ingest     IngestCmd     `cmd:"" help:"Store verdict lines (markwatch match --with-listing) read on stdin."`
	Users      UsersCmd      `cmd:"" help:"Manage review users and API tokens."`
}

func main() {
	var cli CLI
	ctx := kong.Parse(&cli,
		kong.Name("markwatch"),
		kong.Description("Watch e-commerce marketplaces for trademark, special-mark, geographical-indication and patent-marking infringement."),
		kong.UsageOnError(),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
	)
	cli.Globals.stdout, cli.Globals.stderr = os.Stdout, os.Stderr
	err := ctx.Run(&cli.Globals)
	if err != nil {
		fmt.Fprintln(os.Stderr, "markwatch:", err)
		code := 1
		var coded interface{ ExitCode() int }
		if errors.As(err, &coded) {
			code = coded.ExitCode()
		}
		os.Exit(code)
	}
}
