package review_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/xuri/excelize/v2"

	"github.com/markwatch/markwatch/review"
)

func TestHostileListingDataIsInertOnEveryPage(t *testing.T) {
	f := newFixture(t, review.Options{})
	admin, csrf := f.login("adam")
	// Put the hostile listing through the whole workflow so that it shows
	// on every page: decided, batched, requested.
	resp, _ := f.do(admin, "POST", fmt.Sprintf("/api/v1/listings/%d/decision", f.hostile), "", csrf, "application/json",
		`{"status":"confirmed","note":"<script>window.__xss=10</script>"}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("confirm: %d", resp.StatusCode)
	}
	var batch struct{ ID int64 }
	_, body := f.do(admin, "POST", "/api/v1/batches", "", csrf, "application/json", `{"site":"shop"}`)
	json.Unmarshal([]byte(body), &batch)
	pages := []string{
		"/queue", "/queue?status=any&all=1", "/queue?status=confirmed",
		fmt.Sprintf("/listings/%d", f.hostile),
		"/seller?site=shop&name=" + url.QueryEscape(xssSeller),
		"/runs", "/runs/" + url.PathEscape("<i>run</i>"), "/dashboard", "/calibration",
		"/exports", fmt.Sprintf("/exports/%d", batch.ID),
		"/audit", "/users", "/account",
	}
	for _, p := range pages {
		html := f.get(admin, p, http.StatusOK)
		if m := rawPayload.FindString(html); m != "" {
			t.Errorf("GET %s: hostile markup %q rendered unescaped", p, m)
		}
	}
	listing := f.get(admin, fmt.Sprintf("/listings/%d", f.hostile), http.StatusOK)
	for _, want := range []string{
		`&lt;script&gt;window.__xss=1&lt;/script&gt;`, // the title, shown as text
		`<mark class="" title="Nike (registered trademark)">Nike</mark>`,
		`sandbox=""`,
	} {
		if !strings.Contains(listing, want) {
			t.Errorf("listing page lacks %s", want)
		}
	}
	if strings.Contains(listing, `id="listing-link"`) {
		t.Error("a javascript: listing URL became a link")
	}
	// JSON is escaped too, and served as JSON.
	resp, body = f.do(admin, "GET", fmt.Sprintf("/api/v1/listings/%d", f.hostile), "", "", "", "")
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") || strings.Contains(body, "<script>") {
		t.Errorf("API: content type %q, raw markup present: %v", ct, strings.Contains(body, "<script>"))
	}
	// Every page forbids inline scripts.
	resp, _ = f.do(admin, "GET", "/queue", "", "", "", "")
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline'; ") && strings.Contains(csp, "script-src 'unsafe") {
		t.Errorf("CSP = %q", csp)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers = %v", resp.Header)
	}
}

func TestEvidenceIsServedWithoutScripts(t *testing.T) {
	f := newFixture(t, review.Options{})
	c, _ := f.login("vera")
	resp, body := f.do(c, "GET", "/evidence/"+f.evidence, "", "", "", "")
	if resp.StatusCode != http.StatusOK || body != xssPage {
		t.Fatalf("evidence: %d %q", resp.StatusCode, body)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.HasPrefix(csp, "sandbox;") || strings.Contains(csp, "allow-scripts") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("evidence CSP = %q, want a sandbox without scripts and no fetches", csp)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("content type = %q", ct)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no nosniff")
	}
	resp, _ = f.do(c, "GET", "/evidence/"+f.evidence+"?download=1", "", "", "", "")
	if resp.Header.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("download headers = %v", resp.Header)
	}
	for _, bad := range []string{"..%2F..%2Fetc%2Fpasswd", "00", strings.Repeat("0", 64)} {
		if resp, _ := f.do(c, "GET", "/evidence/"+bad, "", "", "", ""); resp.StatusCode != http.StatusNotFound {
			t.Errorf("evidence %q: %d, want 404", bad, resp.StatusCode)
		}
	}
	var meta struct {
		Verified bool
		Meta     struct{ SHA256 string }
	}
	f.getJSON(c, "/api/v1/evidence/"+f.evidence, &meta)
	if !meta.Verified || meta.Meta.SHA256 != f.evidence {
		t.Errorf("evidence API = %+v", meta)
	}
	// Anonymous: no evidence.
	if resp, _ := f.do(nil, "GET", "/api/v1/evidence/"+f.evidence, "", "", "", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous evidence: %d", resp.StatusCode)
	}
}

func TestAccessRules(t *testing.T) {
	f := newFixture(t, review.Options{})
	decide := fmt.Sprintf("/api/v1/listings/%d/decision", f.plain)
	form := fmt.Sprintf("/listings/%d/decide", f.plain)
	confirm := `{"status":"confirmed"}`
	check := func(name string, resp *http.Response, want int) {
		t.Helper()
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", name, resp.StatusCode, want)
		}
	}
	// No session, no token: 401 for writes and API reads; pages redirect to the login.
	r, _ := f.do(nil, "POST", decide, "", "", "application/json", confirm)
	check("API write, anonymous", r, 401)
	r, _ = f.do(nil, "POST", form, "", "", "application/x-www-form-urlencoded", "status=confirmed")
	check("form write, anonymous", r, 401)
	r, _ = f.do(nil, "POST", "/api/v1/batches", "", "", "application/json", "{}")
	check("batch, anonymous", r, 401)
	r, _ = f.do(nil, "GET", "/api/v1/listings", "", "", "", "")
	check("API read, anonymous", r, 401)
	r, _ = f.do(nil, "GET", "/queue", "", "", "", "")
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login?next=") {
		t.Errorf("page, anonymous: %d → %s", r.StatusCode, r.Header.Get("Location"))
	}
	r, _ = f.do(nil, "POST", decide, "mwt_forged", "", "application/json", confirm)
	check("forged token", r, 401)

	// Without the role: 403.
	r, _ = f.do(nil, "POST", decide, f.tokens["vera"], "", "application/json", confirm)
	check("viewer token write", r, 403)
	viewer, viewerCSRF := f.login("vera")
	r, _ = f.do(viewer, "POST", form, "", "", "application/x-www-form-urlencoded", "status=confirmed&csrf="+viewerCSRF)
	check("viewer session write", r, 403)
	r, _ = f.do(nil, "GET", "/api/v1/users", f.tokens["rita"], "", "", "")
	check("reviewer lists users", r, 403)
	reviewer, csrf := f.login("rita")
	r, _ = f.do(reviewer, "GET", "/users", "", "", "", "")
	check("reviewer users page", r, 403)

	// A session without (or with a wrong) CSRF token: 403.
	r, _ = f.do(reviewer, "POST", form, "", "", "application/x-www-form-urlencoded", "status=confirmed")
	check("session write without CSRF", r, 403)
	r, _ = f.do(reviewer, "POST", form, "", "", "application/x-www-form-urlencoded", "status=confirmed&csrf=guess")
	check("session write with a wrong CSRF token", r, 403)
	r, _ = f.do(reviewer, "POST", decide, "", "", "application/json", confirm)
	check("session API write without CSRF", r, 403)
	_, other := f.login("adam") // another session's token does not fit
	r, _ = f.do(reviewer, "POST", form, "", "", "application/x-www-form-urlencoded", "status=confirmed&csrf="+other)
	check("session write with another session's CSRF token", r, 403)
	r, _ = f.do(reviewer, "POST", "/logout", "", "", "application/x-www-form-urlencoded", "")
	check("logout without CSRF", r, 403)
	if d, _ := f.store.Listing(t.Context(), f.plain); d.Status != "new" {
		t.Fatalf("a refused write changed the listing: %s", d.Status)
	}

	// Allowed: reviewer session with CSRF, reviewer token without.
	r, _ = f.do(reviewer, "POST", form, "", "", "application/x-www-form-urlencoded", "status=confirmed&note=ok&csrf="+url.QueryEscape(csrf))
	// Decide and next: on to the next listing of the default queue.
	if loc := r.Header.Get("Location"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, fmt.Sprintf("/listings/%d?from=", f.hostile)) {
		t.Errorf("reviewer form write: %d → %s", r.StatusCode, r.Header.Get("Location"))
	}
	r, body := f.do(nil, "POST", decide, f.tokens["rita"], "", "application/json", `{"status":"dismissed","note":"second look"}`)
	check("reviewer token write", r, 200)
	if !strings.Contains(body, fmt.Sprintf(`"changed": [
    %d`, f.plain)) {
		t.Errorf("decision body = %s", body)
	}
	r, _ = f.do(nil, "POST", decide, f.tokens["rita"], "", "application/json", `{"status":"takedown_requested"}`)
	check("a change the workflow forbids", r, 409)
	r, _ = f.do(nil, "POST", "/api/v1/users", f.tokens["adam"], "", "application/json", `{"name":"nina","role":"viewer","password":"long enough pw"}`)
	check("admin adds a user", r, 201)
	d, _ := f.store.Listing(t.Context(), f.plain)
	if len(d.Decisions) != 2 || d.Decisions[0].Actor != "rita" || d.Decisions[0].Note != "ok" || d.Decisions[1].Note != "second look" {
		t.Errorf("decisions = %+v", d.Decisions)
	}
}

func TestLoginAndCookies(t *testing.T) {
	f := newFixture(t, review.Options{Secure: true})
	c := f.client()
	token := f.loginCSRF(c)
	// Wrong password: back to the form with a message, no session.
	resp, _ := f.do(c, "POST", "/login", "", "", "application/x-www-form-urlencoded",
		url.Values{"name": {"rita"}, "password": {"wrong password"}, "csrf": {token}}.Encode())
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "error=auth") {
		t.Errorf("wrong password: %d → %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if html := f.get(c, resp.Header.Get("Location"), http.StatusOK); !strings.Contains(html, "Wrong name or password.") {
		t.Error("the login page does not say why")
	}
	if html := f.get(c, "/login?error=Call+0800+now", http.StatusOK); strings.Contains(html, "Call 0800") {
		t.Error("the login page shows text from its URL")
	}
	token = f.loginCSRF(c) // each login form has a fresh token
	// No login CSRF token: 403.
	resp, _ = f.do(f.client(), "POST", "/login", "", "", "application/x-www-form-urlencoded",
		url.Values{"name": {"rita"}, "password": {password}}.Encode())
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("login without CSRF: %d", resp.StatusCode)
	}
	// Success; an off-site "next" is ignored.
	resp, _ = f.do(c, "POST", "/login", "", "", "application/x-www-form-urlencoded",
		url.Values{"name": {"rita"}, "password": {password}, "csrf": {token}, "next": {"//evil.example/x"}}.Encode())
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/queue" {
		t.Errorf("login: %d → %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if strings.Contains(ck.Name, "mw_session") {
			session = ck
		}
	}
	if session == nil || session.Name != "__Host-mw_session" || !session.Secure || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" {
		t.Fatalf("session cookie = %+v", session)
	}
}

func TestDemoUserIsLoggedInAutomatically(t *testing.T) {
	f := newFixture(t, review.Options{DemoUser: "demo"})
	c := f.client()
	html := f.get(c, "/queue", http.StatusOK)
	if !strings.Contains(html, `<a href="/account"><bdi>demo</bdi></a>`) || !strings.Contains(html, "Nike") {
		t.Error("the demo queue does not show the demo reviewer and the suspects")
	}
	var me struct {
		User struct{ Name, Role string }
		CSRF string
	}
	f.getJSON(c, "/api/v1/me", &me)
	if me.User.Name != "demo" || me.User.Role != "reviewer" {
		t.Errorf("demo user = %+v", me.User)
	}
	// Still no write without the CSRF token.
	r, _ := f.do(c, "POST", fmt.Sprintf("/api/v1/listings/%d/decision", f.plain), "", "", "application/json", `{"status":"confirmed"}`)
	if r.StatusCode != http.StatusForbidden {
		t.Errorf("demo write without CSRF: %d", r.StatusCode)
	}
	r, _ = f.do(c, "POST", fmt.Sprintf("/api/v1/listings/%d/decision", f.plain), "", me.CSRF, "application/json", `{"status":"confirmed"}`)
	if r.StatusCode != http.StatusOK {
		t.Errorf("demo write: %d", r.StatusCode)
	}
}

func TestSQLFragmentsInFiltersAreHarmless(t *testing.T) {
	f := newFixture(t, review.Options{})
	token := f.tokens["vera"]
	for _, evil := range []string{"' OR '1'='1", "x'; DROP TABLE listings; --", "1 UNION SELECT password_hash FROM users --", `")--`} {
		for _, key := range []string{"site", "seller", "mark", "sweep", "run", "q"} {
			q := url.Values{key: {evil}, "all": {"1"}}.Encode()
			resp, body := f.do(nil, "GET", "/api/v1/listings?"+q, token, "", "", "")
			var got struct{ Total int }
			json.Unmarshal([]byte(body), &got)
			if resp.StatusCode != 200 || got.Total != 0 || strings.Contains(body, "$2a$") {
				t.Errorf("%s=%q: %d, total %d", key, evil, resp.StatusCode, got.Total)
			}
			if resp, _ := f.do(nil, "GET", "/queue?"+q, token, "", "", ""); resp.StatusCode != 200 {
				t.Errorf("page %s=%q: %d", key, evil, resp.StatusCode)
			}
		}
		for _, key := range []string{"status", "kind", "sort", "score", "from", "page", "per"} {
			q := url.Values{key: {evil}}.Encode()
			if resp, _ := f.do(nil, "GET", "/api/v1/listings?"+q, token, "", "", ""); resp.StatusCode != 400 {
				t.Errorf("API %s=%q: %d, want 400", key, evil, resp.StatusCode)
			}
			if resp, body := f.do(nil, "GET", "/queue?"+q, token, "", "", ""); resp.StatusCode != 400 || !strings.Contains(body, `class="error"`) {
				t.Errorf("page %s=%q: %d, want 400 with the error shown", key, evil, resp.StatusCode)
			}
		}
	}
}

func TestNeutralize(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+1": "'+1", "-1": "'-1", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "\rx": "'\rx",
		"Nike": "Nike", "": "", "1-2": "1-2", "高仿=": "高仿=",
	} {
		if got := review.Neutralize(in); got != want {
			t.Errorf("Neutralize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExportsAreNeutralisedAndRecorded(t *testing.T) {
	f := newFixture(t, review.Options{Marks: review.MarkMap{"Adidas": {Name: "阿迪达斯", Owner: "adidas AG", Registration: "G730835"}}})
	rita := f.tokens["rita"]
	r, _ := f.do(nil, "POST", "/api/v1/decisions", rita, "", "application/json", fmt.Sprintf(`{"ids":[%d,%d],"status":"confirmed"}`, f.plain, f.hostile))
	if r.StatusCode != 200 {
		t.Fatalf("confirm: %d", r.StatusCode)
	}
	r, body := f.do(nil, "POST", "/api/v1/batches", rita, "", "application/json", `{"site":"mart"}`)
	var batch struct {
		ID   int64
		Size int
	}
	json.Unmarshal([]byte(body), &batch)
	if r.StatusCode != 201 || batch.Size != 1 {
		t.Fatalf("batch: %d %s", r.StatusCode, body)
	}
	r, body = f.do(nil, "GET", fmt.Sprintf("/api/v1/batches/%d/takedown.csv", batch.ID), f.tokens["vera"], "", "", "")
	if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("csv: %d %v", r.StatusCode, r.Header)
	}
	records, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil || len(records) != 2 {
		t.Fatalf("csv: %v %d records", err, len(records))
	}
	if strings.Join(records[0], "|") != strings.Join(review.TakedownHeader, "|") {
		t.Errorf("header = %v", records[0])
	}
	row := map[string]string{}
	for i, h := range records[0] {
		row[h] = records[1][i]
	}
	if row["Title"] != "'+Adidas 高仿 -1+2 @SUM(A1)" || row["Seller"] != `'=HYPERLINK("http://evil.example","click")` {
		t.Errorf("CSV cells not neutralised: title %q seller %q", row["Title"], row["Seller"])
	}
	if row["Mark"] != "阿迪达斯" || row["Owner"] != "adidas AG" || row["Registration number"] != "G730835" || row["Platform"] != "mart" || row["Listing URL"] != "https://mart.example/item/p1" {
		t.Errorf("takedown row = %v", row)
	}

	r, body = f.do(nil, "GET", fmt.Sprintf("/api/v1/batches/%d/takedown.xlsx", batch.ID), f.tokens["vera"], "", "", "")
	if r.StatusCode != 200 {
		t.Fatalf("xlsx: %d", r.StatusCode)
	}
	x, err := excelize.OpenReader(bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := x.GetRows("Takedown")
	if len(rows) != 2 || rows[1][3] != "'+Adidas 高仿 -1+2 @SUM(A1)" || rows[1][4] != `'=HYPERLINK("http://evil.example","click")` {
		t.Errorf("xlsx rows = %q", rows)
	}
	for col := 1; col <= len(review.TakedownHeader); col++ {
		cell, _ := excelize.CoordinatesToCellName(col, 2)
		if formula, _ := x.GetCellFormula("Takedown", cell); formula != "" {
			t.Errorf("cell %s is a formula: %s", cell, formula)
		}
	}

	// Marking the batch requested records it: status, decision, audit.
	r, _ = f.do(nil, "POST", fmt.Sprintf("/api/v1/batches/%d/requested", batch.ID), rita, "", "application/json", `{"note":"portal ticket 7"}`)
	if r.StatusCode != 200 {
		t.Fatalf("requested: %d", r.StatusCode)
	}
	d, _ := f.store.Listing(t.Context(), f.plain)
	if d.Status != "takedown_requested" || d.Decisions[len(d.Decisions)-1].Batch != batch.ID {
		t.Errorf("after request: %s %+v", d.Status, d.Decisions)
	}
	r, body = f.do(nil, "GET", "/api/v1/audit?limit=1", rita, "", "", "")
	if !strings.Contains(body, `"action": "request_batch"`) || !strings.Contains(body, `"actor": "rita"`) {
		t.Errorf("audit = %s", body)
	}
	r, _ = f.do(nil, "POST", fmt.Sprintf("/api/v1/batches/%d/requested", batch.ID), rita, "", "application/json", `{}`)
	if r.StatusCode != 409 {
		t.Errorf("requesting twice: %d", r.StatusCode)
	}
}

func TestMetrics(t *testing.T) {
	f := newFixture(t, review.Options{})
	f.do(nil, "GET", "/api/v1/listings", f.tokens["vera"], "", "", "")
	f.do(nil, "GET", "/api/v1/listings", "", "", "", "")
	for code, want := range map[string]float64{"200": 1, "401": 1} {
		if got := requests(t, f, "api_listings", code); got != want {
			t.Errorf("markwatch_http_requests_total{handler=api_listings,code=%s} = %v, want %v", code, got, want)
		}
	}
	problems, err := testutil.GatherAndLint(f.reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("metric %s: %s", p.Metric, p.Text)
	}
}

func requests(t *testing.T, f *fixture, handler, code string) float64 {
	t.Helper()
	mfs, err := f.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "markwatch_http_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["handler"] == handler && labels["code"] == code {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
