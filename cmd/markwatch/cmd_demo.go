package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/markwatch/markwatch/demo"
	"github.com/markwatch/markwatch/fakemarket"
	"github.com/markwatch/markwatch/obs"
)

// DemoCmd runs the whole pipeline in one process.
type DemoCmd struct {
	Addr   string   `help:"Review server and /metrics address." default:"127.0.0.1:8080"`
	Data   string   `help:"Data directory (default: a new temporary directory)." placeholder:"DIR"`
	Once   bool     `help:"Run one sweep, print a JSON summary with precision and recall, and exit."`
	Seed   int64    `help:"Fake marketplace seed." default:"1"`
	Redis  string   `help:"Run the sweep on a Redis frontier at this URL instead of in-process." placeholder:"URL"`
	Images bool     `help:"Run the image channel (photos, near-duplicates, OCR) and report its precision and recall." default:"true" negatable:""`
	Fault  []string `help:"Make the fake marketplace misbehave: SITE:PATHPREFIX:KIND[:N] (e.g. mart:/mart/search:layout), repeatable; see fakemarket's doc." placeholder:"RULE" sep:"none"`
}

// Run starts the demo.
func (c *DemoCmd) Run(g *Globals) error {
	cfg, err := g.Load()
	if err != nil {
		return err
	}
	cfg.Images.Enabled = cfg.Images.Enabled || c.Images
	log := g.Logger(cfg)
	if !c.Once {
		if err := loopbackOnly(c.Addr); err != nil {
			return err
		}
	}
	ctx, stop := signalContext()
	defer stop()

	data := c.Data
	if data == "" {
		if data, err = os.MkdirTemp("", "markwatch-demo-"); err != nil {
			return err
		}
		if c.Once {
			defer os.RemoveAll(data)
		}
	}
	faults, err := parseFaults(c.Fault)
	if err != nil {
		return err
	}
	reg := obs.NewRegistry()
	d, err := demo.Start(ctx, demo.Options{Config: cfg, DataDir: data, Seed: c.Seed, Redis: c.Redis, Faults: faults, Registry: reg, Logger: log})
	if err != nil {
		return err
	}
	defer d.Close()

	if c.Once {
		sum, err := d.Sweep(ctx)
		if err != nil {
			return err
		}
		return json.NewEncoder(g.stdout).Encode(sum)
	}

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("demo: listen: %w", err)
	}
	url := "http://" + ln.Addr().String() + "/"
	fmt.Fprintf(g.stdout, "markwatch demo: review app at %s (metrics at %smetrics); data in %s; sweeping the fake marketplace…\n", url, url, data)
	srv := &http.Server{Handler: d.Handler(), ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	sum, err := d.Sweep(ctx)
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	if err == nil {
		out, _ := json.Marshal(sum)
		fmt.Fprintf(g.stdout, "sweep finished: %s\nreview the suspects at %s (Ctrl-C to stop)\n", out, url)
	}
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return err
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// parseFaults reads --fault values.
func parseFaults(values []string) ([]fakemarket.FaultRule, error) {
	var rules []fakemarket.FaultRule
	for _, v := range values {
		r, err := fakemarket.ParseFaultRule(v)
		if err != nil {
			return nil, fmt.Errorf("--fault: %w", err)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// loopbackOnly refuses a demo address other machines could reach: the demo
// logs every visitor in as a reviewer.
func loopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--addr %q: the demo logs every visitor in as a reviewer, so it only listens on loopback (127.0.0.1 or [::1]); for a shared server run markwatch serve with users (markwatch users add)", addr)
}
