package schedule

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/markwatch/markwatch/schedule/calendar"
)

// Calendar resolves a named holiday or festival of a year to its dates.
// calendar.Lunar is the official one; File.Calendar adds the festivals.
type Calendar interface {
	Holiday(name string, year int) (calendar.Holiday, error)
}

var _ Calendar = (*calendar.Lunar)(nil)

// Calendar returns official plus the file's festivals.
func (f *File) Calendar(official Calendar) Calendar {
	return &festivalCalendar{official: official, festivals: f.Festivals}
}

type festivalCalendar struct {
	official  Calendar
	festivals map[string]*Festival
}

func (c *festivalCalendar) Holiday(name string, y int) (calendar.Holiday, error) {
	fest, ok := c.festivals[name]
	if !ok {
		return c.official.Holiday(name, y)
	}
	h := calendar.Holiday{Name: name, Year: y, Official: true}
	switch r, exact := fest.Years[y]; {
	case exact:
		h.Start, h.End = calendar.DateOf(r.From.Time), calendar.DateOf(r.To.Time)
	case fest.RelativeTo != "":
		anchor, err := c.official.Holiday(fest.RelativeTo, y)
		if err != nil {
			return calendar.Holiday{}, err
		}
		day := 24 * time.Hour
		h.Start = anchor.Festival.AddDays(int(fest.StartOffset.Std() / day))
		h.End = anchor.Festival.AddDays(int(fest.EndOffset.Std() / day))
	default:
		h.Start = calendar.NewDate(y, fest.from.month, fest.from.day)
		h.End = calendar.NewDate(y, fest.to.month, fest.to.day)
		if h.End.Before(h.Start) {
			h.End = calendar.NewDate(y+1, fest.to.month, fest.to.day)
		}
	}
	h.Festival = h.End
	return h, nil
}

// Window is one dated window of a sweep: [Start, End).
type Window struct {
	// Holiday is the holiday or festival the window is around; empty for a
	// date range.
	Holiday string
	Year    int
	// First and Last are the holiday's dates: its official days off, the
	// festival's dates, or the configured range (inclusive).
	First, Last calendar.Date
	// DaysOff is true when First–Last are official days off.
	DaysOff bool
	// Joined names holidays sharing the break (2023, 2025: mid_autumn and
	// national_day).
	Joined []string
	// Estimated is true when the year has no official arrangement: the
	// dates are the festival day only.
	Estimated bool
	// Start and End bound the window after Before and After: Start is
	// inclusive, End exclusive.
	Start, End time.Time
}

// Contains reports whether t is in the window.
func (w Window) Contains(t time.Time) bool { return !t.Before(w.Start) && t.Before(w.End) }

// Windows returns the sweep's windows that overlap [from, to], in order,
// with windows that overlap each other merged. A sweep without window has
// none.
func (s *Sweep) Windows(cal Calendar, loc *time.Location, from, to time.Time) ([]Window, error) {
	w := s.Window
	if w == nil {
		return nil, nil
	}
	widen := func(out Window) Window {
		out.Start = out.First.In(loc).Add(-w.Before.Std())
		out.End = out.Last.AddDays(1).In(loc).Add(w.After.Std())
		return out
	}
	var all []Window
	if w.Around == "" {
		all = append(all, widen(Window{First: calendar.DateOf(w.From.Time), Last: calendar.DateOf(w.To.Time)}))
	} else {
		// A window of year y can start in y-1 (New Year, a long Before) or
		// end in y+1.
		margin := int((w.Before.Std()+w.After.Std())/(365*24*time.Hour)) + 1
		for y := from.In(loc).Year() - margin; y <= to.In(loc).Year()+margin; y++ {
			h, err := cal.Holiday(w.Around, y)
			if err != nil {
				return nil, fmt.Errorf("sweep %s: %w", s.Name, err)
			}
			all = append(all, widen(Window{
				Holiday: w.Around, Year: y, First: h.Start, Last: h.End, DaysOff: h.DaysOff,
				Joined: h.Joined, Estimated: !h.Official,
			}))
		}
	}
	slices.SortFunc(all, func(a, b Window) int { return a.Start.Compare(b.Start) })
	var out []Window
	for _, win := range all {
		if n := len(out); n > 0 && win.Start.Before(out[n-1].End) {
			if win.End.After(out[n-1].End) {
				out[n-1].End = win.End
			}
			continue
		}
		out = append(out, win)
	}
	return slices.DeleteFunc(out, func(win Window) bool { return !win.End.After(from) || win.Start.After(to) }), nil
}

// Slot is one planned run time; Window is the window it is in, nil for a
// run outside windows.
type Slot struct {
	Time   time.Time
	Window *Window
}

// gridEpoch anchors the regular grid of runs outside windows: a Monday, so
// that "every: 7d" runs on Mondays.
var gridEpoch = calendar.NewDate(2000, 1, 3)

// Slots returns every planned run time of the sweep in [from, to], in
// order: inside each window every Every from the window's start, and
// outside windows (or all year, without a window) on the grid of Outside
// (Every) anchored at local midnight plus Offset.
func (s *Sweep) Slots(cal Calendar, loc *time.Location, from, to time.Time) ([]Slot, []Window, error) {
	windows, err := s.Windows(cal, loc, from, to)
	if err != nil {
		return nil, nil, err
	}
	var out []Slot
	for i := range windows {
		w := &windows[i]
		every := s.Every.Std()
		t := w.Start
		if from.After(t) {
			t = t.Add(ceilDiv(from.Sub(t), every) * every)
		}
		for ; t.Before(w.End) && !t.After(to); t = t.Add(every) {
			out = append(out, Slot{Time: t, Window: w})
		}
	}
	step := s.Outside.Std()
	if s.Window == nil {
		step = s.Every.Std()
	}
	if step > 0 {
		epoch := gridEpoch.In(loc).Add(s.Offset.Std())
		t := epoch.Add(ceilDiv(from.Sub(epoch), step) * step)
		for ; !t.After(to); t = t.Add(step) {
			if !slices.ContainsFunc(windows, func(w Window) bool { return w.Contains(t) }) {
				out = append(out, Slot{Time: t})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Slot) int { return a.Time.Compare(b.Time) })
	return out, windows, nil
}

// ceilDiv is ⌈a/b⌉ for b > 0, for negative a too.
func ceilDiv(a, b time.Duration) time.Duration {
	q := a / b
	if a%b != 0 && a > 0 {
		q++
	}
	return q
}

// Plan is what `markwatch sweep plan` prints.
type Plan struct {
	Timezone string      `json:"timezone"`
	From     time.Time   `json:"from"`
	To       time.Time   `json:"to"`
	Sweeps   []SweepPlan `json:"sweeps"`
}

// SweepPlan is one sweep's windows and run times.
type SweepPlan struct {
	Name     string `json:"name"`
	Disabled bool   `json:"disabled,omitempty"`
	// AllYear is true for a sweep without window: every run is in
	// OutsideRuns.
	AllYear bool         `json:"all_year,omitempty"`
	Every   string       `json:"every"`
	Offset  string       `json:"offset,omitempty"`
	Outside string       `json:"outside"`
	Windows []PlanWindow `json:"windows"`
	// OutsideRuns are the runs outside every window (all runs of a sweep
	// without window).
	OutsideRuns []time.Time `json:"outside_runs"`
}

// PlanWindow is one window with its runs.
type PlanWindow struct {
	Holiday   string      `json:"holiday,omitempty"`
	Year      int         `json:"year,omitempty"`
	Dates     Span        `json:"dates"`
	DaysOff   bool        `json:"days_off"`
	Joined    []string    `json:"joined,omitempty"`
	Estimated bool        `json:"estimated,omitempty"`
	Start     time.Time   `json:"start"`
	End       time.Time   `json:"end"`
	Runs      []time.Time `json:"runs"`
}

// Span is an inclusive date range.
type Span struct {
	From calendar.Date `json:"from"`
	To   calendar.Date `json:"to"`
}

// Plan returns every sweep's windows overlapping [from, to] and its run
// times in [from, to], in the file's time zone.
func (f *File) Plan(official Calendar, from, to time.Time) (*Plan, error) {
	cal := f.Calendar(official)
	from, to = from.In(f.loc), to.In(f.loc)
	p := &Plan{Timezone: f.Timezone, From: from, To: to, Sweeps: []SweepPlan{}}
	for _, s := range f.Sweeps {
		slots, windows, err := s.Slots(cal, f.loc, from, to)
		if err != nil {
			return nil, err
		}
		sp := SweepPlan{Name: s.Name, Disabled: s.Disabled, Every: FormatDuration(s.Every.Std()), Outside: "never",
			Windows: []PlanWindow{}, OutsideRuns: []time.Time{}}
		if s.Outside > 0 {
			sp.Outside = FormatDuration(s.Outside.Std())
		}
		if s.Window == nil {
			sp.AllYear, sp.Outside = true, sp.Every
		}
		if s.Offset > 0 {
			sp.Offset = FormatDuration(s.Offset.Std())
		}
		index := map[*Window]int{}
		for i := range windows {
			w := &windows[i]
			index[w] = i
			sp.Windows = append(sp.Windows, PlanWindow{
				Holiday: w.Holiday, Year: w.Year, Dates: Span{w.First, w.Last}, DaysOff: w.DaysOff,
				Joined: w.Joined, Estimated: w.Estimated, Start: w.Start, End: w.End, Runs: []time.Time{},
			})
		}
		for _, slot := range slots {
			if slot.Window == nil {
				sp.OutsideRuns = append(sp.OutsideRuns, slot.Time)
			} else {
				i := index[slot.Window]
				sp.Windows[i].Runs = append(sp.Windows[i].Runs, slot.Time)
			}
		}
		p.Sweeps = append(p.Sweeps, sp)
	}
	return p, nil
}

// FormatDuration writes d as sweeps.yaml would: "4h", "90m", "10d", "1d12h".
func FormatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	var out string
	if d >= day {
		out = strconv.Itoa(int(d/day)) + "d"
		d %= day
		if d == 0 {
			return out
		}
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return out + s
}
