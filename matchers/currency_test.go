package matchers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/matchers"
)

// Price floors are in CNY: a price in US dollars is not compared with
// them (no conversion table is configured), and the verdict says so.
func TestPriceFloorComparesOnlyCNY(t *testing.T) {
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	m, err := matchers.Load(cfg.MarksLocation(), cfg.SignalsLocation(),
		matchers.WithNow(func() time.Time { return time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC) }))
	if err != nil {
		t.Fatal(err)
	}
	price := 399.0
	for cur, wantBelow := range map[string]bool{"": true, "CNY": true, "USD": false} {
		v, err := m.Match(context.Background(), markwatch.Listing{ID: "1", Title: "Chanel 链条包", Price: &price, Currency: cur})
		if err != nil {
			t.Fatal(err)
		}
		var detail string
		for _, s := range v.Signals {
			if s.Type == "price" {
				detail = s.Detail
			}
		}
		if below := strings.Contains(detail, "below the genuine floor"); below != wantBelow {
			t.Errorf("currency %q: price signal %q, want below-floor %v", cur, detail, wantBelow)
		}
		if cur == "USD" && !strings.Contains(detail, "399 USD: no rate to CNY") {
			t.Errorf("USD price: signal %q does not say why it was not compared", detail)
		}
	}
}
