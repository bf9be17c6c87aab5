package schedule

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/markwatch/markwatch/schedule/calendar"
)

var shanghai = func() *time.Location { l, _ := loadLocation("Asia/Shanghai"); return l }()

func date(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation(time.DateOnly, s, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func planYear(t *testing.T, f *File, from, to string) *Plan {
	t.Helper()
	p, err := f.Plan(&calendar.Lunar{}, date(t, from), date(t, to).AddDate(0, 0, 1).Add(-time.Nanosecond))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func sweepPlan(t *testing.T, p *Plan, name string) SweepPlan {
	t.Helper()
	for _, s := range p.Sweeps {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no sweep %q in plan", name)
	return SweepPlan{}
}

// The acceptance check: the shipped sweeps over 2026 get windows on the
// official 2026 arrangement, widened by their configured offsets, with a
// run every `every` from the window's start.
func TestPlan2026ShippedSweeps(t *testing.T) {
	f := shipped(t)
	p := planYear(t, f, "2026-01-01", "2026-12-31")
	for _, tc := range []struct {
		sweep, holiday, first, last, start string
	}{
		{"may_day", "may_day", "2026-05-01", "2026-05-05", "2026-04-24T00:00:00+08:00"},
		{"mid_autumn_gi", "mid_autumn", "2026-09-25", "2026-09-27", "2026-09-11T00:00:00+08:00"},
		{"national_day", "national_day", "2026-10-01", "2026-10-07", "2026-09-21T00:00:00+08:00"},
	} {
		t.Run(tc.sweep, func(t *testing.T) {
			s := f.Sweep(tc.sweep)
			sp := sweepPlan(t, p, tc.sweep)
			if len(sp.Windows) != 1 {
				t.Fatalf("%d windows in 2026, want 1: %+v", len(sp.Windows), sp.Windows)
			}
			w := sp.Windows[0]
			if w.Holiday != tc.holiday || w.Dates.From.String() != tc.first || w.Dates.To.String() != tc.last || !w.DaysOff || w.Estimated {
				t.Fatalf("window %s %s – %s (days_off %v, estimated %v); want %s %s – %s official days off",
					w.Holiday, w.Dates.From, w.Dates.To, w.DaysOff, w.Estimated, tc.holiday, tc.first, tc.last)
			}
			wantStart := date(t, tc.first).Add(-s.Window.Before.Std())
			wantEnd := date(t, tc.last).AddDate(0, 0, 1).Add(s.Window.After.Std())
			if !w.Start.Equal(wantStart) || !w.End.Equal(wantEnd) || w.Start.Format(time.RFC3339) != tc.start {
				t.Fatalf("window [%s, %s), want [%s, %s)", w.Start.Format(time.RFC3339), w.End.Format(time.RFC3339), wantStart.Format(time.RFC3339), wantEnd.Format(time.RFC3339))
			}
			every := s.Every.Std()
			if want := int(wantEnd.Sub(wantStart) / every); len(w.Runs) != want {
				t.Fatalf("%d runs, want %d", len(w.Runs), want)
			}
			for i, r := range w.Runs {
				if !r.Equal(wantStart.Add(time.Duration(i) * every)) {
					t.Fatalf("run %d at %s, want %s", i, r, wantStart.Add(time.Duration(i)*every))
				}
			}
			if len(sp.OutsideRuns) != 0 {
				t.Fatalf("outside: never, yet %d outside runs", len(sp.OutsideRuns))
			}
		})
	}
	routine := sweepPlan(t, p, "routine_special")
	if len(routine.Windows) != 0 || len(routine.OutsideRuns) != 365 {
		t.Fatalf("routine sweep: %d windows, %d runs; want 0 and 365 daily runs", len(routine.Windows), len(routine.OutsideRuns))
	}
	if got := routine.OutsideRuns[0].Format(time.RFC3339); got != "2026-01-01T02:00:00+08:00" {
		t.Fatalf("routine first run %s, want 02:00 Shanghai time", got)
	}
	// 618 and Double 11 come from the festivals section.
	if w := sweepPlan(t, p, "double_11").Windows; len(w) != 1 || w[0].Dates.From.String() != "2026-10-20" || w[0].Dates.To.String() != "2026-11-11" {
		t.Fatalf("double_11 windows %+v", w)
	}
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"name":"national_day"`, `"start":"2026-09-21T00:00:00+08:00"`, `"runs":["2026-09-21T00:00:00+08:00","2026-09-21T04:00:00+08:00"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("plan JSON lacks %s", want)
		}
	}
}

func gift(t *testing.T, around string, outside string) *File {
	t.Helper()
	f, err := Parse("sweeps.yaml", []byte(`
sweeps:
  - name: gifts
    sites: [mart]
    queries: [阳澄湖大闸蟹]
    window: {around: `+around+`, before: 3d, after: 1d}
    every: 12h
    outside: `+outside+`
`), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// In 2023 Mid-Autumn (09-29) ran straight into National Day, and in 2025
// it fell inside it: "around: mid_autumn" covers the joint break.
func TestMidAutumnJoinedWithNationalDay(t *testing.T) {
	for _, tc := range []struct{ year, first, last string }{
		{"2023", "2023-09-29", "2023-10-06"},
		{"2024", "2024-09-15", "2024-09-17"},
		{"2025", "2025-10-01", "2025-10-08"},
	} {
		p := planYear(t, gift(t, "mid_autumn", "never"), tc.year+"-01-01", tc.year+"-12-31")
		w := p.Sweeps[0].Windows
		if len(w) != 1 || w[0].Dates.From.String() != tc.first || w[0].Dates.To.String() != tc.last {
			t.Fatalf("%s: windows %+v, want one on %s – %s", tc.year, w, tc.first, tc.last)
		}
		if joined := w[0].Joined; (tc.year != "2024") != (len(joined) == 1 && joined[0] == "national_day") {
			t.Fatalf("%s: joined %v", tc.year, joined)
		}
		if got := w[0].Start; !got.Equal(date(t, tc.first).AddDate(0, 0, -3)) {
			t.Fatalf("%s: start %s", tc.year, got)
		}
	}
}

func TestOutsideRunsSkipWindows(t *testing.T) {
	p := planYear(t, gift(t, "national_day", "24h"), "2026-09-01", "2026-10-31")
	sp := p.Sweeps[0]
	w := sp.Windows[0]
	if len(w.Runs) != int(w.End.Sub(w.Start)/(12*time.Hour)) {
		t.Fatalf("%d runs in window", len(w.Runs))
	}
	for _, r := range sp.OutsideRuns {
		if !r.Before(w.Start) && r.Before(w.End) {
			t.Fatalf("outside run %s inside the window [%s, %s)", r, w.Start, w.End)
		}
	}
	// 61 days, of which the window covers 10 (09-28 – 10-08 exclusive of 10-09).
	days := 61 - int(w.End.Sub(w.Start)/(24*time.Hour))
	if len(sp.OutsideRuns) != days {
		t.Fatalf("%d outside runs, want %d (one a day outside the window)", len(sp.OutsideRuns), days)
	}
}

func TestWindowAcrossNewYear(t *testing.T) {
	p := planYear(t, gift(t, "new_year", "never"), "2023-12-01", "2023-12-31")
	w := p.Sweeps[0].Windows
	if len(w) != 1 || w[0].Year != 2024 || w[0].Dates.From.String() != "2023-12-30" || w[0].Dates.To.String() != "2024-01-01" {
		t.Fatalf("windows %+v; want the 2024 New Year break 2023-12-30 – 2024-01-01", w)
	}
	// Runs are listed only inside the asked range.
	for _, r := range w[0].Runs {
		if r.After(date(t, "2024-01-01")) {
			t.Fatalf("run %s after the range", r)
		}
	}
}

func TestPlanFlagsYearsWithoutOfficialData(t *testing.T) {
	_, last := (&calendar.Lunar{}).Coverage()
	y := time.Date(last+1, 1, 1, 0, 0, 0, 0, shanghai).Format("2006")
	p := planYear(t, gift(t, "mid_autumn", "never"), y+"-01-01", y+"-12-31")
	w := p.Sweeps[0].Windows
	if len(w) != 1 || !w[0].Estimated || w[0].DaysOff {
		t.Fatalf("%s windows %+v; want one estimated window on the festival day", y, w)
	}
	fd, _ := calendar.FestivalDay("mid_autumn", last+1)
	if w[0].Dates.From != fd || w[0].Dates.To != fd {
		t.Fatalf("estimated window %s – %s, want the festival day %s", w[0].Dates.From, w[0].Dates.To, fd)
	}
}

func TestDateRangeWindow(t *testing.T) {
	f, err := Parse("sweeps.yaml", []byte(`
sweeps:
  - name: campaign
    sites: [mart]
    queries: [x]
    window: {from: 2026-03-10, to: 2026-03-12}
    every: 8h
`), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := planYear(t, f, "2026-01-01", "2026-12-31")
	w := p.Sweeps[0].Windows
	if len(w) != 1 || len(w[0].Runs) != 9 || w[0].Runs[8].Format(time.RFC3339) != "2026-03-12T16:00:00+08:00" {
		t.Fatalf("windows %+v", w)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		4 * time.Hour: "4h", 24 * time.Hour: "1d", 36 * time.Hour: "1d12h", 90 * time.Minute: "1h30m",
		10 * 24 * time.Hour: "10d", 30 * time.Second: "30s", 15 * time.Minute: "15m",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%s) = %q, want %q", d, got, want)
		}
	}
}
