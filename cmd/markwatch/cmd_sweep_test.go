package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/markwatch/markwatch/internal/testredis"
	"github.com/markwatch/markwatch/schedule"
	"github.com/markwatch/markwatch/schedule/calendar"
)

func sweepGlobals() (*Globals, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &Globals{LogLevel: "error", stdout: &out, stderr: &errOut}, &out, &errOut
}

func TestCalendarJSON(t *testing.T) {
	g, out, _ := sweepGlobals()
	if err := (&CalendarCmd{Year: 2026, JSON: true}).Run(g); err != nil {
		t.Fatal(err)
	}
	var y struct {
		Year     int  `json:"year"`
		Official bool `json:"official"`
		Days     []struct {
			Date, Kind, Holiday string
		} `json:"days"`
	}
	if err := json.Unmarshal(out.Bytes(), &y); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := map[string]string{"2026-10-01": "off national_day", "2026-09-20": "workday national_day",
		"2026-09-25": "off mid_autumn", "2026-05-09": "workday may_day", "2026-05-05": "off may_day"}
	for _, d := range y.Days {
		if w, ok := want[d.Date]; ok {
			if got := d.Kind + " " + d.Holiday; got != w {
				t.Errorf("%s: %s, want %s", d.Date, got, w)
			}
			delete(want, d.Date)
		}
	}
	if y.Year != 2026 || !y.Official || len(want) != 0 {
		t.Fatalf("year %d official %v, days missing: %v", y.Year, y.Official, want)
	}
}

func TestCalendarReportsYearWithoutData(t *testing.T) {
	_, last := (&calendar.Lunar{}).Coverage()
	g, out, _ := sweepGlobals()
	err := (&CalendarCmd{Year: last + 1, JSON: true}).Run(g)
	if !errors.Is(err, calendar.ErrNoOfficialData) {
		t.Fatalf("err %v, want ErrNoOfficialData", err)
	}
	if !strings.Contains(out.String(), `"official": false`) || !strings.Contains(out.String(), `"days": []`) {
		t.Fatalf("JSON must say official false with no days:\n%s", out)
	}
}

func TestSweepPlanJSON(t *testing.T) {
	g, out, _ := sweepGlobals()
	if err := (&SweepPlanCmd{From: "2026-01-01", To: "2026-12-31", JSON: true}).Run(g); err != nil {
		t.Fatal(err)
	}
	var p schedule.Plan
	if err := json.Unmarshal(out.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range p.Sweeps {
		for _, w := range s.Windows {
			got[s.Name] = w.Dates.From.String() + " " + w.Dates.To.String() + " " + w.Start.Format(time.RFC3339)
		}
	}
	for sweep, want := range map[string]string{
		"may_day":       "2026-05-01 2026-05-05 2026-04-24T00:00:00+08:00",
		"mid_autumn_gi": "2026-09-25 2026-09-27 2026-09-11T00:00:00+08:00",
		"national_day":  "2026-10-01 2026-10-07 2026-09-21T00:00:00+08:00",
	} {
		if got[sweep] != want {
			t.Errorf("%s window %q, want %q", sweep, got[sweep], want)
		}
	}
	if !strings.Contains(out.String(), `"2026-09-21T04:00:00+08:00"`) {
		t.Error("plan JSON lacks the national_day run at 2026-09-21 04:00 +08:00")
	}
}

// sweep run, status, history and cancel against a real Redis, with the
// embedded sweeps, sites and marks.
func TestSweepRunStatusHistoryCancel(t *testing.T) {
	srv := testredis.Start(t)
	g, out, _ := sweepGlobals()
	if err := (&SweepRunCmd{Redis: srv.URL(), Name: "mid_autumn_gi", JSON: true}).Run(g); err != nil {
		t.Fatal(err)
	}
	var run schedule.Run
	if err := json.Unmarshal(out.Bytes(), &run); err != nil {
		t.Fatal(err)
	}
	// 3 sites × (5 explicit queries + the names of the GI marks).
	if run.Trigger != schedule.TriggerManual || !run.Seeded || run.Tasks <= 15 || run.Tasks%3 != 0 {
		t.Fatalf("run %+v; want a manual run seeded with more than 15 tasks (GI mark names added)", run)
	}
	out.Reset()
	if err := (&SweepStatusCmd{Redis: srv.URL(), RunID: run.ID, JSON: true}).Run(g); err != nil {
		t.Fatal(err)
	}
	var st schedule.RunStatus
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	if st.Progress == nil || st.Progress.Queued != int64(run.Tasks) || st.Run.State != schedule.StateRunning {
		t.Fatalf("status %+v; want %d queued", st, run.Tasks)
	}
	out.Reset()
	if err := (&SweepHistoryCmd{Redis: srv.URL(), Limit: 10}).Run(g); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), run.ID) || !strings.Contains(out.String(), "manual") {
		t.Fatalf("history:\n%s", out)
	}
	out.Reset()
	if err := (&SweepCancelCmd{Redis: srv.URL(), RunID: run.ID}).Run(g); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), run.ID+" cancelled") {
		t.Fatalf("cancel said %q", out)
	}
	if err := (&SweepCancelCmd{Redis: srv.URL(), RunID: run.ID}).Run(g); !errors.Is(err, schedule.ErrNotRunning) {
		t.Fatalf("second cancel: %v", err)
	}
	if err := (&SweepRunCmd{Redis: srv.URL(), Name: "no_such_sweep"}).Run(g); !errors.Is(err, schedule.ErrUnknownSweep) {
		t.Fatalf("unknown sweep: %v", err)
	}
}
