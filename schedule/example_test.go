package schedule_test

import (
	"fmt"
	"time"

	"github.com/markwatch/markwatch/schedule"
	"github.com/markwatch/markwatch/schedule/calendar"
)

// A sweep "from three days before May Day until the day after it ends,
// every 12 hours", planned for 2026.
func ExampleFile_Plan() {
	f, err := schedule.Parse("sweeps.yaml", []byte(`
sweeps:
  - name: tea
    sites: [fakemart]
    queries: [西湖龙井]
    window: {around: may_day, before: 3d, after: 1d}
    every: 12h
`), schedule.LoadOptions{})
	if err != nil {
		panic(err)
	}
	loc := f.Location()
	plan, err := f.Plan(&calendar.Lunar{}, time.Date(2026, 1, 1, 0, 0, 0, 0, loc), time.Date(2026, 12, 31, 23, 59, 0, 0, loc))
	if err != nil {
		panic(err)
	}
	for _, w := range plan.Sweeps[0].Windows {
		fmt.Printf("%s %d: days off %s – %s\n", w.Holiday, w.Year, w.Dates.From, w.Dates.To)
		fmt.Printf("window %s – %s\n", w.Start.Format(time.RFC3339), w.End.Format(time.RFC3339))
		fmt.Printf("%d runs, first %s, last %s\n", len(w.Runs), w.Runs[0].Format(time.RFC3339), w.Runs[len(w.Runs)-1].Format(time.RFC3339))
	}
	// Output:
	// may_day 2026: days off 2026-05-01 – 2026-05-05
	// window 2026-04-28T00:00:00+08:00 – 2026-05-07T00:00:00+08:00
	// 18 runs, first 2026-04-28T00:00:00+08:00, last 2026-05-06T12:00:00+08:00
}
