package obs

import (
	"context"
	"encoding/json"
	"net/http"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Version is the markwatch version, set at build time with
// -ldflags "-X github.com/markwatch/markwatch/obs.Version=v1.2.3".
var Version = ""

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "devel"
}

// NewRegistry returns a registry with markwatch_build_info and the Go and
// process collectors registered.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	info := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "markwatch_build_info",
		Help: "Always 1; the labels say which markwatch build this process runs.",
	}, []string{"version", "goversion"})
	info.WithLabelValues(version(), runtime.Version()).Set(1)
	reg.MustRegister(info)
	return reg
}

// Check is a readiness probe of one dependency; it returns nil when ready.
type Check func(ctx context.Context) error

// Health serves /healthz and /readyz. Add checks before serving.
type Health struct {
	mu     sync.Mutex
	checks map[string]Check
}

// Add registers a named readiness check.
func (h *Health) Add(name string, c Check) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.checks == nil {
		h.checks = map[string]Check{}
	}
	h.checks[name] = c
}

func (h *Health) ready(ctx context.Context) (map[string]string, bool) {
	h.mu.Lock()
	checks := make(map[string]Check, len(h.checks))
	for k, v := range h.checks {
		checks[k] = v
	}
	h.mu.Unlock()
	out := map[string]string{}
	ok := true
	for name, c := range checks {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := c(cctx)
		cancel()
		if err != nil {
			out[name] = err.Error()
			ok = false
		} else {
			out[name] = "ok"
		}
	}
	return out, ok
}

// Mux returns a mux with /metrics (from reg), /healthz and /readyz.
func Mux(reg *prometheus.Registry, h *Health) *http.ServeMux {
	mux := http.NewServeMux()
	Mount(mux, reg, h)
	return mux
}

// Mount adds /metrics, /healthz and /readyz to mux.
func Mount(mux *http.ServeMux, reg *prometheus.Registry, h *Health) {
	if h == nil {
		h = &Health{}
	}
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg, EnableOpenMetrics: true}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		res, ok := h.ready(r.Context())
		w.Header().Set("Content-Type", "application/json")
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(res)
	})
}

// Serve runs an HTTP server for handler on addr until ctx is done, then
// shuts it down gracefully. Timeouts are bounded so that a slow client
// cannot hold a connection forever.
func Serve(ctx context.Context, addr string, handler http.Handler) error {
	srv := &http.Server{
		Addr:              addr,
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    1 << 20,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}
