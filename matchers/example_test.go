package matchers_test

import (
	"context"
	"fmt"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/matchers"
)

// A matcher over the embedded default marks and signals judges a listing
// that hides a mark behind spaces and a Cyrillic letter.
func ExampleMatcher_Match() {
	cfg, err := config.Load("") // embedded defaults
	if err != nil {
		panic(err)
	}
	m, err := matchers.Load(cfg.MarksLocation(), cfg.SignalsLocation(),
		matchers.WithNow(func() time.Time { return time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC) }))
	if err != nil {
		panic(err)
	}
	price := 399.0
	v, err := m.Match(context.Background(), markwatch.Listing{
		ID:    "42",
		Title: "C h а n e l 链条包 原单",
		Price: &price,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("suspect:", v.Suspect, "score:", v.Score)
	for _, h := range v.Hits {
		fmt.Printf("hit %s in %s [%d,%d) %q\n", h.Mark, h.Field, h.Start, h.End, h.Text)
	}
	for _, s := range v.Signals {
		fmt.Printf("signal %s: %s\n", s.Type, s.Detail)
	}
	// Output:
	// suspect: true score: 0.904
	// hit chanel in title [0,11) "C h а n e l"
	// signal slang: "原单" (replica words)
	// signal price: price 399 CNY is below the genuine floor 2000 CNY
}
