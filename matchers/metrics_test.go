package matchers

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/markwatch/markwatch"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	metrics := NewMetrics(reg)
	m := defaultMatcher(t, WithMetrics(metrics))
	price := 99.0
	for _, l := range []markwatch.Listing{
		{ID: "1", Title: "耐克 高仿", Price: &price},                     // trademark hit, suspect
		{ID: "2", Title: "杭州亚运会 徽章"},                                 // special hit, suspect
		{ID: "3", Title: "西湖龙井", ShipFrom: "浙江 杭州"},                  // gi hit, clean
		{ID: "4", Title: "专利 ZL201110006009.X 耐克 鞋带", Price: &price}, // patent + trademark, clean
		{ID: "5", Title: "红富士苹果"},                                    // nothing
	} {
		if _, err := m.Match(context.Background(), l); err != nil {
			t.Fatal(err)
		}
	}
	if got := testutil.ToFloat64(metrics.Listings); got != 5 {
		t.Errorf("listings %v, want 5", got)
	}
	for kind, want := range map[string]float64{"trademark": 2, "special": 1, "gi": 1, "patent": 1} {
		if got := testutil.ToFloat64(metrics.Hits.WithLabelValues(kind)); got != want {
			t.Errorf("hits{kind=%s} %v, want %v", kind, got, want)
		}
	}
	for kind, want := range map[string]float64{"trademark": 1, "special": 1, "gi": 0, "patent": 0} {
		if got := testutil.ToFloat64(metrics.Suspects.WithLabelValues(kind)); got != want {
			t.Errorf("suspects{kind=%s} %v, want %v", kind, got, want)
		}
	}
	if n := testutil.CollectAndCount(metrics.Duration); n != 1 {
		t.Errorf("duration histogram: %d series", n)
	}
	problems, err := testutil.CollectAndLint(reg)
	if err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %+v", err, problems)
	}
	names := []string{"markwatch_match_listings_total", "markwatch_match_hits_total", "markwatch_match_suspects_total", "markwatch_match_duration_seconds"}
	mfs, _ := reg.Gather()
	if len(mfs) != len(names) {
		t.Fatalf("registered %d metric families, want %d", len(mfs), len(names))
	}
	for i, mf := range mfs {
		if !strings.Contains(strings.Join(names, " "), mf.GetName()) {
			t.Errorf("unexpected metric %d %q", i, mf.GetName())
		}
	}
}

// TestConcurrentMatch runs one Matcher from many goroutines (under -race in
// CI) and requires the same verdicts as sequential calls.
func TestConcurrentMatch(t *testing.T) {
	m := defaultMatcher(t, WithMetrics(NewMetrics(nil)))
	titles := []string{"N I K E 高仿", "适用于华为P40手机壳", "杭州亚运会 吉祥物 琮琮", "ZL201110006009.3 专利", "茅台镇 飞天茅台", "愛馬仕 1:1"}
	want := make([]string, len(titles))
	for i, title := range titles {
		v, _ := m.Match(context.Background(), markwatch.Listing{ID: "x", Title: title})
		want[i] = fmt.Sprint(v)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 50; k++ {
				i := (g + k) % len(titles)
				v, err := m.Match(context.Background(), markwatch.Listing{ID: "x", Title: titles[i]})
				if err != nil || fmt.Sprint(v) != want[i] {
					t.Errorf("%q: concurrent verdict %v differs from %s", titles[i], v, want[i])
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestMatchHonoursContext(t *testing.T) {
	m := defaultMatcher(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Match(ctx, markwatch.Listing{ID: "1", Title: "耐克"}); err == nil {
		t.Fatal("Match on a cancelled context returned no error")
	}
}
