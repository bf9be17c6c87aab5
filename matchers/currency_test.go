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

// With a rate table, a US dollar price is converted and compared with the
// CNY floors; the verdict states the rate and its date. A currency without
// a rate is still not compared.
func TestPriceFloorConvertsThroughConfiguredRates(t *testing.T) {
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	marks, err := matchers.LoadMarks(cfg.MarksLocation())
	if err != nil {
		t.Fatal(err)
	}
	signals, err := matchers.LoadSignals(cfg.SignalsLocation())
	if err != nil {
		t.Fatal(err)
	}
	signals.Currency = matchers.Currency{Rates: map[string]float64{"USD": 7.1, "EUR": 7.75}, AsOf: "2026-12-01"}
	m, err := matchers.New(marks, signals, matchers.WithNow(func() time.Time { return time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC) }))
	if err != nil {
		t.Fatal(err)
	}
	priceDetail := func(title string, price float64, cur string) (string, bool) {
		t.Helper()
		v, err := m.Match(context.Background(), markwatch.Listing{ID: "1", Title: title, Price: &price, Currency: cur})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range v.Signals {
			if s.Type == "price" {
				return s.Detail, v.Suspect
			}
		}
		return "", v.Suspect
	}
	// 39 USD = 276.9 CNY: below Chanel's floor, and suspect on that alone.
	detail, suspect := priceDetail("Chanel 链条包", 39, "USD")
	if !strings.Contains(detail, "276.9 CNY (39 USD at 7.1 CNY/USD as of 2026-12-01) is below the genuine floor") || !suspect {
		t.Errorf("39 USD: signal %q, suspect %v", detail, suspect)
	}
	// 3999 USD is far above it: compared, not below, the rate still stated.
	detail, suspect = priceDetail("Chanel 链条包", 3999, "USD")
	if !strings.Contains(detail, "at 7.1 CNY/USD as of 2026-12-01) is not below") || suspect {
		t.Errorf("3999 USD: signal %q, suspect %v", detail, suspect)
	}
	// No HKD rate: not compared.
	detail, _ = priceDetail("Chanel 链条包", 39, "HKD")
	if !strings.Contains(detail, "39 HKD: no rate to CNY") {
		t.Errorf("HKD without a rate: signal %q", detail)
	}

	// A bad table is refused, naming the field.
	signals.Currency = matchers.Currency{Rates: map[string]float64{"usd": 7.1, "EUR": 0}}
	_, err = matchers.New(marks, signals)
	if err == nil || !strings.Contains(err.Error(), "currency.rates.usd") || !strings.Contains(err.Error(), "currency.rates.EUR") || !strings.Contains(err.Error(), "currency.as_of") {
		t.Fatalf("bad rate table: %v", err)
	}
}
