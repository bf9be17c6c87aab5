package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/markwatch/markwatch/fakemarket"
	"github.com/markwatch/markwatch/internal/testport"
)

// The fake marketplace fault the demo is started with, and the site adapter
// it breaks: every search page of site "mart" is served in layout 2, so the
// fakemart adapter finds no cards and no no-results marker.
const (
	layoutFault  = "mart:/mart/search:layout"
	brokenSite   = "fakemart"
	layoutAlert  = "MarkwatchSiteLayoutChanged"
	promJob      = "markwatch-demo"
	testDeadline = 180 * time.Second // generous: a loaded machine must not fail it
	// demoSeed is the fake marketplace catalogue the demo serves.
	demoSeed = 1
)

// healthySites extract listings in the same demo run.
var healthySites = []string{"fakegbk", "fakeapi"}

// TestPrometheusSeesDemoLayoutChange builds markwatch, runs `markwatch demo`
// with the fake marketplace serving a changed layout on one site, starts a
// real Prometheus on loopback scraping the demo every second with
// alerts.yml loaded, and asserts through Prometheus's HTTP API that the
// target is up, that the layout alert's expression is true for the broken
// site and only for it, and that Prometheus's own evaluation of the rule
// put that site's alert in the pending state (for: 5m keeps it from firing
// within a test) with every rule evaluating without error.
func TestPrometheusSeesDemoLayoutChange(t *testing.T) {
	promBin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("prometheus not on PATH: install Debian's prometheus package (scripts/setup.sh test does) to run the Prometheus integration test")
	}
	if testing.Short() {
		t.Skip("-short: the Prometheus integration test builds markwatch and runs two servers")
	}
	dir := t.TempDir()
	bin := buildMarkwatch(t)
	start := time.Now()

	// Everything after the build is bounded by testDeadline.
	ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
	defer cancel()

	demoAddr := "127.0.0.1:" + freePort(t)
	demoLog := startProcess(t, bin, "demo", "--addr", demoAddr, "--data", filepath.Join(dir, "data"), "--fault", layoutFault,
		"--seed", strconv.Itoa(demoSeed))

	rules, err := filepath.Abs("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - %q
scrape_configs:
  - job_name: %s
    static_configs:
      - targets: [%q]
`, rules, promJob, demoAddr)
	api, promLog := startPrometheus(t, promBin, dir, config)
	defer func() {
		if t.Failed() {
			t.Logf("markwatch demo output (tail):\n%s", demoLog.tail(3000))
			t.Logf("prometheus output (tail):\n%s", promLog.tail(3000))
		}
	}()

	// 1. The demo target is up.
	waitFor(ctx, t, "the demo target to be up in /api/v1/targets", func() (bool, string) {
		var targets struct {
			ActiveTargets []struct {
				Labels    map[string]string `json:"labels"`
				Health    string            `json:"health"`
				LastError string            `json:"lastError"`
			} `json:"activeTargets"`
		}
		if err := api.get(ctx, "/api/v1/targets", nil, &targets); err != nil {
			return false, err.Error()
		}
		for _, tg := range targets.ActiveTargets {
			if tg.Labels["job"] == promJob {
				return tg.Health == "up", fmt.Sprintf("health %q, last error %q", tg.Health, tg.LastError)
			}
		}
		return false, fmt.Sprintf("no %s target among %d", promJob, len(targets.ActiveTargets))
	})
	t.Logf("target up after %s", time.Since(start).Round(time.Millisecond))
	// The targets API can report a scrape's health before its up sample is
	// queryable (seen on a loaded machine): wait for the sample itself.
	waitFor(ctx, t, "up{job="+promJob+"} = 1", func() (bool, string) {
		got := api.query(ctx, t, `up{job="`+promJob+`"}`)
		return len(got) == 1 && got[0].value == 1, fmt.Sprintf("up = %+v, want one series with value 1", got)
	})

	// 2. The healthy sites have produced listings, so the run has got far
	// enough for a false positive on them to show.
	waitFor(ctx, t, "listings from every healthy site", func() (bool, string) {
		got := sitesOf(api.query(ctx, t, `sum by (site) (markwatch_crawl_listings_extracted_total) > 0`))
		for _, s := range healthySites {
			if !slices.Contains(got, s) {
				return false, fmt.Sprintf("sites with listings: %v", got)
			}
		}
		return true, ""
	})

	t.Logf("listings from %v after %s", healthySites, time.Since(start).Round(time.Millisecond))

	// The demo's own exposition, now that it has crawled, passes promlint and
	// uses only catalogue names and bounded labels, which is what the rules
	// and the dashboard rely on.
	checkExposition(ctx, t, "http://"+demoAddr+"/metrics")

	// 3. The layout alert's expression, exactly as alerts.yml has it, is true
	// for the broken site and for no other.
	var expr string
	for _, r := range loadAlerts(t) {
		if r.Alert == layoutAlert {
			expr = r.Expr
		}
	}
	if expr == "" {
		t.Fatalf("alerts.yml has no %s", layoutAlert)
	}
	waitFor(ctx, t, layoutAlert+"'s expression to be true for "+brokenSite, func() (bool, string) {
		got := api.query(ctx, t, expr)
		return slices.Contains(sitesOf(got), brokenSite), fmt.Sprintf("expression result %+v; extraction failures %+v",
			got, api.query(ctx, t, `markwatch_crawl_extraction_failures_total`))
	})
	got := api.query(ctx, t, expr)
	if sites := sitesOf(got); !slices.Equal(sites, []string{brokenSite}) {
		t.Errorf("%s expression is true for sites %v, want only %s", layoutAlert, sites, brokenSite)
	}
	for _, s := range got {
		if s.value < 1 {
			t.Errorf("%s expression value %v for %s, want the number of failed search pages (>= 1)", layoutAlert, s.value, s.labels["site"])
		}
	}

	t.Logf("%s expression true for %s after %s", layoutAlert, brokenSite, time.Since(start).Round(time.Millisecond))

	// 4. Prometheus's rule evaluation agrees: the alert is pending for the
	// broken site, and no rule fails to evaluate on real data.
	waitFor(ctx, t, layoutAlert+" pending for "+brokenSite+" in /api/v1/rules", func() (bool, string) {
		var rules struct {
			Groups []struct {
				Rules []struct {
					Name      string `json:"name"`
					Health    string `json:"health"`
					LastError string `json:"lastError"`
					Alerts    []struct {
						Labels map[string]string `json:"labels"`
						State  string            `json:"state"`
					} `json:"alerts"`
				} `json:"rules"`
			} `json:"groups"`
		}
		if err := api.get(ctx, "/api/v1/rules", url.Values{"type": {"alert"}}, &rules); err != nil {
			return false, err.Error()
		}
		var found bool
		var states []string
		for _, g := range rules.Groups {
			for _, r := range g.Rules {
				if r.Health == "err" {
					t.Errorf("rule %s fails to evaluate: %s", r.Name, r.LastError)
				}
				if r.Name != layoutAlert {
					continue
				}
				for _, a := range r.Alerts {
					states = append(states, a.Labels["site"]+"="+a.State)
					if a.Labels["site"] == brokenSite && (a.State == "pending" || a.State == "firing") {
						found = true
					}
				}
			}
		}
		return found, fmt.Sprintf("%s alerts: %v", layoutAlert, states)
	})
}

// checkExposition scrapes the demo's /metrics and checks it as the compose
// stack test checks every process (checkFakeRunMetrics): client_golang's
// promlint finds no problem, every markwatch_ metric is the catalogue's
// (name, type, labels, fixed values), and no label is unbounded.
func checkExposition(ctx context.Context, t *testing.T, url string) {
	t.Helper()
	e := checkMetricsPage(t, "demo", scrape(ctx, t, url))
	forbidden := forbiddenValues(t, fakemarket.Generate(demoSeed), map[string][]string{"a sweep query": demoQueries(t)})
	for _, p := range unboundedLabels([]exposition{e}, slices.Sorted(maps.Keys(fakeSites)), forbidden) {
		t.Error(p)
	}
	t.Logf("demo /metrics: %d metric families linted and checked against the catalogue", len(e.families))
}

// demoQueries are the queries of every sweep in configs/sweeps.yaml.
func demoQueries(t *testing.T) []string {
	t.Helper()
	var file struct {
		Sweeps []struct {
			Queries []string `yaml:"queries"`
		} `yaml:"sweeps"`
	}
	readOne(t, filepath.Join(repoRoot, "configs", "sweeps.yaml"), &file)
	var queries []string
	for _, s := range file.Sweeps {
		queries = append(queries, s.Queries...)
	}
	if len(queries) == 0 {
		t.Fatal("configs/sweeps.yaml: no sweep has queries")
	}
	return queries
}

var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
	out  []byte
}

// buildMarkwatch builds cmd/markwatch once per test binary (from the build
// cache when nothing changed; a cold build on a busy machine takes minutes,
// so it has its own bound rather than the tests' deadline). MARKWATCH_BIN
// names a prebuilt binary instead (scripts/test.sh builds one for every
// package).
func buildMarkwatch(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("MARKWATCH_BIN"); p != "" {
		return p
	}
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "markwatch-deploy-test-")
		if built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "markwatch")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		start := time.Now()
		build := exec.CommandContext(ctx, "go", "build", "-o", built.bin, "./cmd/markwatch")
		build.Dir = repoRoot
		built.out, built.err = build.CombinedOutput()
		t.Logf("built markwatch in %s", time.Since(start).Round(time.Millisecond))
	})
	if built.err != nil {
		t.Fatalf("go build ./cmd/markwatch: %v\n%s", built.err, built.out)
	}
	return built.bin
}

// startPrometheus writes config to a file in dir and runs Prometheus on a
// free loopback port until the test ends.
func startPrometheus(t *testing.T, promBin, dir, config string) (promAPI, *logBuffer) {
	t.Helper()
	configFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configFile, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	promAddr := "127.0.0.1:" + freePort(t)
	log := startProcess(t, promBin,
		"--config.file="+configFile,
		"--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address="+promAddr,
		"--log.level=warn",
	)
	return promAPI{base: "http://" + promAddr}, log
}

// promAPI is a minimal client of Prometheus's HTTP API.
type promAPI struct{ base string }

func (p promAPI) get(ctx context.Context, path string, params url.Values, data any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base+path+"?"+params.Encode(), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	var envelope struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &envelope); err != nil {
		return fmt.Errorf("GET %s: %s: %w", path, resp.Status, err)
	}
	if envelope.Status != "success" {
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, envelope.Error)
	}
	return json.Unmarshal(envelope.Data, data)
}

type sample struct {
	labels map[string]string
	value  float64
}

// query runs an instant query and returns its vector; an API error (a bad
// expression) fails the test at once.
func (p promAPI) query(ctx context.Context, t *testing.T, expr string) []sample {
	t.Helper()
	var data struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
	}
	if err := p.get(ctx, "/api/v1/query", url.Values{"query": {expr}}, &data); err != nil {
		if ctx.Err() != nil {
			t.Fatalf("query %s: %v", expr, err)
		}
		if strings.Contains(err.Error(), "400") || strings.Contains(err.Error(), "422") {
			t.Fatalf("query %s: %v", expr, err)
		}
		return nil // Prometheus still starting
	}
	if data.ResultType != "vector" {
		t.Fatalf("query %s: result type %q, want vector", expr, data.ResultType)
	}
	var out []sample
	for _, r := range data.Result {
		text, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(text, 64)
		if err != nil {
			t.Fatalf("query %s: value %v: %v", expr, r.Value[1], err)
		}
		out = append(out, sample{labels: r.Metric, value: v})
	}
	return out
}

func sitesOf(samples []sample) []string {
	var sites []string
	for _, s := range samples {
		sites = append(sites, s.labels["site"])
	}
	sort.Strings(sites)
	return sites
}

// waitFor polls cond every 250 ms until it holds, failing the test with the
// last detail when the test's deadline passes.
func waitFor(ctx context.Context, t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	var detail string
	for {
		var ok bool
		ok, detail = cond()
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s: %s", what, detail)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// freePort is a reserved loopback port for a server process (testport).
func freePort(t *testing.T) string { return testport.Port(t) }

// logBuffer collects a process's output for failure messages.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buf.Bytes()
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// startProcess starts a long-running process and stops it (SIGINT, then
// SIGKILL after 5 s) when the test ends. If it exits early, the test fails
// with its output.
func startProcess(t *testing.T, name string, args ...string) *logBuffer {
	t.Helper()
	out := &logBuffer{}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	// A process that dies at once (bad flag, port taken) is reported now
	// rather than as a timeout later.
	select {
	case err := <-done:
		done <- err // for the cleanup
		t.Fatalf("%s %s exited at once: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out.tail(3000))
	case <-time.After(300 * time.Millisecond):
	}
	return out
}
