package schedule

import (
	"strings"
	"testing"
	"time"

	"github.com/markwatch/markwatch/configs"
)

func shipped(t *testing.T) *File {
	t.Helper()
	data, err := configs.FS.ReadFile("sweeps.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse("(embedded)/sweeps.yaml", data, LoadOptions{})
	if err != nil {
		t.Fatalf("shipped sweeps.yaml: %v", err)
	}
	return f
}

func TestShippedSweepsLoad(t *testing.T) {
	f := shipped(t)
	for _, name := range []string{"national_day", "mid_autumn_gi", "may_day", "618", "double_11", "routine_special"} {
		if f.Sweep(name) == nil {
			t.Errorf("shipped sweeps.yaml lacks sweep %q", name)
		}
	}
	if f.Location().String() != "Asia/Shanghai" {
		t.Errorf("time zone %s", f.Location())
	}
	if got := f.Sweep("national_day").Every.Std(); got != 4*time.Hour {
		t.Errorf("national_day every %s", got)
	}
	if f.Sweep("routine_special").Priority >= f.Sweep("national_day").Priority {
		t.Error("the routine sweep must rank below the holiday sweeps")
	}
}

func TestValidationNamesSweepAndField(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"unknown holiday", `
sweeps:
  - {name: a, sites: [mart], queries: [x]}
  - {name: b, sites: [mart], queries: [x]}
  - name: gifts
    sites: [mart]
    queries: [x]
    window: {around: natinal_day, before: 10d}
`, `sweeps.yaml:8:22: sweeps[2].window.around: sweep "gifts": unknown holiday or festival "natinal_day"`},
		{"unknown site", "sweeps:\n  - {name: a, sites: [mart, nomart], queries: [x]}\n", `sweeps[0].sites[1]: sweep "a": unknown site "nomart" (known: mart, gbkmart)`},
		{"no queries", "sweeps:\n  - {name: a, sites: [mart]}\n", `sweeps[0].queries: sweep "a": give queries, marks, or both`},
		{"bad kind", "sweeps:\n  - {name: a, sites: [mart], marks: {kind: brand}}\n", `sweeps[0].marks.kind: sweep "a": mark kind "brand"`},
		{"duplicate", "sweeps:\n  - {name: a, sites: [mart], queries: [x]}\n  - {name: a, sites: [mart], queries: [x]}\n", `sweeps[1].name: sweep "a" is already defined at sweeps[0]`},
		{"bad name", "sweeps:\n  - {name: Big Sweep, sites: [mart], queries: [x]}\n", `sweeps[0].name: sweep name "Big Sweep"`},
		{"every too small", "sweeps:\n  - {name: a, sites: [mart], queries: [x], every: 10s}\n", `sweeps[0].every: sweep "a": must be at least 1m`},
		{"outside without window", "sweeps:\n  - {name: a, sites: [mart], queries: [x], outside: 24h}\n", `sweeps[0].outside: sweep "a": outside needs a window`},
		{"bad interval", "sweeps:\n  - {name: a, sites: [mart], queries: [x], window: {around: may_day}, outside: sometimes}\n", `bad interval "sometimes"`},
		{"both around and range", "sweeps:\n  - {name: a, sites: [mart], queries: [x], window: {around: may_day, from: 2026-01-01, to: 2026-01-02}}\n", `sweeps[0].window.around: sweep "a": give either around or from/to`},
		{"range backwards", "sweeps:\n  - {name: a, sites: [mart], queries: [x], window: {from: 2026-02-01, to: 2026-01-02}}\n", `sweeps[0].window.to: sweep "a": 2026-01-02 is before from 2026-02-01`},
		{"unknown field", "sweeps:\n  - {name: a, sites: [mart], queries: [x], evry: 4h}\n", "sweeps[0].evry: unknown field; did you mean every?"},
		{"bad festival", "festivals:\n  double_11: {from: \"10-40\", to: \"11-11\"}\n", `festivals.double_11.from: no such month-day "10-40"`},
		{"festival on holiday name", "festivals:\n  may_day: {from: \"05-01\", to: \"05-05\"}\n", `festivals.may_day: festival "may_day" has the name of an official holiday`},
		{"relative to unknown", "festivals:\n  x: {relative_to: lantern, start_offset: -1d, end_offset: 1d}\n", `festivals.x.relative_to: unknown holiday "lantern"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("sweeps.yaml", []byte(tc.yaml), LoadOptions{Sites: []string{"mart", "gbkmart"}})
			if err == nil {
				t.Fatalf("accepted:\n%s", tc.yaml)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error\n  %v\nwant it to contain\n  %s", err, tc.want)
			}
		})
	}
}

func TestFestivalOverrides(t *testing.T) {
	f, err := Parse("sweeps.yaml", []byte(`
festivals:
  "618":
    years: {2026: {from: 2026-05-13, to: 2026-06-18}}
sweeps:
  - {name: a, sites: [mart], queries: [x], window: {around: "618"}}
`), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cal := f.Calendar(nil)
	h, err := cal.Holiday("618", 2026)
	if err != nil || h.Start.String() != "2026-05-13" || h.End.String() != "2026-06-18" {
		t.Fatalf("618 of 2026 = %s – %s, %v; want the pinned 2026-05-13 – 2026-06-18", h.Start, h.End, err)
	}
	// Other years keep the default rule.
	h, err = cal.Holiday("618", 2027)
	if err != nil || h.Start.String() != "2027-06-01" || h.End.String() != "2027-06-18" {
		t.Fatalf("618 of 2027 = %s – %s, %v; want the default 06-01 – 06-18", h.Start, h.End, err)
	}
	// Defaults not mentioned in the file are still there.
	if _, ok := f.Festivals["double_12"]; !ok {
		t.Fatal("default festival double_12 lost")
	}
}

func TestPriorityWithinFrontierBands(t *testing.T) {
	_, err := Parse("sweeps.yaml", []byte("sweeps:\n  - {name: a, sites: [mart], queries: [x], priority: 50}\n"), LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), `sweeps[0].priority: sweep "a": must be 0..15`) {
		t.Fatalf("priority 50: %v", err)
	}
}
