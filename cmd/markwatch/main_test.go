package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/alecthomas/kong"
)

// Queries are free text: a comma inside one must not split it in two.
func TestQueryFlagsKeepCommas(t *testing.T) {
	var cli CLI
	parser, err := kong.New(&cli, kong.Name("markwatch"), kong.Exit(func(int) {}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parser.Parse([]string{"enqueue", "--site", "fakemart", "--query", "耐克,高仿", "--query", "茅台"}); err != nil {
		t.Fatal(err)
	}
	if got := cli.Enqueue.Query; len(got) != 2 || got[0] != "耐克,高仿" {
		t.Fatalf("enqueue queries %q, want [耐克,高仿 茅台]", got)
	}
	if _, err := parser.Parse([]string{"crawl", "--site", "main.go", "--query", "a,b"}); err != nil {
		t.Fatal(err)
	}
	if got := cli.Crawl.Query; len(got) != 1 || got[0] != "a,b" {
		t.Fatalf("crawl queries %q, want [a,b]", got)
	}
}

func TestDemoListensOnLoopbackOnly(t *testing.T) {
	for addr, ok := range map[string]bool{"127.0.0.1:8080": true, "[::1]:0": true, "localhost:80": true, "0.0.0.0:8080": false, ":8080": false, "192.0.2.7:80": false} {
		if err := loopbackOnly(addr); (err == nil) != ok {
			t.Errorf("loopbackOnly(%q) = %v, want ok=%v", addr, err, ok)
		}
	}
}

// Every subcommand explains itself in --help.
func TestEverySubcommandHasHelp(t *testing.T) {
	var cli CLI
	parser, err := kong.New(&cli, kong.Name("markwatch"), kong.Exit(func(int) {}))
	if err != nil {
		t.Fatal(err)
	}
	leaves := 0
	var walk func(n *kong.Node)
	walk = func(n *kong.Node) {
		for _, c := range n.Children {
			if c.Help == "" {
				t.Errorf("subcommand %q has no help text", c.Path())
			}
			if len(c.Children) == 0 {
				leaves++
			}
			walk(c)
		}
	}
	walk(parser.Model.Node)
	if leaves < 20 {
		t.Fatalf("found %d subcommands, want every one of markwatch's", leaves)
	}
}

// --sites and --marks point any command at other adapters and marks.
func TestSitesAndMarksFlagsOverrideTheConfig(t *testing.T) {
	sites, marks := t.TempDir(), t.TempDir()
	g := &Globals{SitesDir: sites, MarksDir: marks}
	cfg, err := g.Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.SitesLocation().String(); got != sites {
		t.Errorf("sites location %q, want %q", got, sites)
	}
	if got := cfg.MarksLocation().String(); got != marks {
		t.Errorf("marks location %q, want %q", got, marks)
	}
	def, err := (&Globals{}).Load()
	if err != nil {
		t.Fatal(err)
	}
	if def.SitesLocation().String() == sites {
		t.Error("the default config points at the override")
	}
}

// MARKWATCH_CPUPROFILE=PREFIX profiles the whole command into
// PREFIX.SUBCOMMAND.PID (gzip'd pprof protobuf); unset, nothing is written.
func TestProfileCPU(t *testing.T) {
	dir := t.TempDir()
	profileCPU("", []string{"worker"})() // unset: no file, nothing to stop
	prefix := filepath.Join(dir, "prof")
	stop := profileCPU(prefix, []string{"--log-level", "warn", "worker"})
	stop()
	want := fmt.Sprintf("%s.worker.%d", prefix, os.Getpid())
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 1 || files[0] != want {
		t.Fatalf("profile files %v, want [%s]", files, want)
	}
	data, err := os.ReadFile(want)
	if err != nil || len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		t.Fatalf("profile %s: %d bytes, %v; want a gzip'd profile", want, len(data), err)
	}
}
