package calendar

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

func d(s string) Date {
	v, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return v
}

// official is the domain facts' table (shared/domain/README.md §6), the
// State Council arrangements for 2023–2026.
var official = []struct {
	year           int
	holiday        string
	start, end     string
	workdays       []string
	joined         []string
	festival       string // "" when not checked
	festivalInside bool
}{
	{2023, SpringFestival, "2023-01-21", "2023-01-27", []string{"2023-01-28", "2023-01-29"}, nil, "2023-01-22", true},
	{2023, MayDay, "2023-04-29", "2023-05-03", []string{"2023-04-23", "2023-05-06"}, nil, "2023-05-01", true},
	// 2023: Mid-Autumn (09-29) runs straight into National Day: one break.
	{2023, MidAutumn, "2023-09-29", "2023-10-06", []string{"2023-10-07", "2023-10-08"}, []string{NationalDay}, "2023-09-29", true},
	{2023, NationalDay, "2023-09-29", "2023-10-06", []string{"2023-10-07", "2023-10-08"}, []string{MidAutumn}, "2023-10-01", true},

	{2024, SpringFestival, "2024-02-10", "2024-02-17", []string{"2024-02-04", "2024-02-18"}, nil, "2024-02-10", true},
	{2024, MayDay, "2024-05-01", "2024-05-05", []string{"2024-04-28", "2024-05-11"}, nil, "2024-05-01", true},
	{2024, MidAutumn, "2024-09-15", "2024-09-17", []string{"2024-09-14"}, nil, "2024-09-17", true},
	{2024, NationalDay, "2024-10-01", "2024-10-07", []string{"2024-09-29", "2024-10-12"}, nil, "2024-10-01", true},

	{2025, SpringFestival, "2025-01-28", "2025-02-04", []string{"2025-01-26", "2025-02-08"}, nil, "2025-01-29", true},
	{2025, MayDay, "2025-05-01", "2025-05-05", []string{"2025-04-27"}, nil, "2025-05-01", true},
	// 2025: Mid-Autumn (10-06) inside the National Day break (国庆中秋).
	{2025, MidAutumn, "2025-10-01", "2025-10-08", []string{"2025-09-28", "2025-10-11"}, []string{NationalDay}, "2025-10-06", true},
	{2025, NationalDay, "2025-10-01", "2025-10-08", []string{"2025-09-28", "2025-10-11"}, []string{MidAutumn}, "2025-10-01", true},

	{2026, SpringFestival, "2026-02-15", "2026-02-23", []string{"2026-02-14", "2026-02-28"}, nil, "2026-02-17", true},
	{2026, MayDay, "2026-05-01", "2026-05-05", []string{"2026-05-09"}, nil, "2026-05-01", true},
	{2026, MidAutumn, "2026-09-25", "2026-09-27", nil, nil, "2026-09-25", true},
	{2026, NationalDay, "2026-10-01", "2026-10-07", []string{"2026-09-20", "2026-10-10"}, nil, "2026-10-01", true},
	{2026, Qingming, "2026-04-04", "2026-04-06", nil, nil, "2026-04-05", true},
	{2026, NewYear, "2026-01-01", "2026-01-03", []string{"2026-01-04"}, nil, "2026-01-01", true},
	{2026, DragonBoat, "2026-06-19", "2026-06-21", nil, nil, "2026-06-19", true},
	// The 2024 New Year break starts in December 2023.
	{2024, NewYear, "2023-12-30", "2024-01-01", nil, nil, "2024-01-01", true},
}

func TestHolidaysMatchOfficialTables(t *testing.T) {
	var cal Lunar
	for _, tc := range official {
		t.Run(fmt.Sprint(tc.year, tc.holiday), func(t *testing.T) {
			h, err := cal.Holiday(tc.holiday, tc.year)
			if err != nil {
				t.Fatal(err)
			}
			if !h.Official || !h.DaysOff {
				t.Fatalf("official=%v days_off=%v, want both true", h.Official, h.DaysOff)
			}
			if got, want := h.Start.String()+" – "+h.End.String(), tc.start+" – "+tc.end; got != want {
				t.Errorf("days off %s, want %s", got, want)
			}
			var workdays []string
			for _, w := range h.Workdays {
				workdays = append(workdays, w.String())
			}
			if !slices.Equal(workdays, tc.workdays) {
				t.Errorf("make-up workdays %v, want %v", workdays, tc.workdays)
			}
			if !slices.Equal(h.Joined, tc.joined) {
				t.Errorf("joined %v, want %v", h.Joined, tc.joined)
			}
			if h.Festival.String() != tc.festival {
				t.Errorf("festival day %s, want %s", h.Festival, tc.festival)
			}
			if h.Festival.Before(h.Start) || h.Festival.After(h.End) {
				t.Errorf("festival %s outside the break %s – %s", h.Festival, h.Start, h.End)
			}
		})
	}
}

// TestYearDays checks the per-day listing of `markwatch calendar` against
// the same tables: every day of each break is off under the right name,
// every make-up workday is a workday, and nothing else is listed.
func TestYearDays(t *testing.T) {
	var cal Lunar
	for year := 2023; year <= 2026; year++ {
		y, err := cal.Year(year)
		if err != nil {
			t.Fatal(err)
		}
		if !y.Official || y.Year != year {
			t.Fatalf("%d: official=%v", year, y.Official)
		}
		got := map[Date]Day{}
		for i, day := range y.Days {
			if day.Date.Year != year {
				t.Errorf("%d lists %s", year, day.Date)
			}
			if i > 0 && !y.Days[i-1].Date.Before(day.Date) {
				t.Errorf("%d days not in date order at %s", year, day.Date)
			}
			got[day.Date] = day
		}
		want := map[Date]DayKind{}
		for _, tc := range official {
			if tc.year != year {
				continue
			}
			for dd := d(tc.start); !dd.After(d(tc.end)); dd = dd.AddDays(1) {
				if dd.Year == year {
					want[dd] = Off
				}
			}
			for _, w := range tc.workdays {
				want[d(w)] = Workday
			}
		}
		for date, kind := range want {
			if got[date].Kind != kind {
				t.Errorf("%s: kind %q, want %q", date, got[date].Kind, kind)
			}
		}
		// Days the holiday names must carry.
		for date, name := range map[string]string{
			"2023-09-29": MidAutumn, "2023-09-30": NationalDay, "2023-10-07": NationalDay,
			"2025-10-06": NationalDay, "2026-09-20": NationalDay, "2026-09-26": MidAutumn,
			"2026-05-09": MayDay, "2024-09-14": MidAutumn,
		} {
			if dd := d(date); dd.Year == year && got[dd].Holiday != name {
				t.Errorf("%s: holiday %q, want %q", date, got[dd].Holiday, name)
			}
		}
	}
}

func TestFestivalDaysAnyYear(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{MidAutumn + "2023", "2023-09-29"}, {MidAutumn + "2024", "2024-09-17"}, {MidAutumn + "2025", "2025-10-06"},
		{MidAutumn + "2026", "2026-09-25"}, {MidAutumn + "2027", "2027-09-15"}, {MidAutumn + "2030", "2030-09-12"},
		{SpringFestival + "2030", "2030-02-03"}, {DragonBoat + "2029", "2029-06-16"},
		{Qingming + "2023", "2023-04-05"}, {Qingming + "2024", "2024-04-04"}, {Qingming + "2030", "2030-04-05"},
	} {
		name, year := tc.name[:len(tc.name)-4], 0
		fmt.Sscan(tc.name[len(tc.name)-4:], &year)
		got, err := FestivalDay(name, year)
		if err != nil || got.String() != tc.want {
			t.Errorf("FestivalDay(%s, %d) = %s, %v; want %s", name, year, got, err, tc.want)
		}
	}
	if _, err := FestivalDay("labour_day", 2026); !errors.Is(err, ErrUnknownHoliday) {
		t.Errorf("unknown name: err %v, want ErrUnknownHoliday", err)
	}
}

// A year lunar-go has no arrangement for is flagged, never filled in with
// plain weekends.
func TestYearWithoutOfficialData(t *testing.T) {
	var cal Lunar
	first, last := cal.Coverage()
	if first != 2002 || last < 2026 {
		t.Fatalf("coverage %d–%d, want 2002 to at least 2026", first, last)
	}
	y := last + 1
	year, err := cal.Year(y)
	if err != nil {
		t.Fatal(err)
	}
	if year.Official || len(year.Days) != 0 || len(year.Festivals) != len(Names) {
		t.Fatalf("%d: official=%v days=%d festivals=%d; want false, 0, %d", y, year.Official, len(year.Days), len(year.Festivals), len(Names))
	}
	if err := cal.CheckOfficial(y); !errors.Is(err, ErrNoOfficialData) {
		t.Fatalf("CheckOfficial(%d) = %v, want ErrNoOfficialData", y, err)
	}
	if err := cal.CheckOfficial(2026); err != nil {
		t.Fatalf("CheckOfficial(2026) = %v", err)
	}
	h, err := cal.Holiday(MidAutumn, y)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := FestivalDay(MidAutumn, y)
	if h.Official || h.DaysOff || h.Start != want || h.End != want {
		t.Fatalf("%d mid_autumn = %+v; want an unofficial estimate on %s", y, h, want)
	}
	if (&Lunar{}).Official(2001) {
		t.Fatal("2001 reported official: it holds only the start of the 2002 New Year break")
	}
}
