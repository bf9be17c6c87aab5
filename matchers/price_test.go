package matchers

import (
	"testing"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
)

// A zero or negative price is unknown, not a price below the floor.
func TestNonPositivePriceIsUnknown(t *testing.T) {
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Load(cfg.MarksLocation(), cfg.SignalsLocation())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []float64{0, -1} {
		v, err := m.Match(t.Context(), markwatch.Listing{ID: "1", Title: "NIKE 跑鞋", Price: &p})
		if err != nil {
			t.Fatal(err)
		}
		if v.Suspect {
			t.Errorf("price %v: suspect %+v, want a plain mention", p, v)
		}
	}
	low := 50.0
	v, _ := m.Match(t.Context(), markwatch.Listing{ID: "2", Title: "NIKE 跑鞋", Price: &low})
	if !v.Suspect {
		t.Errorf("price 50 is below the floor of 300 and should be suspect: %+v", v)
	}
}
