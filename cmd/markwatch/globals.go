package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/redis/go-redis/v9"

	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/queue"
	"golang.org/x/term"
)

// Globals are the flags every subcommand accepts, and what they share.
type Globals struct {
	Config   string `help:"Configuration file (default: the embedded configs/markwatch.yaml)." type:"existingfile" placeholder:"FILE"`
	SitesDir string `name:"sites" help:"Directory of site adapters; overrides the config's sites path." type:"existingdir" placeholder:"DIR"`
	MarksDir string `name:"marks" help:"Directory (or file) of marks; overrides the config's marks path." type:"path" placeholder:"DIR"`
	LogLevel string `help:"Log level (debug, info, warn, error); overrides the config." placeholder:"LEVEL"`

	stdout, stderr io.Writer
}

// errNotBuilt marks a subcommand whose issue has not landed yet.
var errNotBuilt = errors.New("not built yet: see the README's status section")

// Load reads the configuration and applies the path overrides.
func (g *Globals) Load() (*config.Config, error) {
	cfg, err := config.Load(g.Config)
	if err != nil {
		return nil, err
	}
	if g.SitesDir != "" {
		cfg.SetSites(g.SitesDir)
	}
	if g.MarksDir != "" {
		cfg.SetMarks(g.MarksDir)
	}
	if g.LogLevel != "" {
		cfg.Log.Level = g.LogLevel
	}
	return cfg, nil
}

// Logger builds the process logger: JSON unless stderr is a terminal (or the
// config says otherwise), one line per event.
func (g *Globals) Logger(cfg *config.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	format := cfg.Log.Format
	if format == "auto" {
		format = "json"
		if f, ok := g.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			format = "text"
		}
	}
	if format == "text" {
		return slog.New(slog.NewTextHandler(g.stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(g.stderr, opts))
}

// signalContext is cancelled on SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// dialRedis connects to the Redis named by flag, or by the config when the
// flag is empty (a single server, or a Cluster given as comma-separated
// URLs), and routes the client's own messages through log.
func dialRedis(flag string, cfg *config.Config, log *slog.Logger) (redis.UniversalClient, error) {
	queue.SetClientLogger(log)
	opts := queue.DialOptions{FailoverBudget: cfg.RedisFailoverBudget.Std(), Logger: log}
	if d := cfg.Durability; d.Replicas != nil {
		opts.Durability = &queue.Durability{Replicas: *d.Replicas, Timeout: d.Timeout.Std()}
	}
	return queue.DialWith(pick(flag, cfg.Redis), opts)
}

// pick returns flag, or fallback when flag is empty.
func pick(flag, fallback string) string {
	if flag != "" {
		return flag
	}
	return fallback
}

// writeJSONLines writes one JSON object a line (HTML characters unescaped:
// titles and URLs are read by people and programs, not browsers).
func writeJSONLines[T any](w io.Writer, items []T) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, item := range items {
		if err := enc.Encode(item); err != nil {
			return err
		}
	}
	return nil
}
