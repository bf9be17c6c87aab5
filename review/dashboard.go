package review

import (
	"bytes"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/markwatch/markwatch/schedule/calendar"
	"github.com/markwatch/markwatch/store"
)

// The campaign dashboard: what a sweep found and what came of it, by mark,
// kind, site, seller, province and day, with this year's holiday against
// the same holiday last year. Charts are SVG drawn here (the CSP allows no
// chart library), each beside the table it draws; the page prints as the
// report, and dashboard.xlsx holds the same tables.

type dashboardView struct {
	*store.Dashboard
	Query    url.Values
	XLSX     string
	Print    bool
	Sweep    string
	Run      string
	From, To string
	Holiday  string
	Year     int
	Holidays []string
	Facets   store.Facets
	Compare  *holidayCompare
	Tables   []dashboardTable
	DayChart template.HTML
}

type dashboardTable struct {
	ID, Title, Column string
	Rows              []store.Tally
	Chart             template.HTML
}

// holidayCompare is one holiday this year and last year.
type holidayCompare struct {
	Name                 string
	This, Last           *store.Dashboard
	ThisRange, LastRange string
	Chart                template.HTML
}

// holidayWindow is a holiday's break as a first-seen range: [Start, End+1 day).
func holidayWindow(cal calendar.Calendar, name string, year int) (from, to time.Time, label string, err error) {
	h, err := cal.Holiday(name, year)
	if err != nil {
		return from, to, "", err
	}
	from = h.Start.In(time.UTC)
	to = h.End.In(time.UTC).AddDate(0, 0, 1)
	return from, to, fmt.Sprintf("%s – %s", h.Start, h.End), nil
}

func (s *Server) dashboardData(r *http.Request) (*dashboardView, error) {
	q := r.URL.Query()
	v := &dashboardView{Sweep: strings.TrimSpace(q.Get("sweep")), Run: strings.TrimSpace(q.Get("run")),
		From: q.Get("from"), To: q.Get("to"), Holiday: q.Get("holiday"), Holidays: calendar.Names, Print: q.Get("print") == "1"}
	f := store.DashboardFilter{Sweep: v.Sweep, Run: v.Run}
	for _, d := range []struct {
		key string
		dst *time.Time
		add int
	}{{"from", &f.From, 0}, {"to", &f.To, 1}} {
		if val := q.Get(d.key); val != "" {
			t, err := time.Parse(time.DateOnly, val)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: want a date YYYY-MM-DD, got %q", store.ErrInvalid, d.key, val)
			}
			*d.dst = t.AddDate(0, 0, d.add)
		}
	}
	v.Year = s.now().Year()
	if y := q.Get("year"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 2000 || n > 2100 {
			return nil, fmt.Errorf("%w: year: want 2000 to 2100, got %q", store.ErrInvalid, y)
		}
		v.Year = n
	}
	var err error
	if v.Dashboard, err = s.store.Dashboard(r.Context(), f); err != nil {
		return nil, err
	}
	if v.Holiday != "" {
		if !calendar.IsOfficialName(v.Holiday) {
			return nil, fmt.Errorf("%w: holiday: one of %s", store.ErrInvalid, strings.Join(calendar.Names, ", "))
		}
		cal := &calendar.Lunar{}
		c := &holidayCompare{Name: v.Holiday}
		for _, side := range []struct {
			year  int
			dst   **store.Dashboard
			label *string
		}{{v.Year, &c.This, &c.ThisRange}, {v.Year - 1, &c.Last, &c.LastRange}} {
			from, to, label, err := holidayWindow(cal, v.Holiday, side.year)
			if err != nil {
				return nil, fmt.Errorf("%w: holiday %s %d: %v", store.ErrInvalid, v.Holiday, side.year, err)
			}
			*side.label = label
			if *side.dst, err = s.store.Dashboard(r.Context(), store.DashboardFilter{Sweep: v.Sweep, From: from, To: to}); err != nil {
				return nil, err
			}
		}
		c.Chart = pairedDayChart(c.This.ByDay, c.Last.ByDay, fmt.Sprint(v.Year), fmt.Sprint(v.Year-1))
		v.Compare = c
	}
	if v.Facets, err = s.facets(r); err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, t := range v.ByMark {
		if info, ok := s.mark(t.Value); ok {
			names[t.Value] = info.Name
		}
	}
	marks := make([]store.Tally, len(v.ByMark))
	for i, t := range v.ByMark {
		marks[i] = t
		if n := names[t.Value]; n != "" {
			marks[i].Value = n
		}
	}
	kinds := make([]store.Tally, len(v.ByKind))
	for i, t := range v.ByKind {
		kinds[i] = t
		kinds[i].Value = KindLabel(t.Value)
	}
	v.Tables = []dashboardTable{
		{ID: "by-mark", Title: "By mark", Column: "Mark", Rows: marks},
		{ID: "by-kind", Title: "By kind of mark", Column: "Kind", Rows: kinds},
		{ID: "by-site", Title: "By site", Column: "Site", Rows: v.BySite},
		{ID: "by-seller", Title: "Sellers with the most suspects", Column: "Seller", Rows: v.BySeller},
		{ID: "by-province", Title: "By ship-from province", Column: "Province", Rows: v.ByProvince},
	}
	for i := range v.Tables {
		v.Tables[i].Chart = barChart(v.Tables[i].Title, v.Tables[i].Rows, 12)
	}
	v.DayChart = dayChart(v.ByDay)
	v.Query = url.Values{}
	for _, k := range []string{"sweep", "run", "from", "to", "holiday", "year"} {
		if val := q.Get(k); val != "" {
			v.Query.Set(k, val)
		}
	}
	v.XLSX = "/dashboard.xlsx?" + v.Query.Encode()
	return v, nil
}

func (s *Server) dashboardPage(w http.ResponseWriter, r *http.Request, p *principal) {
	v, err := s.dashboardData(r)
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	s.render(w, r, "dashboard.html", p, "Campaign dashboard", v)
}

func (s *Server) apiDashboard(w http.ResponseWriter, r *http.Request, p *principal) {
	v, err := s.dashboardData(r)
	if err != nil {
		s.failErr(w, r, true, err)
		return
	}
	out := map[string]any{"dashboard": v.Dashboard}
	if v.Compare != nil {
		out["holiday"] = map[string]any{"name": v.Compare.Name, "this_year": v.Compare.This.Totals, "last_year": v.Compare.Last.Totals,
			"this_range": v.Compare.ThisRange, "last_range": v.Compare.LastRange}
	}
	writeJSON(w, http.StatusOK, out)
}

var tallyHeader = []string{"", "Listings", "Suspects", "Confirmed", "Dismissed", "Takedowns requested", "Removed"}

func tallyCells(t store.Tally) []any {
	return []any{excelize.Cell{Value: t.Value}, t.Listings, t.Suspects, t.Confirmed, t.Dismissed, t.Requested, t.Removed}
}

// dashboardXLSX writes the dashboard's tables, one sheet each. Labels are
// string cells, never formulas.
func (s *Server) dashboardXLSX(w http.ResponseWriter, r *http.Request, p *principal) {
	v, err := s.dashboardData(r)
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	f := excelize.NewFile()
	defer f.Close()
	sheet := func(name, column string, rows []store.Tally) error {
		if _, err := f.NewSheet(name); err != nil {
			return err
		}
		sw, err := f.NewStreamWriter(name)
		if err != nil {
			return err
		}
		header := append([]string{column}, tallyHeader[1:]...)
		cells := make([]any, len(header))
		for i, h := range header {
			cells[i] = excelize.Cell{Value: h}
		}
		if err := sw.SetRow("A1", cells); err != nil {
			return err
		}
		for i, t := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			if err := sw.SetRow(cell, tallyCells(t)); err != nil {
				return err
			}
		}
		return sw.Flush()
	}
	totals := v.Totals
	totals.Value = "all listings in scope"
	sheets := []struct {
		name, column string
		rows         []store.Tally
	}{{"Totals", "Scope", []store.Tally{totals}}}
	for _, t := range v.Tables {
		sheets = append(sheets, struct {
			name, column string
			rows         []store.Tally
		}{strings.TrimPrefix(strings.TrimPrefix(t.Title, "By "), "Sellers with the most suspects"), t.Column, t.Rows})
	}
	sheets[len(sheets)-2].name = "Sellers"
	sheets = append(sheets, struct {
		name, column string
		rows         []store.Tally
	}{"Day", "Day (first seen, UTC)", v.ByDay})
	if v.Compare != nil {
		this, last := v.Compare.This.Totals, v.Compare.Last.Totals
		this.Value = fmt.Sprintf("%s %d (%s)", v.Compare.Name, v.Year, v.Compare.ThisRange)
		last.Value = fmt.Sprintf("%s %d (%s)", v.Compare.Name, v.Year-1, v.Compare.LastRange)
		sheets = append(sheets, struct {
			name, column string
			rows         []store.Tally
		}{"Holiday", "Holiday", []store.Tally{this, last}})
	}
	for _, sh := range sheets {
		if err := sheet(sh.name, sh.column, sh.rows); err != nil {
			s.serverError(w, r, false, err)
			return
		}
	}
	f.DeleteSheet("Sheet1")
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		s.serverError(w, r, false, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="markwatch-campaign.xlsx"`)
	w.Write(buf.Bytes())
}

// ---- SVG charts ----

// barChart draws the suspects of the first n rows as horizontal bars with
// the confirmed part darker. Every label is escaped: seller names come
// from marketplaces.
func barChart(title string, rows []store.Tally, n int) template.HTML {
	rows = rows[:min(n, len(rows))]
	if len(rows) == 0 {
		return ""
	}
	const labelW, barW, rowH = 150, 300, 18
	most := 1
	for _, t := range rows {
		most = max(most, t.Suspects)
	}
	var b strings.Builder
	h := rowH*len(rows) + 24
	fmt.Fprintf(&b, `<svg class="chart" role="img" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg"><title>%s: suspects (bar) and confirmed (dark part)</title>`,
		labelW+barW+60, h, labelW+barW+60, h, html.EscapeString(title))
	for i, t := range rows {
		y := 4 + i*rowH
		label := []rune(t.Value)
		if len(label) > 18 {
			label = append(label[:17], '…')
		}
		ws := barW * t.Suspects / most
		wc := barW * min(t.Confirmed, t.Suspects) / most
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`, labelW-6, y+12, html.EscapeString(string(label)))
		fmt.Fprintf(&b, `<rect class="bar" x="%d" y="%d" width="%d" height="%d"/>`, labelW, y+2, ws, rowH-5)
		fmt.Fprintf(&b, `<rect class="bar b2" x="%d" y="%d" width="%d" height="%d"/>`, labelW, y+2, wc, rowH-5)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%d</text>`, labelW+ws+4, y+12, t.Suspects)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d">bar: suspects · dark: confirmed</text></svg>`, labelW, h-4)
	return template.HTML(b.String())
}

// dayChart draws suspects per day as columns.
func dayChart(days []store.Tally) template.HTML {
	if len(days) == 0 {
		return ""
	}
	const w, h = 720, 160
	most := 1
	for _, t := range days {
		most = max(most, t.Suspects)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" id="day-chart" role="img" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg"><title>Suspects per day (dark: confirmed)</title>`, w, h+30, w, h+30)
	col := float64(w-40) / float64(len(days))
	for i, t := range days {
		x := 30 + float64(i)*col
		hs := h * t.Suspects / most
		hc := h * min(t.Confirmed, t.Suspects) / most
		fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%d" width="%.1f" height="%d"><title>%s: %d suspects, %d confirmed</title></rect>`,
			x, h-hs+4, max(col-1, 0.5), hs, t.Value, t.Suspects, t.Confirmed)
		fmt.Fprintf(&b, `<rect class="bar b2" x="%.1f" y="%d" width="%.1f" height="%d"/>`, x, h-hc+4, max(col-1, 0.5), hc)
	}
	fmt.Fprintf(&b, `<line class="axis" x1="30" y1="%d" x2="%d" y2="%d"/>`, h+4, w-10, h+4)
	fmt.Fprintf(&b, `<text x="30" y="%d">%s</text><text x="%d" y="%d" text-anchor="end">%s</text><text x="2" y="14">%d</text></svg>`,
		h+20, days[0].Value, w-10, h+20, days[len(days)-1].Value, most)
	return template.HTML(b.String())
}

// pairedDayChart draws a holiday's days this year and last year side by
// side, day 1 of the break against day 1.
func pairedDayChart(this, last []store.Tally, thisLabel, lastLabel string) template.HTML {
	n := max(len(this), len(last))
	if n == 0 {
		return ""
	}
	const w, h = 720, 140
	most := 1
	for _, t := range append(append([]store.Tally{}, this...), last...) {
		most = max(most, t.Suspects)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" id="holiday-chart" role="img" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg"><title>Suspects per day of the holiday: %s against %s</title>`,
		w, h+30, w, h+30, thisLabel, lastLabel)
	col := float64(w-40) / float64(n)
	for i := 0; i < n; i++ {
		x := 30 + float64(i)*col
		for j, side := range [][]store.Tally{this, last} {
			if i >= len(side) {
				continue
			}
			hs := h * side[i].Suspects / most
			class := "bar"
			if j == 1 {
				class = "bar b2"
			}
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%d" width="%.1f" height="%d"><title>%s: %d suspects</title></rect>`,
				class, x+float64(j)*col/2, h-hs+4, max(col/2-1, 0.5), hs, side[i].Value, side[i].Suspects)
		}
	}
	fmt.Fprintf(&b, `<line class="axis" x1="30" y1="%d" x2="%d" y2="%d"/><text x="30" y="%d">blue: %s · orange: %s (day by day of the break)</text></svg>`,
		h+4, w-10, h+4, h+22, thisLabel, lastLabel)
	return template.HTML(b.String())
}
