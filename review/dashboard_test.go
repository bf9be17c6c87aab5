package review_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
)

// TestDashboardXLSXHasTheSameTables checks the workbook against the JSON
// API's numbers.
func TestDashboardXLSXHasTheSameTables(t *testing.T) {
	f := triageFixture(t)
	token := f.tokens["vera"]
	_, body := f.do(nil, "GET", "/api/v1/dashboard?holiday=national_day", token, "", "", "")
	var got struct {
		Dashboard struct {
			Totals struct{ Suspects int }
			BySite []struct {
				Value    string
				Suspects int
			} `json:"by_site"`
		}
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil || got.Dashboard.Totals.Suspects != 25 {
		t.Fatalf("dashboard JSON: %v %s", err, body)
	}
	resp, xlsx := f.do(nil, "GET", "/dashboard.xlsx?holiday=national_day", token, "", "", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("xlsx: %d", resp.StatusCode)
	}
	book, err := excelize.OpenReader(bytes.NewReader([]byte(xlsx)))
	if err != nil {
		t.Fatal(err)
	}
	for _, sheet := range []string{"Totals", "mark", "kind of mark", "site", "Sellers", "ship-from province", "Day", "Holiday"} {
		if idx, _ := book.GetSheetIndex(sheet); idx < 0 {
			t.Errorf("no sheet %q in %v", sheet, book.GetSheetList())
		}
	}
	rows, _ := book.GetRows("site")
	if len(rows) != len(got.Dashboard.BySite)+1 || rows[1][0] != got.Dashboard.BySite[0].Value || rows[1][2] != "22" {
		t.Errorf("site sheet %v, JSON %+v", rows, got.Dashboard.BySite)
	}
	// Seller names are labels, never formulas.
	sellers, _ := book.GetRows("Sellers")
	for i := range sellers {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if formula, _ := book.GetCellFormula("Sellers", cell); formula != "" {
			t.Errorf("formula in the sellers sheet at %s: %q", cell, formula)
		}
	}
	if resp, _ := f.do(nil, "GET", "/api/v1/dashboard?holiday=nonsense", token, "", "", ""); resp.StatusCode != 400 {
		t.Errorf("unknown holiday: %d", resp.StatusCode)
	}
}

// TestBrowserDashboard renders the dashboard in Chromium (charts drawn, no
// script or style blocked by the CSP) and its print view.
func TestBrowserDashboard(t *testing.T) {
	f := triageFixture(t)
	b := newBrowser(t, f, "vera")
	b.do("open the dashboard", chromedp.Navigate(f.srv.URL+"/dashboard?holiday=national_day&year="+time.Now().Format("2006")),
		chromedp.WaitVisible(chromedp.CSS("#by-day svg")))
	if n := b.eval(`String(document.querySelectorAll("svg.chart").length)`); n < "6" || len(n) != 1 {
		t.Errorf("%s charts, want 7 (day, holiday, five tables)", n)
	}
	// Drawn, not just present: the bars have width and the site chart
	// names taobao.
	if w := b.eval(`String(document.querySelector("#by-site svg rect.bar").getBBox().width > 0)`); w != "true" {
		t.Errorf("site chart bars have no width")
	}
	if got := b.eval(`document.querySelector("#by-site svg").textContent`); !strings.Contains(got, "taobao") {
		t.Errorf("site chart labels: %q", got)
	}
	if got := b.text("#total-suspects"); got != "25" {
		t.Errorf("total suspects %q, want 25", got)
	}
	b.do("print media", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	}))
	if got := b.eval(`getComputedStyle(document.querySelector("header.top")).display + " " + getComputedStyle(document.getElementById("dash-filters")).display + " " + getComputedStyle(document.querySelector("#by-day svg")).display`); got != "none none block" && got != "none none inline" {
		t.Errorf("print view: header, filters, chart display = %q", got)
	}
	var pdf []byte
	b.do("print to PDF", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		var err error
		res, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{})
		if err == nil {
			pdf = res.Data
		}
		return err
	}))
	if !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Errorf("print to PDF gave %d bytes", len(pdf))
	}
}
