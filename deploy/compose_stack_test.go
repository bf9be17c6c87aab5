package deploy

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/markwatch/markwatch/internal/testredis"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// TestComposeStackOnLoopback runs the markwatch services of
// docker-compose.yml without Docker: each service's own command line (worker,
// both scheduler replicas, serve), with the compose Redis replaced by a
// private redis-server, 0.0.0.0 by loopback and /data by a temporary
// directory, and a real Prometheus scraping them under the compose job
// names with alerts.yml loaded. It asserts that every process answers the
// path its compose healthcheck calls, that every target is up, that exactly
// one scheduler holds the lock and a worker heartbeat is seen, and that the
// fleet alerts (no workers, no leader, target down) stay silent on this
// healthy stack.
//
// The stack's adapters are configs/sites' fake* ones rebased on a `markwatch
// fakemarket` process (--sites is added to every command line). Once the
// fleet is up, checkFakeRunMetrics crawls the fake marketplace through it and
// lints and bounds every process's /metrics (issue 8's acceptance test).
func TestComposeStackOnLoopback(t *testing.T) {
	promBin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("prometheus not on PATH: install Debian's prometheus package (scripts/setup.sh test does) to run the compose stack test")
	}
	if testing.Short() {
		t.Skip("-short: the compose stack test builds markwatch and runs five servers")
	}
	c := loadCompose(t)
	redis := testredis.Start(t)
	dir := t.TempDir()
	bin := buildMarkwatch(t)
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()

	fake, sitesDir := startFakeMarket(ctx, t, bin, dir)

	var replicas []replica
	for _, service := range []string{"worker", "scheduler", "serve"} {
		s := c.Services[service]
		n := max(s.Deploy.Replicas, 1)
		for i := range n {
			args, addr := localArgs(t, s.Command, redis.URL(), filepath.Join(dir, fmt.Sprintf("%s-%d", service, i)))
			args = append(args, "--sites", sitesDir)
			health := ""
			if s.Healthcheck != nil {
				for _, a := range s.Healthcheck.Test {
					if u, ok := strings.CutPrefix(a, "http://127.0.0.1:"); ok {
						_, health, _ = strings.Cut(u, "/")
						health = "/" + health
					}
				}
			}
			replicas = append(replicas, replica{service, addr, health, startProcess(t, bin, args...)})
		}
	}
	defer func() {
		if t.Failed() {
			for _, r := range replicas {
				t.Logf("%s %s output (tail):\n%s", r.service, r.addr, r.log.tail(2000))
			}
		}
	}()

	// Each process answers its compose healthcheck.
	for _, r := range replicas {
		if r.health == "" {
			t.Errorf("compose service %s has no HTTP healthcheck", r.service)
			continue
		}
		waitFor(ctx, t, r.service+" "+r.health+" to answer 200", func() (bool, string) {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+r.addr+r.health, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return false, err.Error()
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK, resp.Status
		})
	}

	// Prometheus with the compose job names, each replica a static target.
	rules, err := filepath.Abs("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nrule_files:\n  - %q\nscrape_configs:\n", rules)
	sc := loadScrapeConfig(t, "prometheus/prometheus.yml")
	for _, service := range []string{"worker", "scheduler", "serve"} {
		job := "markwatch-" + service
		if sc.job(job) == nil {
			t.Fatalf("prometheus.yml has no job %s", job)
		}
		var targets []string
		for _, r := range replicas {
			if r.service == service {
				targets = append(targets, fmt.Sprintf("%q", r.addr))
			}
		}
		fmt.Fprintf(&b, "  - job_name: %s\n    static_configs:\n      - targets: [%s]\n", job, strings.Join(targets, ", "))
	}
	api, promLog := startPrometheus(t, promBin, dir, b.String())
	defer func() {
		if t.Failed() {
			t.Logf("prometheus output (tail):\n%s", promLog.tail(3000))
		}
	}()

	waitFor(ctx, t, "every compose target up", func() (bool, string) {
		got := api.query(ctx, t, `up{job=~"markwatch-.*"} == 1`)
		return len(got) == len(replicas), fmt.Sprintf("%d of %d targets up", len(got), len(replicas))
	})
	waitFor(ctx, t, "exactly one scheduler leader", func() (bool, string) {
		got := api.query(ctx, t, `sum(markwatch_scheduler_leader)`)
		return len(got) == 1 && got[0].value == 1, fmt.Sprintf("sum(markwatch_scheduler_leader) = %+v", got)
	})
	waitFor(ctx, t, "a worker heartbeat", func() (bool, string) {
		got := api.query(ctx, t, `max(markwatch_queue_workers_alive)`)
		return len(got) == 1 && got[0].value >= 1, fmt.Sprintf("max(markwatch_queue_workers_alive) = %+v", got)
	})
	alerts := loadAlerts(t)
	for _, name := range []string{"MarkwatchNoWorkersAlive", "MarkwatchSchedulerNoLeader", "MarkwatchTargetDown"} {
		i := slices.IndexFunc(alerts, func(r rule) bool { return r.Alert == name })
		if i < 0 {
			t.Fatalf("alerts.yml has no %s", name)
		}
		if got := api.query(ctx, t, alerts[i].Expr); len(got) > 0 {
			t.Errorf("%s's expression is true on a healthy stack: %+v", name, got)
		}
	}

	checkFakeRunMetrics(t, bin, redis.URL(), sitesDir, fake, replicas, api)
}

// replica is one process of the stack: its compose service, the address
// of its /metrics and the path of its compose healthcheck.
type replica struct {
	service, addr, health string
	log                   *logBuffer
}

// localArgs rewrites a compose command for this machine: the compose Redis
// becomes redisURL, 0.0.0.0:PORT a free loopback port (returned), and /data
// the directory dataDir.
func localArgs(t *testing.T, command []string, redisURL, dataDir string) (args []string, addr string) {
	t.Helper()
	for _, a := range command {
		switch {
		case strings.HasPrefix(a, "redis://redis:"):
			a = redisURL
		case strings.HasPrefix(a, "0.0.0.0:"):
			a = net.JoinHostPort("127.0.0.1", freePort(t))
			addr = a
		case a == "/data":
			if err := os.MkdirAll(dataDir, 0o755); err != nil {
				t.Fatal(err)
			}
			a = dataDir
		}
		args = append(args, a)
	}
	if addr == "" {
		t.Fatalf("compose command %q listens on no 0.0.0.0:PORT", command)
	}
	return args, addr
}
