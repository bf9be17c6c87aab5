// Package deploy holds no Go code of its own: it is the home of markwatch's
// deployment files and of the tests that keep them honest.
//
//   - prometheus/: scrape configurations for docker compose (prometheus.yml,
//     DNS discovery of scaled services) and Kubernetes (prometheus-k8s.yml,
//     headless Services), and alerts.yml, the alert rules, with their unit
//     tests in alerts_test.yml.
//   - grafana/: datasource and dashboard provisioning and the markwatch
//     dashboard.
//   - docker-compose.yml and Dockerfile: one host, workers scaled with
//     --scale worker=N.
//   - k8s/: a kustomization for workers (Deployment + HPA), schedulers (two
//     replicas on one Redis lock), the review server (StatefulSet with a
//     volume) and an external Redis.
//
// The tests (go test ./deploy/) check, without any external tool, that every
// YAML and JSON file parses, that every metric and label the rules and the
// dashboard use is in the metric catalogue, that every command line in the
// compose file and the manifests uses real markwatch flags, and that the
// manifests keep their security and probe settings. With promtool on PATH
// they also run promtool check config, check rules and test rules (and check
// every dashboard query's syntax); with the prometheus binary they build
// markwatch, start a real Prometheus scraping `markwatch demo` and watch the
// layout-change alert's expression turn true, and run the compose services'
// own command lines on loopback against a private Redis and a `markwatch
// fakemarket` process, scraped with the alert rules loaded. On that stack a
// crawl of the fake marketplace is seeded with `markwatch enqueue`; once it
// has finished and serve has stored its findings, every process's /metrics
// (worker, both schedulers, serve; and the demo's in the demo test) is
// linted with client_golang's promlint, checked against the metric catalogue
// and checked for unbounded labels (label names from a fixed list, at most
// 20 values a label, site only an adapter name, no URL, listing, query or
// mark as a value). With the docker compose plugin they run
// `docker compose config`.
package deploy
