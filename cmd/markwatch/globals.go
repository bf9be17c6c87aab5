package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/queue"
	"golang.org/x/term"
)

// Globals are the flags every subcommand accepts, and what they share.
type Globals struct {
	Config   string `help:"Configuration file (default: the embedded configs/markwatch.yaml)." type:"path" placeholder:"FILE"`
	SitesDir string `name:"sites" help:"Directory of site adapters; overrides the config's sites path." type:"path" placeholder:"DIR"`
	MarksDir string `name:"marks" help:"Directory (or file) of marks; overrides the config's marks path." type:"path" placeholder:"DIR"`
	LogLevel string `help:"Log level (debug, info, warn, error); overrides the config." placeholder:"LEVEL"`

	stdin          io.Reader
	stdout, stderr io.Writer
	cfg            *config.Config // loaded once
}

// checkPaths reports a --config, --sites or --marks path that does not
// exist in one line naming it (kong's existingfile would print the whole
// usage).
func (g *Globals) checkPaths() error {
	for _, p := range []struct {
		flag, path string
		dir        bool
	}{{"--config", g.Config, false}, {"--sites", g.SitesDir, true}, {"--marks", g.MarksDir, false}} {
		if p.path == "" {
			continue
		}
		st, err := os.Stat(p.path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("%s %s: no such file or directory", p.flag, p.path)
		case err != nil:
			return fmt.Errorf("%s: %w", p.flag, err)
		case p.dir && !st.IsDir():
			return fmt.Errorf("%s %s: not a directory", p.flag, p.path)
		case p.flag == "--config" && st.IsDir():
			return fmt.Errorf("%s %s: a directory, not a file", p.flag, p.path)
		}
	}
	return nil
}

// errNotBuilt marks a subcommand whose issue has not landed yet.
var errNotBuilt = errors.New("not built yet: see the README's status section")

// Load reads the configuration and applies the path overrides.
func (g *Globals) Load() (*config.Config, error) {
	if g.cfg != nil {
		return g.cfg, nil
	}
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
	g.cfg = cfg
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
//
// Redis must answer a first PING (see probeRedis): when it does not, the
// error says so in one line and the command exits with exitUnreachable.
func dialRedis(flag string, cfg *config.Config, log *slog.Logger) (redis.UniversalClient, error) {
	client, err := dialClient(flag, cfg, log)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := probeRedis(ctx, client); err != nil {
		client.Close()
		if errors.Is(err, errRedisUnreachable) {
			return nil, &exitError{exitUnreachable, err}
		}
		return nil, err
	}
	queue.SetClientLogger(log)
	return client, nil
}

// dialRedisWaiting is dialRedis for long-running processes: while Redis
// does not answer it waits, saying so once per backoff step, until it does
// or ctx ends.
func dialRedisWaiting(ctx context.Context, flag string, cfg *config.Config, log *slog.Logger) (redis.UniversalClient, error) {
	client, err := dialClient(flag, cfg, log)
	if err != nil {
		return nil, err
	}
	if err := waitForRedis(ctx, client, log); err != nil {
		client.Close()
		return nil, err
	}
	queue.SetClientLogger(log)
	return client, nil
}

// dialClient opens the client with the config's failover budget and
// durability policy; it does not talk to Redis yet.
func dialClient(flag string, cfg *config.Config, log *slog.Logger) (redis.UniversalClient, error) {
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
