// Package obs is what every long-running markwatch process shares for being
// observed: a Prometheus registry of its own (never the global one) with
// build info and the Go and process collectors, and an HTTP mux serving
// /metrics, /healthz (the process is alive) and /readyz (its dependencies,
// such as Redis and the store, answer).
package obs
