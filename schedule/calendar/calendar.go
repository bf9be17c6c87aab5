package calendar

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
	lunar "github.com/6tail/lunar-go/calendar"
)

// Holiday names, as sweeps.yaml and `markwatch calendar --json` write them.
const (
	NewYear        = "new_year"
	SpringFestival = "spring_festival"
	Qingming       = "qingming"
	MayDay         = "may_day"
	DragonBoat     = "dragon_boat"
	MidAutumn      = "mid_autumn"
	NationalDay    = "national_day"
	// VictoryDay is the one-off 2015-09-03 break (抗战胜利日); it has no
	// festival day in other years.
	VictoryDay = "victory_day"
)

// Names are the official holidays in calendar order.
var Names = []string{NewYear, SpringFestival, Qingming, MayDay, DragonBoat, MidAutumn, NationalDay}

// IsOfficialName reports whether name is one of Names.
func IsOfficialName(name string) bool { return slices.Contains(Names, name) }

var (
	// ErrUnknownHoliday is returned for a name that is not one of Names.
	ErrUnknownHoliday = errors.New("calendar: unknown holiday")
	// ErrNoOfficialData says that no official arrangement is known for a
	// year: its holidays are estimates (the festival day only), not the days
	// off the State Council will announce.
	ErrNoOfficialData = errors.New("calendar: no official holiday arrangement")
)

// Calendar resolves the official holiday year.
type Calendar interface {
	// Year lists a year's official days off and make-up workdays. A year
	// with no official data comes back with Official false and no Days (and
	// a nil error: the flag is the report).
	Year(y int) (Year, error)
	// Holiday returns the dated holiday name of year y (the break around
	// that year's festival day; a New Year break may start in December of
	// y-1). Official is false when the year has no official data.
	Holiday(name string, y int) (Holiday, error)
}

// DayKind says whether an official day is a day off or a make-up workday.
type DayKind string

const (
	Off     DayKind = "off"
	Workday DayKind = "workday"
)

// Day is one day of an official arrangement.
type Day struct {
	Date    Date    `json:"date"`
	Kind    DayKind `json:"kind"`
	Holiday string  `json:"holiday"`
}

// Festival is a holiday's festival day in a year.
type Festival struct {
	Holiday string `json:"holiday"`
	Date    Date   `json:"date"`
}

// Year is a year's official arrangement.
type Year struct {
	Year     int  `json:"year"`
	Official bool `json:"official"`
	// Days lists every official day off and every make-up workday dated in
	// the year, in date order.
	Days []Day `json:"days"`
	// Festivals are the festival days, computed for any year.
	Festivals []Festival `json:"festivals"`
}

// Holiday is one dated holiday.
type Holiday struct {
	Name string `json:"holiday"`
	Year int    `json:"year"`
	// Festival is the festival day itself (for Mid-Autumn the 15th of the
	// 8th lunar month).
	Festival Date `json:"festival"`
	// Start and End are the first and last official day off, inclusive.
	// Without official data, or in a year the holiday gave no day off
	// (before 2008 for Qingming, Dragon Boat and Mid-Autumn), both are the
	// festival day.
	Start Date `json:"start"`
	End   Date `json:"end"`
	// Workdays are the make-up workdays (weekend days worked) of the break.
	Workdays []Date `json:"workdays,omitempty"`
	// Joined names the other holidays that share the break (2023 and 2025:
	// mid_autumn and national_day).
	Joined []string `json:"joined,omitempty"`
	// Official is false when the year has no official data.
	Official bool `json:"official"`
	// DaysOff is false when the dates are the festival day only, not a
	// break of official days off.
	DaysOff bool `json:"days_off"`
}

// Lunar is the Calendar backed by lunar-go. The zero value is ready to use
// and safe for concurrent use.
type Lunar struct {
	mu    sync.Mutex
	years map[int]map[Date]entry
}

var _ Calendar = (*Lunar)(nil)

// entry is one lunar-go record.
type entry struct {
	names  []string // the first is the day's holiday; 国庆中秋 also names mid_autumn
	work   bool
	target Date
}

// labels maps lunar-go's names to ours.
var labels = map[string][]string{
	"元旦节":   {NewYear},
	"春节":    {SpringFestival},
	"清明节":   {Qingming},
	"劳动节":   {MayDay},
	"端午节":   {DragonBoat},
	"中秋节":   {MidAutumn},
	"国庆节":   {NationalDay},
	"国庆中秋":  {NationalDay, MidAutumn},
	"抗战胜利日": {VictoryDay},
}

// entries returns lunar-go's records dated in year y.
func (l *Lunar) entries(y int) map[Date]entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if m, ok := l.years[y]; ok {
		return m
	}
	m := map[Date]entry{}
	list := HolidayUtil.GetHolidaysByYear(y)
	for e := list.Front(); e != nil; e = e.Next() {
		h := e.Value.(*HolidayUtil.Holiday)
		day, err1 := ParseDate(h.GetDay())
		target, err2 := ParseDate(h.GetTarget())
		names, ok := labels[h.GetName()]
		if err1 != nil || err2 != nil || !ok || day.Year != y {
			// lunar-go's index search can only return records of y; an
			// unknown name would be a new kind of holiday we do not map.
			continue
		}
		m[day] = entry{names: names, work: h.IsWork(), target: target}
	}
	if l.years == nil {
		l.years = map[int]map[Date]entry{}
	}
	l.years[y] = m
	return m
}

// Official reports whether lunar-go has the official arrangement of year y:
// at least one record whose festival is in y (2001 holds only the first
// days of the 2002 New Year break).
func (l *Lunar) Official(y int) bool {
	for _, e := range l.entries(y) {
		if e.target.Year == y {
			return true
		}
	}
	return false
}

// Coverage returns the first and last year with official data, searching
// 1990–2100.
func (l *Lunar) Coverage() (first, last int) {
	for y := 1990; y <= 2100; y++ {
		if l.Official(y) {
			if first == 0 {
				first = y
			}
			last = y
		}
	}
	return first, last
}

// CheckOfficial returns nil when year y has official data, else an error
// wrapping ErrNoOfficialData that says which years are covered.
func (l *Lunar) CheckOfficial(y int) error {
	if l.Official(y) {
		return nil
	}
	first, last := l.Coverage()
	return fmt.Errorf("%w for %d: lunar-go knows %d–%d; holidays of %d are estimated from festival days only (upgrade github.com/6tail/lunar-go once the State Council notice is out)",
		ErrNoOfficialData, y, first, last, y)
}

// Year implements Calendar.
func (l *Lunar) Year(y int) (Year, error) {
	out := Year{Year: y, Official: l.Official(y), Days: []Day{}}
	for _, name := range Names {
		d, err := FestivalDay(name, y)
		if err != nil {
			return Year{}, err
		}
		out.Festivals = append(out.Festivals, Festival{Holiday: name, Date: d})
	}
	if !out.Official {
		return out, nil
	}
	for date, e := range l.entries(y) {
		kind := Off
		if e.work {
			kind = Workday
		}
		out.Days = append(out.Days, Day{Date: date, Kind: kind, Holiday: e.names[0]})
	}
	slices.SortFunc(out.Days, func(a, b Day) int { return a.Date.Compare(b.Date) })
	return out, nil
}

// lookup returns the record of date d, if any.
func (l *Lunar) lookup(d Date) (entry, bool) {
	e, ok := l.entries(d.Year)[d]
	return e, ok
}

// Holiday implements Calendar.
func (l *Lunar) Holiday(name string, y int) (Holiday, error) {
	festival, err := FestivalDay(name, y)
	if err != nil {
		return Holiday{}, err
	}
	h := Holiday{Name: name, Year: y, Festival: festival, Start: festival, End: festival, Official: l.Official(y)}
	if !h.Official {
		return h, nil
	}
	// The records of the holiday: dated from December of y-1 (a New Year
	// break) to January of y+1, whose festival is in y.
	var offs []Date
	for _, yy := range []int{y - 1, y, y + 1} {
		for date, e := range l.entries(yy) {
			if e.target.Year == y && slices.Contains(e.names, name) && !e.work {
				offs = append(offs, date)
			}
		}
	}
	if len(offs) == 0 {
		if e, ok := l.lookup(festival); ok && !e.work {
			offs = append(offs, festival)
		}
	}
	if len(offs) == 0 {
		return h, nil // no day off that year (before 2008 for lunar festivals)
	}
	slices.SortFunc(offs, Date.Compare)
	h.Start, h.End, h.DaysOff = offs[0], offs[len(offs)-1], true
	// Merge adjacent breaks: consecutive official days off are one break.
	for {
		e, ok := l.lookup(h.Start.AddDays(-1))
		if !ok || e.work {
			break
		}
		h.Start = h.Start.AddDays(-1)
	}
	for {
		e, ok := l.lookup(h.End.AddDays(1))
		if !ok || e.work {
			break
		}
		h.End = h.End.AddDays(1)
	}
	members := []string{name}
	for d := h.Start; !d.After(h.End); d = d.AddDays(1) {
		if e, ok := l.lookup(d); ok {
			for _, n := range e.names {
				if !slices.Contains(members, n) {
					members = append(members, n)
				}
			}
		}
	}
	h.Joined = members[1:]
	// Make-up workdays of every holiday in the break, from the same records.
	for _, yy := range []int{y - 1, y, y + 1} {
		for date, e := range l.entries(yy) {
			if !e.work || e.target.Year != y {
				continue
			}
			for _, n := range e.names {
				if slices.Contains(members, n) {
					h.Workdays = append(h.Workdays, date)
					break
				}
			}
		}
	}
	slices.SortFunc(h.Workdays, Date.Compare)
	return h, nil
}

// FestivalDay returns the festival day of holiday name in year y, for any
// year: fixed dates, lunar dates from the lunar calendar, Qingming from the
// solar-term table.
func FestivalDay(name string, y int) (Date, error) {
	switch name {
	case NewYear:
		return NewDate(y, 1, 1), nil
	case MayDay:
		return NewDate(y, 5, 1), nil
	case NationalDay:
		return NewDate(y, 10, 1), nil
	case SpringFestival:
		return lunarDay(y, 1, 1), nil
	case DragonBoat:
		return lunarDay(y, 5, 5), nil
	case MidAutumn:
		return lunarDay(y, 8, 15), nil
	case Qingming:
		s := lunar.NewLunarFromYmd(y, 1, 1).GetJieQiTable()["清明"]
		if s == nil {
			return Date{}, fmt.Errorf("calendar: no Qingming solar term for %d", y)
		}
		return NewDate(s.GetYear(), time.Month(s.GetMonth()), s.GetDay()), nil
	case VictoryDay:
		if y == 2015 {
			return NewDate(2015, 9, 3), nil
		}
		return Date{}, fmt.Errorf("%w: victory_day was a 2015 holiday only", ErrUnknownHoliday)
	}
	return Date{}, fmt.Errorf("%w %q (known: %v)", ErrUnknownHoliday, name, Names)
}

func lunarDay(y, m, d int) Date {
	s := lunar.NewLunarFromYmd(y, m, d).GetSolar()
	return NewDate(s.GetYear(), time.Month(s.GetMonth()), s.GetDay())
}
