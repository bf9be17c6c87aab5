package deploy

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// metric is one entry of the metric catalogue (the metrics table in
// the README's operations section). Alerts and dashboards may
// use only these names and labels; the list is kept here by hand so that a
// renamed metric breaks this test, not a dashboard in production.
type metric struct {
	kind   string // counter, gauge, histogram
	labels []string
}

var catalogue = map[string]metric{
	// crawler
	"markwatch_crawl_pages_total":               {"counter", []string{"site", "status_class"}},
	"markwatch_crawl_fetch_duration_seconds":    {"histogram", []string{"site"}},
	"markwatch_crawl_response_bytes_total":      {"counter", []string{"site"}},
	"markwatch_crawl_retries_total":             {"counter", []string{"site", "reason"}},
	"markwatch_crawl_robots_disallowed_total":   {"counter", []string{"site"}},
	"markwatch_crawl_offsite_blocked_total":     {"counter", []string{"site"}},
	"markwatch_crawl_extraction_failures_total": {"counter", []string{"site"}},
	"markwatch_crawl_page_errors_total":         {"counter", []string{"site", "reason"}},
	"markwatch_crawl_listings_extracted_total":  {"counter", []string{"site"}},
	"markwatch_site_blocked_total":              {"counter", []string{"site"}},
	"markwatch_browser_requests_blocked_total":  {"counter", []string{"site", "reason"}},
	// matchers
	"markwatch_match_listings_total":   {"counter", nil},
	"markwatch_match_hits_total":       {"counter", []string{"kind"}},
	"markwatch_match_suspects_total":   {"counter", []string{"kind"}},
	"markwatch_match_duration_seconds": {"histogram", nil},
	// images
	"markwatch_images_fetched_total":            {"counter", nil},
	"markwatch_images_refused_total":            {"counter", []string{"reason"}},
	"markwatch_images_fetched_bytes_total":      {"counter", nil},
	"markwatch_images_photo_hits_total":         {"counter", nil},
	"markwatch_images_ocr_total":                {"counter", []string{"outcome"}},
	"markwatch_images_ocr_duration_seconds":     {"histogram", nil},
	"markwatch_images_hash_duration_seconds":    {"histogram", nil},
	"markwatch_images_listing_duration_seconds": {"histogram", nil},
	// pipeline
	"markwatch_worker_tasks_total":           {"counter", []string{"kind", "outcome"}},
	"markwatch_worker_suspects_total":        {"counter", nil},
	"markwatch_worker_match_errors_total":    {"counter", nil},
	"markwatch_worker_sink_errors_total":     {"counter", nil},
	"markwatch_worker_frontier_errors_total": {"counter", nil},
	// queue
	"markwatch_queue_tasks":                     {"gauge", []string{"site", "state"}},
	"markwatch_queue_oldest_task_age_seconds":   {"gauge", []string{"site"}},
	"markwatch_queue_lease_expiries_total":      {"counter", []string{"site"}},
	"markwatch_queue_dead_letters_total":        {"counter", []string{"site"}},
	"markwatch_queue_workers_alive":             {"gauge", nil},
	"markwatch_queue_rate_limited_total":        {"counter", []string{"site"}},
	"markwatch_findings_ingest_lag_seconds":     {"gauge", nil},
	"markwatch_findings_pending":                {"gauge", nil},
	"markwatch_findings_ingested_total":         {"counter", nil},
	"markwatch_findings_dead_letters_total":     {"counter", nil},
	"markwatch_redis_unavailable_seconds_total": {"counter", nil},
	"markwatch_site_paused":                     {"gauge", []string{"site"}},
	"markwatch_runs_rolled_back":                {"gauge", nil},
	// schedule
	"markwatch_sweep_runs_total":                     {"counter", []string{"sweep", "trigger"}},
	"markwatch_sweep_runs":                           {"gauge", []string{"sweep", "state"}},
	"markwatch_sweep_window_open":                    {"gauge", []string{"sweep"}},
	"markwatch_sweep_last_fired_timestamp_seconds":   {"gauge", []string{"sweep"}},
	"markwatch_sweep_last_success_timestamp_seconds": {"gauge", []string{"sweep"}},
	"markwatch_sweep_run_progress_ratio":             {"gauge", []string{"sweep"}},
	"markwatch_scheduler_leader":                     {"gauge", nil},
	// review / store
	"markwatch_review_listings":               {"gauge", []string{"status"}},
	"markwatch_store_findings_written_total":  {"counter", nil},
	"markwatch_http_requests_total":           {"counter", []string{"handler", "code"}},
	"markwatch_http_request_duration_seconds": {"histogram", []string{"handler"}},
	"markwatch_notifications_total":           {"counter", []string{"result"}},
	// every process
	"markwatch_build_info": {"gauge", []string{"version", "goversion"}},
}

// Prometheus's own series that rules and panels may use.
var builtinSeries = map[string][]string{
	"up":     nil,
	"ALERTS": {"alertname", "alertstate", "severity", "site", "sweep"},
}

// Target labels Prometheus attaches to every scraped series.
var targetLabels = []string{"job", "instance"}

// labelValues are the fixed value sets of bounded labels, per metric and
// label (the catalogue's "small fixed sets").
var labelValues = map[string]map[string][]string{
	"markwatch_crawl_pages_total":              {"status_class": {"2xx", "3xx", "4xx", "5xx", "error"}},
	"markwatch_crawl_retries_total":            {"reason": {"timeout", "network", "status_429", "status_5xx"}},
	"markwatch_crawl_page_errors_total":        {"reason": {"truncated", "malformed", "encoding", "too_many_redirects"}},
	"markwatch_browser_requests_blocked_total": {"reason": {"offsite", "robots", "malformed"}},
	"markwatch_match_hits_total":               {"kind": {"trademark", "special", "gi", "patent"}},
	"markwatch_match_suspects_total":           {"kind": {"trademark", "special", "gi", "patent"}},
	"markwatch_worker_tasks_total":             {"outcome": {"done", "skipped", "gone", "retried", "failed", "released"}},
	"markwatch_queue_tasks":                    {"state": {"queued", "delayed", "leased", "dead"}},
	"markwatch_sweep_runs_total":               {"trigger": {"schedule", "manual", "catchup"}},
	"markwatch_sweep_runs":                     {"state": {"running", "finished", "cancelled"}},
	"markwatch_review_listings":                {"status": {"new", "confirmed", "dismissed", "takedown_requested", "removed", "reappeared"}},
	"markwatch_notifications_total":            {"result": {"delivered", "retried", "failed", "duplicate"}},
	"ALERTS":                                   {"alertstate": {"pending", "firing"}},
}

var (
	// A series name followed by a selector: name{...}.
	selectorRE = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}`)
	// One label matcher inside a selector.
	matcherRE = regexp.MustCompile(`^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)"\s*$`)
	// Any identifier with the markwatch_ prefix, wherever it appears.
	markwatchNameRE = regexp.MustCompile(`\bmarkwatch_[a-zA-Z0-9_:]+`)
	// Grouping and matching clauses: by (...), without (...), on (...), ignoring (...).
	groupingRE = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)`)
	// label_values(metric, label) in a Grafana template variable.
	labelValuesRE = regexp.MustCompile(`label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)`)
	// Grafana variables: $site, ${site}, $__rate_interval.
	grafanaVarRE = regexp.MustCompile(`\$\{?[a-zA-Z_][a-zA-Z0-9_]*\}?`)
)

// seriesMetric maps a series name to its catalogue entry: histograms expose
// name_bucket (with le), name_sum and name_count, never name itself. problem
// says why a name is not usable.
func seriesMetric(name string) (base string, m metric, extra []string, problem string) {
	if m, ok := catalogue[name]; ok {
		if m.kind == "histogram" {
			return "", metric{}, nil, fmt.Sprintf("histogram %s is only queried as %[1]s_bucket, _sum or _count", name)
		}
		return name, m, nil, ""
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base := strings.TrimSuffix(name, suffix)
		if base == name {
			continue
		}
		if m, ok := catalogue[base]; ok && m.kind == "histogram" {
			if suffix == "_bucket" {
				extra = []string{"le"}
			}
			return base, m, extra, ""
		}
	}
	if labels, ok := builtinSeries[name]; ok {
		return name, metric{kind: "builtin", labels: labels}, nil, ""
	}
	if strings.HasPrefix(name, "markwatch_") {
		return "", metric{}, nil, fmt.Sprintf("metric %s is not in the catalogue", name)
	}
	return "", metric{}, nil, fmt.Sprintf("series %s is neither in the catalogue nor a Prometheus series", name)
}

// checkExpr returns one message per problem in a PromQL expression: unknown
// metric names, labels a metric does not have, label values outside a fixed
// set, and grouping by labels none of the expression's metrics carries.
// Grafana variables are accepted as label values.
func checkExpr(expr string) []string {
	var problems []string
	known := map[string]bool{}
	for _, l := range targetLabels {
		known[l] = true
	}
	for _, name := range markwatchNameRE.FindAllString(expr, -1) {
		_, m, extra, problem := seriesMetric(name)
		if problem != "" {
			problems = append(problems, problem)
			continue
		}
		for _, l := range append(slices.Clone(m.labels), extra...) {
			known[l] = true
		}
	}
	for _, sel := range selectorRE.FindAllStringSubmatch(expr, -1) {
		name, body := sel[1], sel[2]
		base, m, extra, problem := seriesMetric(name)
		if problem != "" {
			problems = append(problems, problem)
			continue
		}
		for _, l := range append(slices.Clone(m.labels), extra...) {
			known[l] = true
		}
		allowed := append(append(slices.Clone(m.labels), extra...), targetLabels...)
		for _, part := range strings.Split(body, ",") {
			if strings.TrimSpace(part) == "" {
				continue
			}
			mm := matcherRE.FindStringSubmatch(part)
			if mm == nil {
				problems = append(problems, fmt.Sprintf("%s: cannot read matcher %q", name, part))
				continue
			}
			label, op, value := mm[1], mm[2], mm[3]
			if !slices.Contains(allowed, label) {
				problems = append(problems, fmt.Sprintf("%s has no label %q (labels: %s)", name, label, strings.Join(allowed, ", ")))
				continue
			}
			set := labelValues[base][label]
			if set == nil || grafanaVarRE.MatchString(value) {
				continue
			}
			values := []string{value}
			if op == "=~" || op == "!~" {
				values = strings.Split(value, "|")
			}
			for _, v := range values {
				if !slices.Contains(set, v) {
					problems = append(problems, fmt.Sprintf("%s{%s}: value %q is not one of %s", name, label, v, strings.Join(set, " ")))
				}
			}
		}
	}
	for _, g := range groupingRE.FindAllStringSubmatch(expr, -1) {
		for _, l := range strings.Split(g[2], ",") {
			l = strings.TrimSpace(l)
			if l != "" && !known[l] {
				problems = append(problems, fmt.Sprintf("%s (%s): no metric in the expression has label %q", g[1], g[2], l))
			}
		}
	}
	sort.Strings(problems)
	return slices.Compact(problems)
}
