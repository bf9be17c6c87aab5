// Command markwatch watches marketplaces for infringing listings. Each
// subcommand lives in its own cmd_*.go file and only parses flags and wires
// packages together.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime/pprof"
	"strings"

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
	Evidence   EvidenceCmd   `cmd:"" help:"Evidence tools: verify a takedown batch's evidence bundle."`
}

func main() {
	stop := profileCPU(os.Getenv("MARKWATCH_CPUPROFILE"), os.Args[1:])
	code := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// profileCPU writes a CPU profile of the whole process to
// PREFIX.SUBCOMMAND.PID when MARKWATCH_CPUPROFILE=PREFIX (a developer's
// tool: the whole-job benchmark's processes, `go tool pprof` to read).
// The profile is complete when the command returns (a worker or serve
// stopped with SIGTERM).
func profileCPU(prefix string, args []string) (stop func()) {
	if prefix == "" {
		return func() {}
	}
	sub := "none"
	commands := reflect.TypeFor[CLI]()
	for _, a := range args {
		if f, ok := commands.FieldByNameFunc(func(n string) bool { return strings.ToLower(n) == a }); ok {
			if _, isCmd := f.Tag.Lookup("cmd"); !isCmd {
				continue
			}
			sub = a
			break
		}
	}
	f, err := os.Create(fmt.Sprintf("%s.%s.%d", prefix, sub, os.Getpid()))
	if err != nil {
		fmt.Fprintln(os.Stderr, "markwatch: MARKWATCH_CPUPROFILE:", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "markwatch: MARKWATCH_CPUPROFILE:", err)
		f.Close()
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// description is the top of --help; it documents the exit status.
const description = `Watch e-commerce marketplaces for trademark, special-mark, geographical-indication and patent-marking infringement.

Exit status: 0 success; 1 failure (a bad config file, an error while working); 2 usage (an unknown command or flag, a bad flag value, a --config, --sites or --marks path that does not exist); 3 bad input (match, ingest: some input lines were bad, every other line was processed); 4 Redis unreachable (every command that needs Redis; worker waits for it instead); crawl adds 5, 6 and 7 (see crawl --help).`

// run is the whole command line: it parses args, runs the command and
// returns the exit status (see description).
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	var cli CLI
	defer func() {
		if r := recover(); r != nil {
			exit, ok := r.(kongExit)
			if !ok {
				panic(r)
			}
			code = int(exit)
		}
	}()
	parser, err := kong.New(&cli,
		kong.Name("markwatch"),
		kong.Description(description),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { panic(kongExit(code)) }),
	)
	if err != nil {
		fmt.Fprintln(stderr, "markwatch:", err)
		return exitFailure
	}
	kctx, err := parser.Parse(args)
	if err != nil {
		fmt.Fprintln(stderr, "markwatch:", err)
		fmt.Fprintln(stderr, usageHint(err))
		return exitUsage
	}
	g := &cli.Globals
	g.stdin, g.stdout, g.stderr = stdin, stdout, stderr
	if err := g.checkPaths(); err != nil {
		fmt.Fprintln(stderr, "markwatch:", err)
		return exitUsage
	}
	// Every command reads and validates the main config, even one that
	// needs nothing from it: a broken file is reported at once.
	if _, err := g.Load(); err != nil {
		fmt.Fprintln(stderr, "markwatch:", err)
		return exitFailure
	}
	if err := kctx.Run(g); err != nil {
		fmt.Fprintln(stderr, "markwatch:", err)
		return exitCode(err)
	}
	return exitOK
}

// kongExit carries kong's exit status (after --help, say) out of Parse.
type kongExit int

// usageHint points at the help of the command the parse got to.
func usageHint(err error) string {
	path := "markwatch"
	var pe *kong.ParseError
	if errors.As(err, &pe) && pe.Context != nil && pe.Context.Selected() != nil {
		path = strings.Join(strings.Fields(pe.Context.Selected().FullPath()), " ")
	}
	return fmt.Sprintf("Run \"%s --help\" for usage.", path)
}
