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
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/fakemarket"
	"github.com/markwatch/markwatch/matchers"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// The fake marketplace the compose stack crawls, and the run it is given.
const (
	fakeSeed     = 3
	fakeListings = 300
	// fakeRunDeadline bounds the crawl, the ingestion and the scrapes.
	fakeRunDeadline = 180 * time.Second // generous: a loaded machine must not fail it
	// maxLabelValues is the most distinct values one label of one metric may
	// take across every process of the stack: the catalogue's sets are
	// small and fixed (status classes, kinds, states, sweeps, adapters).
	maxLabelValues = 20
)

// fakeSites maps each adapter in configs/sites to the fake marketplace site
// it reads (fakemarket.Sites).
var fakeSites = map[string]string{"fakemart": fakemarket.SiteMart, "fakegbk": fakemarket.SiteGBK, "fakeapi": fakemarket.SiteAPI}

// fakeQueries are enqueued on every adapter: a trademark and a liquor, both
// with suspects in the seed-3 catalogue.
var fakeQueries = []string{"耐克", "茅台"}

// allowedLabels are the only label names a markwatch_ series may carry
// (metrics.md: bounded labels; le and quantile come with histograms and
// summaries).
var allowedLabels = []string{"site", "kind", "status_class", "reason", "sweep", "state", "status", "outcome",
	"trigger", "handler", "code", "version", "goversion", "le", "quantile"}

// fakeMarket is the line `markwatch fakemarket` prints once it serves.
type fakeMarket struct {
	Mart     string   `json:"mart"`
	GBK      string   `json:"gbk"`
	API      string   `json:"api"`
	Seed     int64    `json:"seed"`
	Listings int      `json:"listings"`
	Queries  []string `json:"queries"`
}

func (f fakeMarket) url(site string) string {
	switch site {
	case fakemarket.SiteMart:
		return f.Mart
	case fakemarket.SiteGBK:
		return f.GBK
	case fakemarket.SiteAPI:
		return f.API
	}
	return ""
}

// startFakeMarket runs `markwatch fakemarket` on loopback until the test
// ends and writes the fake* adapters of configs/sites, rebased on its
// sites, into dir/sites. It returns the ready line and that directory.
func startFakeMarket(ctx context.Context, t *testing.T, bin, dir string) (fakeMarket, string) {
	t.Helper()
	log := startProcess(t, bin, "fakemarket", "--addr", "127.0.0.1:0", "--seed", strconv.Itoa(fakeSeed),
		"--listings", strconv.Itoa(fakeListings), "--log-level", "warn")
	var ready fakeMarket
	waitFor(ctx, t, "the fake marketplace's ready line", func() (bool, string) {
		out := log.tail(1 << 20)
		for _, line := range strings.Split(out, "\n") {
			if json.Unmarshal([]byte(line), &ready) == nil && ready.Mart != "" {
				return true, ""
			}
		}
		return false, out
	})
	sitesDir := filepath.Join(dir, "sites")
	if err := os.MkdirAll(sitesDir, 0o755); err != nil {
		t.Fatal(err)
	}
	baseURL := regexp.MustCompile(`(?m)^base_url:.*$`)
	for adapter, site := range fakeSites {
		u, err := url.Parse(ready.url(site))
		if err != nil || u.Hostname() != "127.0.0.1" {
			t.Fatalf("fakemarket: site %s is served at %q, want a loopback URL (%v)", site, ready.url(site), err)
		}
		src := filepath.Join(repoRoot, "configs", "sites", adapter+".yaml")
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(baseURL.FindAll(data, -1)); n != 1 {
			t.Fatalf("%s: %d base_url lines, want 1", src, n)
		}
		data = baseURL.ReplaceAll(data, []byte("base_url: "+u.String()))
		if err := os.WriteFile(filepath.Join(sitesDir, adapter+".yaml"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return ready, sitesDir
}

// runStats is what `markwatch queue stats --json` prints for a run
// (queue.RunStats).
type runStats struct {
	Run      string `json:"run"`
	Queued   int64  `json:"queued"`
	Leased   int64  `json:"leased"`
	Done     int64  `json:"done"`
	Dead     int64  `json:"dead"`
	Pages    int64  `json:"pages"`
	Listings int64  `json:"listings"`
	Suspects int64  `json:"suspects"`
	Finished bool   `json:"finished"`
}

// markwatchCommand runs a short markwatch command and returns its stdout;
// a failure stops the test with its stderr.
func markwatchCommand(ctx context.Context, t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("markwatch %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// crawlFakeMarket seeds one run with fakeQueries on every fake adapter
// through `markwatch enqueue` and waits until `markwatch queue stats` says
// the run finished.
func crawlFakeMarket(ctx context.Context, t *testing.T, bin, redisURL, sitesDir string) runStats {
	t.Helper()
	run := "deploy-metrics-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	for _, adapter := range slices.Sorted(maps.Keys(fakeSites)) {
		args := []string{"enqueue", "--sites", sitesDir, "--redis", redisURL, "--site", adapter, "--run", run, "--log-level", "warn"}
		for _, q := range fakeQueries {
			args = append(args, "--query", q)
		}
		if got := strings.TrimSpace(string(markwatchCommand(ctx, t, bin, args...))); got != run {
			t.Fatalf("markwatch enqueue --site %s printed run %q, want %q", adapter, got, run)
		}
	}
	var st runStats
	waitFor(ctx, t, "run "+run+" to finish", func() (bool, string) {
		out := markwatchCommand(ctx, t, bin, "queue", "stats", "--redis", redisURL, "--run", run, "--json", "--log-level", "warn")
		if err := json.Unmarshal(out, &st); err != nil {
			return false, fmt.Sprintf("queue stats: %v: %s", err, out)
		}
		return st.Finished, string(out)
	})
	return st
}

// scrape fetches a /metrics page in the Prometheus text format.
func scrape(ctx context.Context, t *testing.T, target string) []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET %s: %s, Content-Type %q", target, resp.Status, resp.Header.Get("Content-Type"))
	}
	return body
}

// exposition is one scraped /metrics page, parsed.
type exposition struct {
	who      string // e.g. "worker 127.0.0.1:40123"
	families map[string]*dto.MetricFamily
}

// parseExposition parses a text exposition.
func parseExposition(who string, body []byte) (exposition, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return exposition{}, fmt.Errorf("%s /metrics: %w", who, err)
	}
	return exposition{who: who, families: families}, nil
}

// lintProblems lints a text exposition with client_golang's promlint
// (testutil/promlint, what testutil.CollectAndLint runs).
func lintProblems(who string, body []byte) []string {
	problems, err := promlint.New(bytes.NewReader(body)).Lint()
	if err != nil {
		return []string{fmt.Sprintf("%s /metrics: promlint: %v", who, err)}
	}
	var out []string
	for _, p := range problems {
		out = append(out, fmt.Sprintf("%s /metrics: promlint: %s: %s", who, p.Metric, p.Text))
	}
	return out
}

// checkMetricsPage lints, parses and checks one scraped page against the
// catalogue, reporting every problem as a test error.
func checkMetricsPage(t *testing.T, who string, body []byte) exposition {
	t.Helper()
	for _, p := range lintProblems(who, body) {
		t.Error(p)
	}
	e, err := parseExposition(who, body)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range catalogueProblems(e) {
		t.Error(p)
	}
	return e
}

// catalogueKind is the catalogue's word for a family's type.
var catalogueKind = map[dto.MetricType]string{
	dto.MetricType_COUNTER:   "counter",
	dto.MetricType_GAUGE:     "gauge",
	dto.MetricType_HISTOGRAM: "histogram",
}

// catalogueProblems reports every markwatch_ family that is not in the
// metric catalogue, has another type, other label names, or a value outside
// one of the catalogue's fixed sets.
func catalogueProblems(e exposition) []string {
	var problems []string
	errorf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	var n int
	for name, mf := range e.families {
		if !strings.HasPrefix(name, "markwatch_") {
			continue
		}
		n++
		m, ok := catalogue[name]
		if !ok {
			errorf("%s /metrics: %s is not in the metric catalogue", e.who, name)
			continue
		}
		if kind := catalogueKind[mf.GetType()]; kind != m.kind {
			errorf("%s /metrics: %s is a %s, the catalogue says %s", e.who, name, strings.ToLower(mf.GetType().String()), m.kind)
		}
		want := slices.Sorted(slices.Values(m.labels))
		for _, s := range mf.GetMetric() {
			var got []string
			for _, l := range s.GetLabel() {
				got = append(got, l.GetName())
				if set := labelValues[name][l.GetName()]; set != nil && !slices.Contains(set, l.GetValue()) {
					errorf("%s /metrics: %s{%s=%q}: not one of %s", e.who, name, l.GetName(), l.GetValue(), strings.Join(set, " "))
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				errorf("%s /metrics: %s has labels %v, the catalogue says %v", e.who, name, got, want)
				break
			}
		}
	}
	if n == 0 {
		errorf("%s /metrics: no markwatch_ metric at all", e.who)
	}
	sort.Strings(problems)
	return problems
}

// labelSets collects, per metric family and label name, the values seen in
// every exposition, with where each was first seen. Histogram buckets add le.
func labelSets(exps []exposition) map[string]map[string]map[string]string {
	sets := map[string]map[string]map[string]string{}
	add := func(family, label, value, who string) {
		if sets[family] == nil {
			sets[family] = map[string]map[string]string{}
		}
		if sets[family][label] == nil {
			sets[family][label] = map[string]string{}
		}
		if _, ok := sets[family][label][value]; !ok {
			sets[family][label][value] = who
		}
	}
	for _, e := range exps {
		for name, mf := range e.families {
			for _, s := range mf.GetMetric() {
				for _, l := range s.GetLabel() {
					add(name, l.GetName(), l.GetValue(), e.who)
				}
				for _, b := range s.GetHistogram().GetBucket() {
					add(name, "le", strconv.FormatFloat(b.GetUpperBound(), 'g', -1, 64), e.who)
				}
				for _, q := range s.GetSummary().GetQuantile() {
					add(name, "quantile", strconv.FormatFloat(q.GetQuantile(), 'g', -1, 64), e.who)
				}
			}
		}
	}
	return sets
}

// unboundedLabels reports every unbounded label in the expositions:
// markwatch_ label names must come from allowedLabels; every label of every
// family takes at most maxLabelValues values across the expositions; no
// value looks like a URL or path; site is only ever an adapter name; and no
// value is one of the forbidden strings (listing ids, titles, sellers,
// queries, mark ids and names, run ids).
func unboundedLabels(exps []exposition, sites []string, forbidden map[string]string) []string {
	var problems []string
	errorf := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	sets := labelSets(exps)
	for _, family := range slices.Sorted(maps.Keys(sets)) {
		for _, label := range slices.Sorted(maps.Keys(sets[family])) {
			values := sets[family][label]
			if strings.HasPrefix(family, "markwatch_") && !slices.Contains(allowedLabels, label) {
				errorf("%s has label %q, not one of the bounded labels %v", family, label, allowedLabels)
			}
			if len(values) > maxLabelValues {
				errorf("%s{%s} takes %d values (at most %d): %v", family, label, len(values), maxLabelValues, slices.Sorted(maps.Keys(values)))
			}
			for _, value := range slices.Sorted(maps.Keys(values)) {
				who := values[value]
				switch {
				case strings.Contains(value, "/") || strings.Contains(strings.ToLower(value), "http"):
					errorf("%s /metrics: %s{%s=%q} looks like a URL or path", who, family, label, value)
				case label == "site" && !slices.Contains(sites, value):
					errorf("%s /metrics: %s{site=%q} is not an adapter name (%v)", who, family, value, sites)
				case forbidden[value] != "":
					errorf("%s /metrics: %s{%s=%q} is %s", who, family, label, value, forbidden[value])
				}
			}
		}
	}
	return problems
}

// forbiddenValues are the strings of a fake-marketplace run that must never
// become label values, each with what it is: the catalogue's listing fields
// and truth marks, every configured mark's id and names, and the extra ones
// (what → values: queries, run ids, URLs). The catalogue's fixed label
// values (kinds such as "patent") are left out.
func forbiddenValues(t *testing.T, cat *fakemarket.Catalogue, extra map[string][]string) map[string]string {
	t.Helper()
	forbidden := map[string]string{}
	add := func(what string, values ...string) {
		for _, v := range values {
			if v = strings.TrimSpace(v); v != "" {
				if _, ok := forbidden[v]; !ok {
					forbidden[v] = what
				}
			}
		}
	}
	for _, l := range cat.Listings() {
		add("a listing id", l.ID)
		add("a listing title", l.Title)
		add("a seller", l.Seller)
		add("a listing URL", l.URL, l.Image)
		add("a listing's ship-from place", l.ShipFrom)
		add("a listing category", l.Category)
		add("a mark id from the fake catalogue's truth", l.Truth.Marks...)
	}
	add("a query of the fake catalogue", cat.Queries()...)
	marks, err := matchers.LoadMarks(config.Dir(filepath.Join(repoRoot, "configs", "marks")))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range marks {
		add("a mark id", m.ID)
		add("a mark name", m.Names...)
	}
	for what, values := range extra {
		add(what, values...)
	}
	for _, labels := range labelValues {
		for _, set := range labels {
			for _, v := range set {
				delete(forbidden, v)
			}
		}
	}
	return forbidden
}

// value is the sum of a family's samples whose labels include match
// (counters, gauges and untyped; histograms by their count).
func (e exposition) value(name string, match map[string]string) (float64, bool) {
	mf, ok := e.families[name]
	if !ok {
		return 0, false
	}
	var sum float64
	var found bool
	for _, s := range mf.GetMetric() {
		labels := map[string]string{}
		for _, l := range s.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		ok := true
		for k, v := range match {
			ok = ok && labels[k] == v
		}
		if !ok {
			continue
		}
		found = true
		switch {
		case s.Counter != nil:
			sum += s.GetCounter().GetValue()
		case s.Gauge != nil:
			sum += s.GetGauge().GetValue()
		case s.Histogram != nil:
			sum += float64(s.GetHistogram().GetSampleCount())
		case s.Untyped != nil:
			sum += s.GetUntyped().GetValue()
		}
	}
	return sum, found
}

// crawlAlerts are the rules about crawl health that a clean crawl of the
// fake marketplace must leave silent.
var crawlAlerts = []string{"MarkwatchSiteLayoutChanged", "MarkwatchSiteBanSuspected", "MarkwatchSiteThrottled",
	"MarkwatchQueueNotDraining", "MarkwatchWorkerLeasesExpiring", "MarkwatchDeadLettersGrowing", "MarkwatchFindingsIngestLagging"}

// reviewRoutes are requested on serve, unauthenticated, so that its HTTP
// metrics exist when it is scraped: route name → path. The paths carry a
// listing id and an evidence hash, which must not become label values.
func reviewRoutes(listingID string) map[string]string {
	return map[string]string{
		"login":        "/login",
		"queue":        "/queue?site=fakemart&q=" + url.QueryEscape(fakeQueries[0]),
		"listing":      "/listings/" + url.PathEscape(listingID),
		"api_listing":  "/api/v1/listings/" + url.PathEscape(listingID),
		"api_evidence": "/api/v1/evidence/" + strings.Repeat("ab", 32),
	}
}

// checkFakeRunMetrics crawls the fake marketplace through the running stack
// (one run, fakeQueries on every fake adapter), waits until serve has stored
// its findings, then scrapes every process's /metrics and asserts that
// client_golang's promlint finds no problem, that every markwatch_ metric is
// the catalogue's, that no label is unbounded (unboundedLabels), and that
// the metrics tell the crawl happened: pages and listings per adapter on the
// worker, stored findings on serve. Prometheus, scraping the same processes,
// must see the crawl and keep the crawl-health alerts silent.
func checkFakeRunMetrics(t *testing.T, bin, redisURL, sitesDir string, ready fakeMarket, procs []replica, api promAPI) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), fakeRunDeadline)
	defer cancel()
	byService := map[string][]replica{}
	for _, p := range procs {
		byService[p.service] = append(byService[p.service], p)
	}
	for _, service := range []string{"worker", "scheduler", "serve"} {
		if len(byService[service]) == 0 {
			t.Fatalf("the stack has no %s process", service)
		}
	}
	serve := byService["serve"][0]

	run := crawlFakeMarket(ctx, t, bin, redisURL, sitesDir)
	t.Logf("run %s finished after %s: %d tasks, %d pages, %d listings, %d suspects",
		run.Run, time.Since(start).Round(time.Millisecond), run.Done, run.Pages, run.Listings, run.Suspects)
	if run.Dead != 0 {
		t.Errorf("run %s: %d dead-lettered tasks on a healthy fake marketplace", run.Run, run.Dead)
	}
	if run.Pages == 0 || run.Listings == 0 || run.Suspects == 0 {
		t.Fatalf("run %s crawled nothing worth checking: %+v", run.Run, run)
	}

	// Serve consumes the findings stream in the background: wait until
	// nothing is pending and the store has written findings.
	waitFor(ctx, t, "serve to store the run's findings", func() (bool, string) {
		e, err := parseExposition("serve", scrape(ctx, t, "http://"+serve.addr+"/metrics"))
		if err != nil {
			return false, err.Error()
		}
		pending, okPending := e.value("markwatch_findings_pending", nil)
		written, okWritten := e.value("markwatch_store_findings_written_total", nil)
		return okPending && okWritten && pending == 0 && written > 0,
			fmt.Sprintf("markwatch_findings_pending %v (exposed %t), markwatch_store_findings_written_total %v (exposed %t)", pending, okPending, written, okWritten)
	})

	listingCatalogue := fakemarket.Generate(ready.Seed, fakemarket.WithListings(ready.Listings))
	if got := len(listingCatalogue.Listings()); got != ready.Listings {
		t.Fatalf("fakemarket.Generate(%d) made %d listings, the process serves %d", ready.Seed, got, ready.Listings)
	}
	routes := reviewRoutes(listingCatalogue.Listings()[0].ID)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, path := range routes {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+serve.addr+path, nil)
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatalf("GET %s on serve: %v", path, err)
		}
		resp.Body.Close()
	}

	// Every process's /metrics: promlint, the catalogue, bounded labels.
	var exps []exposition
	for _, p := range procs {
		e := checkMetricsPage(t, p.service+" "+p.addr, scrape(ctx, t, "http://"+p.addr+"/metrics"))
		if v, _ := e.value("markwatch_build_info", nil); v != 1 {
			t.Errorf("%s /metrics: markwatch_build_info = %v, want 1", e.who, v)
		}
		exps = append(exps, e)
	}
	adapters := slices.Sorted(maps.Keys(fakeSites))
	forbidden := forbiddenValues(t, listingCatalogue, map[string][]string{
		"a query":    append(slices.Clone(fakeQueries), ready.Queries...),
		"the run id": {run.Run},
		"a site URL": {ready.Mart, ready.GBK, ready.API},
	})
	for _, p := range unboundedLabels(exps, adapters, forbidden) {
		t.Error(p)
	}
	var families int
	for _, e := range exps {
		families += len(e.families)
	}
	sets := labelSets(exps)
	t.Logf("%d metric families on %d processes linted and bounded; site values %v, handler values %v", families, len(exps),
		slices.Sorted(maps.Keys(sets["markwatch_crawl_pages_total"]["site"])), slices.Sorted(maps.Keys(sets["markwatch_http_requests_total"]["handler"])))

	// The crawl, as the worker's metrics tell it.
	worker := exps[slices.IndexFunc(procs, func(p replica) bool { return p.service == "worker" })]
	for _, site := range adapters {
		if v, _ := worker.value("markwatch_crawl_pages_total", map[string]string{"site": site, "status_class": "2xx"}); v == 0 {
			t.Errorf("worker /metrics: markwatch_crawl_pages_total{site=%q,status_class=\"2xx\"} = 0 after the run", site)
		}
		if v, _ := worker.value("markwatch_crawl_listings_extracted_total", map[string]string{"site": site}); v == 0 {
			t.Errorf("worker /metrics: markwatch_crawl_listings_extracted_total{site=%q} = 0 after the run", site)
		}
		if v, _ := worker.value("markwatch_crawl_extraction_failures_total", map[string]string{"site": site}); v != 0 {
			t.Errorf("worker /metrics: markwatch_crawl_extraction_failures_total{site=%q} = %v on a healthy layout", site, v)
		}
	}
	for _, c := range []struct {
		name string
		min  int64
	}{
		{"markwatch_crawl_pages_total", run.Pages},
		{"markwatch_worker_tasks_total", run.Done},
		{"markwatch_worker_suspects_total", run.Suspects},
		{"markwatch_match_listings_total", 1},
	} {
		if v, _ := worker.value(c.name, nil); v < float64(c.min) {
			t.Errorf("worker /metrics: %s = %v, want at least %d (run %s: %+v)", c.name, v, c.min, run.Run, run)
		}
	}

	// The findings, as serve's metrics tell them.
	served := exps[slices.IndexFunc(procs, func(p replica) bool { return p.service == "serve" })]
	for _, name := range []string{"markwatch_store_findings_written_total", "markwatch_findings_ingested_total"} {
		if v, _ := served.value(name, nil); v == 0 {
			t.Errorf("serve /metrics: %s = 0 after the run", name)
		}
	}
	if v, _ := served.value("markwatch_review_listings", map[string]string{"status": "new"}); v == 0 {
		t.Errorf(`serve /metrics: markwatch_review_listings{status="new"} = 0 after the run`)
	}
	for handler := range routes {
		if v, _ := served.value("markwatch_http_requests_total", map[string]string{"handler": handler}); v == 0 {
			t.Errorf("serve /metrics: no markwatch_http_requests_total{handler=%q} after GET %s", handler, routes[handler])
		}
	}

	// One leader among the schedulers.
	var leaders float64
	for i, p := range procs {
		if p.service == "scheduler" {
			v, _ := exps[i].value("markwatch_scheduler_leader", nil)
			leaders += v
		}
	}
	if leaders != 1 {
		t.Errorf("markwatch_scheduler_leader summed over %d schedulers = %v, want 1", len(byService["scheduler"]), leaders)
	}

	// Prometheus sees the crawl, and once it has scraped the worker after the
	// run (every task done, nothing queued or leased), the crawl-health
	// alerts are silent.
	waitFor(ctx, t, "Prometheus to see listings from every adapter", func() (bool, string) {
		got := sitesOf(api.query(ctx, t, `sum by (site) (markwatch_crawl_listings_extracted_total{job="markwatch-worker"}) > 0`))
		return slices.Equal(got, adapters), fmt.Sprintf("sites with listings: %v", got)
	})
	waitFor(ctx, t, "Prometheus to scrape the worker after the run", func() (bool, string) {
		done := api.query(ctx, t, `sum(markwatch_worker_tasks_total{job="markwatch-worker"})`)
		busy := api.query(ctx, t, `sum(markwatch_queue_tasks{job="markwatch-worker",state=~"queued|leased"})`)
		return len(done) == 1 && done[0].value >= float64(run.Done) && len(busy) == 1 && busy[0].value == 0,
			fmt.Sprintf("tasks processed %+v (run: %d), queued or leased %+v", done, run.Done, busy)
	})
	alerts := loadAlerts(t)
	for _, name := range crawlAlerts {
		i := slices.IndexFunc(alerts, func(r rule) bool { return r.Alert == name })
		if i < 0 {
			t.Fatalf("alerts.yml has no %s", name)
		}
		if got := api.query(ctx, t, alerts[i].Expr); len(got) > 0 {
			t.Errorf("%s's expression is true after a clean crawl: %+v", name, got)
		}
	}
	t.Logf("fake-marketplace run checked on %d processes in %s", len(procs), time.Since(start).Round(time.Millisecond))
}

// TestMetricsPageChecksCatchMistakes: the checks run on every process's
// /metrics pass a clean page and report the mistakes they exist for.
func TestMetricsPageChecksCatchMistakes(t *testing.T) {
	cat := fakemarket.Generate(fakeSeed, fakemarket.WithListings(fakeListings))
	listingID := cat.Listings()[0].ID
	forbidden := forbiddenValues(t, cat, map[string][]string{"a query": fakeQueries})
	sites := slices.Sorted(maps.Keys(fakeSites))
	problems := func(body string) []string {
		out := lintProblems("test", []byte(body))
		e, err := parseExposition("test", []byte(body))
		if err != nil {
			return append(out, err.Error())
		}
		out = append(out, catalogueProblems(e)...)
		return append(out, unboundedLabels([]exposition{e}, sites, forbidden)...)
	}
	const clean = `# HELP markwatch_crawl_pages_total Responses by site and status class.
# TYPE markwatch_crawl_pages_total counter
markwatch_crawl_pages_total{site="fakemart",status_class="2xx"} 3
markwatch_crawl_pages_total{site="fakeapi",status_class="error"} 1
# HELP markwatch_crawl_fetch_duration_seconds Fetch latency.
# TYPE markwatch_crawl_fetch_duration_seconds histogram
markwatch_crawl_fetch_duration_seconds_bucket{site="fakegbk",le="0.1"} 1
markwatch_crawl_fetch_duration_seconds_bucket{site="fakegbk",le="+Inf"} 1
markwatch_crawl_fetch_duration_seconds_sum{site="fakegbk"} 0.05
markwatch_crawl_fetch_duration_seconds_count{site="fakegbk"} 1
# HELP markwatch_match_hits_total Hits by kind.
# TYPE markwatch_match_hits_total counter
markwatch_match_hits_total{kind="patent"} 2
# HELP markwatch_build_info Build.
# TYPE markwatch_build_info gauge
markwatch_build_info{goversion="go1.26.8",version="(devel)"} 1
`
	if got := problems(clean); len(got) > 0 {
		t.Errorf("clean page: %q, want no problem", got)
	}
	many := "# HELP markwatch_sweep_runs Runs.\n# TYPE markwatch_sweep_runs gauge\n"
	for i := range maxLabelValues + 1 {
		many += fmt.Sprintf("markwatch_sweep_runs{state=\"running\",sweep=\"s%d\"} 0\n", i)
	}
	cases := []struct {
		name, page, want string
	}{
		{"no help", "# TYPE markwatch_crawl_pages_total counter\nmarkwatch_crawl_pages_total{site=\"fakemart\",status_class=\"2xx\"} 1\n", "no help text"},
		{"counter without _total", "# HELP markwatch_crawl_fetches Fetches.\n# TYPE markwatch_crawl_fetches counter\nmarkwatch_crawl_fetches 1\n", `should have "_total" suffix`},
		{"unknown metric", "# HELP markwatch_crawl_fetches_total Fetches.\n# TYPE markwatch_crawl_fetches_total counter\nmarkwatch_crawl_fetches_total 1\n", "not in the metric catalogue"},
		{"wrong type", "# HELP markwatch_review_listings Backlog.\n# TYPE markwatch_review_listings counter\nmarkwatch_review_listings{status=\"new\"} 1\n", "the catalogue says gauge"},
		{"site not an adapter", "# HELP markwatch_crawl_listings_extracted_total L.\n# TYPE markwatch_crawl_listings_extracted_total counter\nmarkwatch_crawl_listings_extracted_total{site=\"jd\"} 1\n", "not an adapter name"},
		{"url label", "# HELP markwatch_crawl_listings_extracted_total L.\n# TYPE markwatch_crawl_listings_extracted_total counter\nmarkwatch_crawl_listings_extracted_total{site=\"fakemart\",url=\"x\"} 1\n", `label "url", not one of the bounded labels`},
		{"url value", "# HELP markwatch_crawl_page_errors_total E.\n# TYPE markwatch_crawl_page_errors_total counter\nmarkwatch_crawl_page_errors_total{reason=\"http://127.0.0.1:1/item/9\",site=\"fakemart\"} 1\n", "looks like a URL"},
		{"mark id", "# HELP markwatch_match_hits_total H.\n# TYPE markwatch_match_hits_total counter\nmarkwatch_match_hits_total{kind=\"nike\"} 1\n", "is a mark id"},
		{"listing id", "# HELP markwatch_crawl_retries_total R.\n# TYPE markwatch_crawl_retries_total counter\nmarkwatch_crawl_retries_total{reason=\"" + listingID + "\",site=\"fakemart\"} 1\n", "is a listing id"},
		{"query", "# HELP markwatch_queue_tasks T.\n# TYPE markwatch_queue_tasks gauge\nmarkwatch_queue_tasks{site=\"fakemart\",state=\"" + fakeQueries[0] + "\"} 1\n", "is a query"},
		{"fixed set", "# HELP markwatch_queue_tasks T.\n# TYPE markwatch_queue_tasks gauge\nmarkwatch_queue_tasks{site=\"fakemart\",state=\"pending\"} 1\n", `state="pending"}: not one of`},
		{"too many values", many, fmt.Sprintf("takes %d values", maxLabelValues+1)},
	}
	for _, c := range cases {
		got := problems(c.page)
		if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, c.want) }) {
			t.Errorf("%s: problems %q, want one containing %q", c.name, got, c.want)
		}
	}
}
