package obs

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetricsHealthReady(t *testing.T) {
	reg := NewRegistry()
	h := &Health{}
	var fail error
	h.Add("redis", func(context.Context) error { return fail })
	srv := httptest.NewServer(Mux(reg, h))
	defer srv.Close()

	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 1<<16)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp.StatusCode, b.String()
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "markwatch_build_info{") {
		t.Fatalf("/metrics: %d %q", code, body[:min(len(body), 200)])
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("/healthz: %d", code)
	}
	if code, body := get("/readyz"); code != 200 || !strings.Contains(body, `"redis":"ok"`) {
		t.Fatalf("/readyz ready: %d %s", code, body)
	}
	fail = errors.New("connection refused")
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "connection refused") {
		t.Fatalf("/readyz failing: %d %s", code, body)
	}
	problems, err := testutil.GatherAndLint(reg, "markwatch_build_info")
	if err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %v", problems, err)
	}
}
