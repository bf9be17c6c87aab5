package review

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/evidence"
	"github.com/markwatch/markwatch/store"
)

// page is what every template gets.
type page struct {
	Title string
	User  store.User
	CSRF  string
	Nav   string
	Flash string
	Body  any
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, p *principal, title string, body any) {
	s.renderCode(w, r, http.StatusOK, name, p, title, body)
}

// renderCode renders a page with a status code. Headers (the flash cookie
// among them) are all set before the status is written.
func (s *Server) renderCode(w http.ResponseWriter, r *http.Request, code int, name string, p *principal, title string, body any) {
	t := s.pages[name]
	if t == nil {
		s.log.Error("no such template", "template", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	pg := page{Title: title, Nav: strings.TrimSuffix(name, ".html"), Body: body}
	if p != nil {
		pg.User, pg.CSRF = p.User, p.CSRF()
		pg.Flash = s.takeFlash(w, r)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", pg); err != nil {
		s.log.Error("render", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

func (s *Server) routes() {
	s.mux.Handle("GET /static/", s.metrics.instrument("static", staticHandler()))
	s.mux.Handle("GET /api/v1/openapi.yaml", s.metrics.instrument("openapi", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Write(openapiYAML)
	})))
	s.handle("GET /{$}", "root", read, func(w http.ResponseWriter, r *http.Request, p *principal) {
		http.Redirect(w, r, "/queue", http.StatusSeeOther)
	})
	s.handle("GET /login", "login", public, s.loginPage)
	s.handle("POST /login", "login", public, s.login)
	s.handle("POST /logout", "logout", read, s.logout)
	s.handle("GET /queue", "queue", read, s.queuePage)
	s.handle("POST /queue/decide", "decide_bulk", write, s.decideForm)
	s.handle("GET /listings/{id}", "listing", read, s.listingPage)
	s.handle("POST /listings/{id}/decide", "decide", write, s.decideForm)
	s.handle("GET /listings/{id}/next", "skip", read, s.skip)
	s.handle("POST /undo", "undo", write, s.undoForm)
	s.handle("GET /queue/bulk", "bulk", write, s.bulkPage)
	s.handle("POST /queue/bulk", "decide_filter", write, s.bulkForm)
	s.handle("GET /seller", "seller", read, s.sellerPage)
	s.handle("GET /runs", "runs", read, s.runsPage)
	s.handle("GET /notifications", "notifications", read, s.notificationsPage)
	s.handle("GET /networks", "networks", read, s.networksPage)
	s.handle("GET /networks/{id}", "network", read, s.networkPage)
	s.handle("GET /networks/{id}/export.csv", "network_export", read, s.networkExport)
	s.handle("POST /networks/{id}/batch", "network_batch", write, s.networkBatchForm)
	s.handle("GET /runs/{id}", "run", read, s.runPage)
	s.handle("GET /exports", "exports", read, s.exportsPage)
	s.handle("POST /exports", "create_batch", write, s.createBatchForm)
	s.handle("GET /exports/{id}", "batch", read, s.batchPage)
	s.handle("GET /exports/{id}/takedown.csv", "export_csv", read, s.exportCSV)
	s.handle("GET /exports/{id}/takedown.xlsx", "export_xlsx", read, s.exportXLSX)
	s.handle("GET /exports/{id}/export", "export_profile", read, s.exportProfile)
	s.handle("GET /exports/{id}/evidence.zip", "evidence_bundle", read, s.evidenceBundle)
	s.handle("POST /exports/{id}/requested", "request_batch", write, s.requestBatchForm)
	s.handle("GET /evidence/{hash}", "evidence", read, s.evidenceRaw)
	s.handle("GET /audit", "audit", read, s.auditPage)
	s.handle("GET /users", "users", admin, s.usersPage)
	s.handle("POST /users", "add_user", admin, s.addUserForm)
	s.handle("POST /users/{name}", "update_user", admin, s.updateUserForm)
	s.handle("GET /account", "account", read, s.accountPage)
	s.handle("POST /account/tokens", "create_token", write, s.createTokenForm)
	s.handle("POST /account/tokens/{id}/revoke", "revoke_token", read, s.revokeTokenForm)
	s.handle("GET /users/{name}/tokens", "user_tokens", admin, s.userTokensPage)
	s.handle("GET /dashboard", "dashboard", read, s.dashboardPage)
	s.handle("GET /calibration", "calibration", read, s.calibrationPage)
	s.handle("POST /calibration/weights", "apply_weights", admin, s.applyWeightsForm)
	s.handle("GET /dashboard.xlsx", "dashboard_xlsx", read, s.dashboardXLSX)
	s.apiRoutes()
	s.photoRoutes()
}

// ---- login ----

const loginCSRFCookie = "mw_login_csrf"

// loginErrors are the messages the login page shows, by code: the page
// never displays text taken from its URL.
var loginErrors = map[string]string{
	"auth":   "Wrong name or password.",
	"locked": "Too many failed attempts: wait a minute and try again.",
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, _ *principal) {
	// Login CSRF: a double-submit token, since there is no session yet.
	token := randomString(24)
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: token, Path: "/login", HttpOnly: true,
		Secure: s.opts.Secure, SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	s.render(w, r, "login.html", nil, "Log in", map[string]any{
		"Next": localNext(r.URL.Query().Get("next")), "LoginCSRF": token, "Error": loginErrors[r.URL.Query().Get("error")],
	})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, _ *principal) {
	c, err := r.Cookie(loginCSRFCookie)
	if err != nil || c.Value == "" || r.PostFormValue("csrf") != c.Value {
		s.fail(w, r, false, http.StatusForbidden, "missing or wrong CSRF token: reload the login page and try again")
		return
	}
	name, password := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("password")
	next := localNext(r.PostFormValue("next"))
	back := "/login?next=" + url.QueryEscape(next) + "&error="
	if s.logins.locked(name) {
		http.Redirect(w, r, back+"locked", http.StatusSeeOther)
		return
	}
	u, err := s.store.Authenticate(r.Context(), name, password)
	if errors.Is(err, store.ErrAuth) {
		s.logins.failed(name)
		s.log.Warn("login failed", "user", name, "remote", r.RemoteAddr)
		http.Redirect(w, r, back+"auth", http.StatusSeeOther)
		return
	}
	if err != nil {
		s.serverError(w, r, false, err)
		return
	}
	s.logins.succeeded(name)
	if _, err := s.startSession(r.Context(), w, u); err != nil {
		s.serverError(w, r, false, err)
		return
	}
	s.store.Audit(r.Context(), u.Name, "login", "user "+u.Name, "")
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, p *principal) {
	if p.Session != nil {
		s.store.DeleteSession(r.Context(), p.Session.Token)
	}
	http.SetCookie(w, &http.Cookie{Name: s.sessionCookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.opts.Secure, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// ---- queue ----

// defaultOrder applies the queue's default order when the request names
// none: the likelihood calibrated from the team's decisions once there are
// enough of them (store.Calibrated), else the shipped score. A search (text
// or seller substring) lists its matches by score: the likelihood order
// reads one signal combination at a time, so a broad search would check
// each combination's candidates in turn.
func (s *Server) defaultOrder(r *http.Request, f *store.Filter) error {
	if r.URL.Query().Has("sort") || f.Q != "" || f.Seller != "" && !f.SellerExact {
		return nil
	}
	calibrated, err := s.store.Calibrated(r.Context())
	if calibrated {
		f.Sort = "likely"
	}
	return err
}

// parseFilter reads the queue's filters from a query string. Values are
// checked (enumerations, numbers, dates) and reach SQL only as parameters.
func parseFilter(q url.Values) (store.Filter, int, error) {
	f := store.Filter{
		Mark:   strings.TrimSpace(q.Get("mark")),
		Q:      strings.TrimSpace(q.Get("q")),
		Kind:   q.Get("kind"),
		Site:   strings.TrimSpace(q.Get("site")),
		Seller: strings.TrimSpace(q.Get("seller")),
		Sweep:  strings.TrimSpace(q.Get("sweep")),
		Run:    strings.TrimSpace(q.Get("run")),
		Sort:   q.Get("sort"),
		All:    q.Get("all") == "1" || q.Get("all") == "true" || q.Get("all") == "on",
	}
	// The id of a stored seller network (a hash; reaches SQL as a
	// parameter only).
	f.Network = strings.TrimSpace(q.Get("network"))
	// The queue opens on new suspects; "any" (or an empty value) lifts the
	// status filter.
	st := q.Get("status")
	if !q.Has("status") {
		st = string(store.New)
	}
	if st != "" && st != "any" {
		status, err := store.ParseStatus(st)
		if err != nil {
			return f, 0, err
		}
		f.Status = status
	}
	for _, d := range []struct {
		key string
		dst *time.Time
		add time.Duration
	}{{"from", &f.From, 0}, {"to", &f.To, 24 * time.Hour}} {
		if v := q.Get(d.key); v != "" {
			t, err := time.Parse(time.DateOnly, v)
			if err != nil {
				return f, 0, fmt.Errorf("%w: %s: want a date YYYY-MM-DD, got %q", store.ErrInvalid, d.key, v)
			}
			*d.dst = t.Add(d.add) // "to" includes its whole day
		}
	}
	if v := q.Get("score"); v != "" {
		score, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(score) || score < 0 || score > 1e6 {
			return f, 0, fmt.Errorf("%w: score: want a number, got %q", store.ErrInvalid, v)
		}
		f.MinScore = score
	}
	pageNo := 1
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100000 {
			return f, 0, fmt.Errorf("%w: page: want a page number, got %q", store.ErrInvalid, v)
		}
		pageNo = n
	}
	f.Limit = 50
	if v := q.Get("per"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxPageSize {
			return f, 0, fmt.Errorf("%w: per: want 1 to %d, got %q", store.ErrInvalid, store.MaxPageSize, v)
		}
		f.Limit = n
	}
	f.Offset = (pageNo - 1) * f.Limit
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return f, 0, fmt.Errorf("%w: offset: want a number, got %q", store.ErrInvalid, v)
		}
		f.Offset = n
	}
	return f, pageNo, f.Normalize()
}

// filterQuery writes a filter back as a query string (for links).
func filterQuery(f store.Filter) url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.Status == "" {
		q.Set("status", "any")
	} else {
		q.Set("status", string(f.Status))
	}
	set("q", f.Q)
	set("mark", f.Mark)
	set("kind", f.Kind)
	set("site", f.Site)
	set("seller", f.Seller)
	set("network", f.Network)
	set("sweep", f.Sweep)
	set("run", f.Run)
	set("from", fmtDate(f.From))
	if !f.To.IsZero() {
		set("to", fmtDate(f.To.Add(-24*time.Hour)))
	}
	if f.MinScore > 0 {
		set("score", strconv.FormatFloat(f.MinScore, 'f', -1, 64))
	}
	if f.All {
		set("all", "1")
	}
	if f.Sort != "score" {
		set("sort", f.Sort)
	}
	if f.Limit != 50 {
		set("per", strconv.Itoa(f.Limit))
	}
	return q
}

type queueView struct {
	Filter   store.Filter
	Query    url.Values
	Rows     []store.Row
	Total    int
	More     bool // Total is a lower bound
	Page     int
	First    int
	Last     int
	PrevURL  string
	NextURL  string
	Counts   map[store.Status]int64
	Statuses []store.Status
	Facets   store.Facets
	Return   string
	Error    string
	// MarkNames names the marks of the rows (mark id → name).
	MarkNames   map[string]string
	MarkOptions []markOption
	// QueryString is the filter as a query string (links to listings carry
	// it as from=, for decide-and-next).
	QueryString              string
	BulkDismiss, BulkConfirm string
	// Reasons are the rows' reasons in the reviewer's words (mark names
	// for ids), by listing id.
	Reasons map[int64]string
	// Order says how the queue is ranked.
	Order string
}

func (s *Server) queuePage(w http.ResponseWriter, r *http.Request, p *principal) {
	ctx := r.Context()
	v := queueView{Statuses: store.Statuses, Return: r.URL.RequestURI()}
	code := http.StatusOK
	f, pageNo, err := parseFilter(r.URL.Query())
	if err != nil {
		v.Error, code = err.Error(), http.StatusBadRequest
		f = store.Filter{}
		f.Normalize()
		pageNo = 1
	}
	if code == http.StatusOK {
		if err := s.defaultOrder(r, &f); err != nil {
			s.failErr(w, r, false, err)
			return
		}
	}
	v.Filter, v.Page, v.Query = f, pageNo, filterQuery(f)
	v.QueryString = v.Query.Encode()
	v.BulkDismiss = "/queue/bulk?to=dismissed&" + v.QueryString
	v.BulkConfirm = "/queue/bulk?to=confirmed&" + v.QueryString
	switch f.Sort {
	case "likely":
		v.Order = "ranked by calibrated likelihood of a confirmed infringement, live from the team's decisions (see Calibration)"
	case "score":
		v.Order = "ranked by the shipped signal weights (calibration starts once the team has decided enough listings: see Calibration)"
		if f.Q != "" || f.Seller != "" && !f.SellerExact {
			v.Order = "search results ranked by the shipped signal weights (sort by calibrated likelihood to rank them by it)"
		}
	}
	if err := s.resolveMark(r, &f); err != nil {
		s.failErr(w, r, false, err)
		return
	}
	if code == http.StatusOK {
		pg, err := s.store.SuspectsPage(ctx, f)
		if err != nil {
			s.failErr(w, r, false, err)
			return
		}
		v.Rows, v.Total, v.More = pg.Rows, pg.Total, pg.LowerBound
	}
	v.MarkNames = map[string]string{}
	v.Reasons = map[int64]string{}
	for _, row := range v.Rows {
		v.Reasons[row.ID] = s.reviewerWords(row.Reasons)
		if info, ok := s.mark(row.Mark); ok {
			v.MarkNames[row.Mark] = info.Name
		}
	}
	if len(v.Rows) > 0 {
		v.First, v.Last = f.Offset+1, f.Offset+len(v.Rows)
	}
	link := func(n int) string {
		q := filterQuery(v.Filter)
		if n > 1 {
			q.Set("page", strconv.Itoa(n))
		}
		return "/queue?" + q.Encode()
	}
	if pageNo > 1 {
		v.PrevURL = link(pageNo - 1)
	}
	if f.Offset+len(v.Rows) < v.Total {
		v.NextURL = link(pageNo + 1)
	}
	if v.Counts, err = s.store.CountByStatus(ctx, !f.All); err != nil {
		s.failErr(w, r, false, err)
		return
	}
	if v.Facets, err = s.facets(r); err != nil {
		s.failErr(w, r, false, err)
		return
	}
	v.MarkOptions = s.markOptions(v.Facets)
	s.renderCode(w, r, code, "queue.html", p, "Queue", v)
}

// facets are cached briefly: they change only when new sites, marks or
// sweeps appear.
func (s *Server) facets(r *http.Request) (store.Facets, error) {
	s.facetMu.Lock()
	defer s.facetMu.Unlock()
	if s.now().Before(s.facetUntil) {
		return s.facetCache, nil
	}
	f, err := s.store.Facets(r.Context())
	if err != nil {
		return f, err
	}
	s.facetCache, s.facetUntil = f, s.now().Add(30*time.Second)
	return f, nil
}

// decideForm handles the single and the bulk decision forms.
func (s *Server) decideForm(w http.ResponseWriter, r *http.Request, p *principal) {
	status, err := store.ParseStatus(r.PostFormValue("status"))
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	var ids []int64
	if v := r.PathValue("id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			s.fail(w, r, false, http.StatusNotFound, "no such listing")
			return
		}
		ids = append(ids, id)
	} else {
		for _, v := range r.PostForm["id"] {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				s.fail(w, r, false, http.StatusBadRequest, fmt.Sprintf("bad listing id %q", v))
				return
			}
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		s.fail(w, r, false, http.StatusBadRequest, "select at least one listing")
		return
	}
	res, err := s.store.Decide(r.Context(), p.User.Name, ids, status, strings.TrimSpace(r.PostFormValue("note")))
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	s.log.Info("review decision", "user", p.User.Name, "status", status, "changed", len(res.Changed), "skipped", len(res.Skipped))
	flash := fmt.Sprintf("%d listing(s) marked %s", len(res.Changed), status.Label())
	if len(res.Skipped) > 0 {
		flash += fmt.Sprintf("; %d left unchanged", len(res.Skipped))
		if len(ids) == 1 {
			flash += ": " + res.Skipped[ids[0]]
		}
	}
	back := localNext(r.PostFormValue("return"))
	if r.PathValue("id") != "" {
		back = "/listings/" + r.PathValue("id")
		// Decide and next: on to the next listing of the queue the
		// reviewer came from, unless they asked to stay.
		if r.PostFormValue("stay") == "" && len(res.Changed) == 1 {
			next, more, err := s.nextURL(r, ids[0], r.PostFormValue("from"))
			if err != nil {
				s.failErr(w, r, false, err)
				return
			}
			back = next
			if !more {
				flash += "; that was the last listing of this queue"
			}
		} else if ret := r.PostFormValue("return"); ret != "" {
			back = localNext(ret) // a decision from the queue goes back to it
		} else if from := r.PostFormValue("from"); from != "" {
			back += "?from=" + url.QueryEscape(from)
		}
	}
	s.redirectFlash(w, r, back, flash)
}

const flashCookie = "mw_flash"

// redirectFlash redirects after a write, with a message for the next page.
// The message travels in a short-lived cookie, not in the URL, so that a
// link cannot make the app display text of someone else's choosing.
func (s *Server) redirectFlash(w http.ResponseWriter, r *http.Request, to, msg string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(clipText(msg, 300)), Path: "/",
		MaxAge: 60, HttpOnly: true, Secure: s.opts.Secure, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// takeFlash returns the pending message, if any, and clears it.
func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil || c.Value == "" {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.opts.Secure, SameSite: http.SameSiteLaxMode})
	msg, _ := url.QueryUnescape(c.Value)
	return clipText(msg, 300)
}

func clipText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// ---- listing ----

type hitView struct {
	Words string
	Desc  bool
}

type listingView struct {
	*store.ListingDetail
	TitleSegments []Segment
	DescSegments  []Segment
	OCRSegments   []Segment
	Photos        []photoView
	// FloorBelow: the price is below the mark's genuine floor (shown as a
	// warning; a price above it is a plain fact).
	FloorBelow bool
	// Legend: which kinds of highlight the page shows.
	HasSlang, HasDesc bool
	Hits              []hitView
	Signals           []signalView
	Mark              MarkInfo
	HasMark           bool
	FloorRatio        string
	Evidence          *evidence.Meta
	EvidenceError     string
	Choices           []store.Status
	ListingURL        string
	// From is the queue filter the page was opened from (a query string),
	// for decide-and-next and skip.
	From     string
	QueueURL string
	// The seller's record on this site: listings seen, and how many
	// reviewers confirmed.
	SellerListings, SellerConfirmed int
}

type signalView struct {
	Label, Detail, Mark string
	Weight              float64
}

func (s *Server) listingPage(w http.ResponseWriter, r *http.Request, p *principal) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, false, http.StatusNotFound, "no such listing")
		return
	}
	d, err := s.store.Listing(r.Context(), id)
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	v := s.listingView(d)
	if from := r.URL.Query().Get("from"); from != "" {
		if _, canonical, err := s.fromFilter(r, from); err == nil {
			v.From = canonical
		}
	}
	v.QueueURL = "/queue"
	if v.From != "" {
		v.QueueURL += "?" + v.From
	}
	if v.SellerListings, v.SellerConfirmed, err = s.store.SellerRecord(r.Context(), d.Site, d.Seller); err != nil {
		s.failErr(w, r, false, err)
		return
	}
	s.render(w, r, "listing.html", p, d.Title, v)
}

func (s *Server) listingView(d *store.ListingDetail) listingView {
	v := listingView{ListingDetail: d, ListingURL: safeURL(d.URL)}
	title, desc := d.Title, d.Description
	if latest := d.Latest(); latest != nil {
		// The offsets refer to the text this verdict judged.
		title, desc = latest.Title, latest.Description
		slang := SlangWords(latest.Signals)
		v.TitleSegments = HighlightAll(title, latest.Hits, "title", slang)
		v.DescSegments = HighlightAll(desc, latest.Hits, "description", slang)
		if d.OCRText != "" {
			v.OCRSegments = HighlightAll(d.OCRText, latest.Hits, "image_text", slang)
		}
		v.Photos = photoViews(d.Photos, latest.Hits)
		for _, h := range latest.Hits {
			name := ""
			if info, ok := s.mark(h.Mark); ok {
				name = info.Name
			}
			v.Hits = append(v.Hits, hitView{Words: HitWords(h, name), Desc: h.Descriptive})
		}
		for _, sg := range latest.Signals {
			mark := ""
			if sg.Mark != "" {
				if info, ok := s.mark(sg.Mark); ok {
					mark = info.Name
				}
			}
			v.Signals = append(v.Signals, signalView{Label: SignalLabel(sg.Type), Detail: s.reviewerWords(sg.Detail), Mark: mark, Weight: sg.Weight})
		}
	} else {
		v.Photos = photoViews(d.Photos, nil)
		v.TitleSegments = []Segment{{Text: title}}
		v.DescSegments = []Segment{{Text: desc}}
		if d.OCRText != "" {
			v.OCRSegments = []Segment{{Text: d.OCRText}}
		}
	}
	for _, segs := range [][]Segment{v.TitleSegments, v.DescSegments, v.OCRSegments} {
		for _, sg := range segs {
			v.HasSlang = v.HasSlang || sg.Slang
			v.HasDesc = v.HasDesc || sg.Desc
		}
	}
	if info, ok := s.mark(d.Mark); ok {
		v.Mark, v.HasMark = info, true
		// A price of zero or below is no price (a placeholder, 面议), not
		// "0% of the floor": the same rule as markwatch.Listing.PriceValue.
		// Floors are in CNY: a price in another currency is not set against them.
		listing := markwatch.Listing{Price: d.Price, Currency: d.Currency}
		if price, _, ok := listing.PriceCNY(nil); ok && info.Floor > 0 {
			v.FloorRatio = fmt.Sprintf("%.0f%% of the genuine floor ¥%.2f", price/info.Floor*100, info.Floor)
			v.FloorBelow = price < info.Floor
		}
	}
	if d.Evidence != "" {
		if _, meta, err := s.store.Evidence().Get(d.Evidence); err != nil {
			v.EvidenceError = err.Error()
		} else {
			v.Evidence = &meta
		}
	}
	for _, st := range store.Statuses {
		if store.CanDecide(d.Status, st) {
			v.Choices = append(v.Choices, st)
		}
	}
	return v
}

func (s *Server) mark(id string) (MarkInfo, bool) {
	if s.opts.Marks == nil || id == "" {
		return MarkInfo{ID: id, Name: id}, id != ""
	}
	info, ok := s.opts.Marks.Mark(id)
	if !ok {
		return MarkInfo{ID: id, Name: id}, true
	}
	if info.ID == "" {
		info.ID = id
	}
	if info.Name == "" {
		info.Name = id
	}
	return info, true
}

// ---- seller, runs, audit ----

func (s *Server) sellerPage(w http.ResponseWriter, r *http.Request, p *principal) {
	q := r.URL.Query()
	sum, err := s.store.Seller(r.Context(), q.Get("site"), q.Get("name"), 500)
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	s.render(w, r, "seller.html", p, "Seller "+sum.Seller, sum)
}

func (s *Server) runsPage(w http.ResponseWriter, r *http.Request, p *principal) {
	runs, err := s.store.Runs(r.Context(), 200)
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	s.render(w, r, "runs.html", p, "Runs", runs)
}

func (s *Server) runPage(w http.ResponseWriter, r *http.Request, p *principal) {
	run, err := s.store.Run(r.Context(), r.PathValue("id"))
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	s.render(w, r, "run.html", p, "Run "+run.ID, map[string]any{"Run": run, "Statuses": store.Statuses})
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, p *principal) {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	entries, err := s.store.AuditLog(r.Context(), 100, before)
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	var older int64
	if len(entries) == 100 {
		older = entries[len(entries)-1].ID
	}
	s.render(w, r, "audit.html", p, "Audit log", map[string]any{"Entries": entries, "Older": older})
}

// ---- users and tokens ----

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request, p *principal) {
	users, err := s.store.Users(r.Context())
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	s.render(w, r, "users.html", p, "Users", map[string]any{"Users": users})
}

func (s *Server) addUserForm(w http.ResponseWriter, r *http.Request, p *principal) {
	role, err := store.ParseRole(r.PostFormValue("role"))
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	u, err := s.store.AddUser(r.Context(), p.User.Name, strings.TrimSpace(r.PostFormValue("name")), role, r.PostFormValue("password"))
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	s.redirectFlash(w, r, "/users", "added "+u.Name+" as "+string(u.Role))
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, p *principal) {
	tokens, err := s.store.Tokens(r.Context(), p.User.Name)
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	s.render(w, r, "account.html", p, "Account", map[string]any{"Tokens": tokens, "Owner": p.User.Name})
}

func (s *Server) userTokensPage(w http.ResponseWriter, r *http.Request, p *principal) {
	tokens, err := s.store.Tokens(r.Context(), r.PathValue("name"))
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	s.render(w, r, "account.html", p, "Tokens of "+r.PathValue("name"), map[string]any{"Tokens": tokens, "Owner": r.PathValue("name"), "Admin": true})
}

// tokenExpiry reads "expires in N days" (0 or empty: never).
func tokenExpiry(now time.Time, days string) (time.Time, error) {
	if days == "" || days == "0" {
		return time.Time{}, nil
	}
	n, err := strconv.Atoi(days)
	if err != nil || n < 0 || n > 3650 {
		return time.Time{}, fmt.Errorf("%w: expires_in_days: want 0 to 3650, got %q", store.ErrInvalid, days)
	}
	return now.AddDate(0, 0, n), nil
}

func (s *Server) createTokenForm(w http.ResponseWriter, r *http.Request, p *principal) {
	expires, err := tokenExpiry(s.now(), strings.TrimSpace(r.PostFormValue("expires_in_days")))
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	token, err := s.store.CreateTokenUntil(r.Context(), p.User.Name, p.User.Name, strings.TrimSpace(r.PostFormValue("label")), expires)
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	tokens, err := s.store.Tokens(r.Context(), p.User.Name)
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	// Shown once, on this response only (never in a URL).
	s.render(w, r, "account.html", p, "Account", map[string]any{"Token": token, "Tokens": tokens, "Owner": p.User.Name})
}

// revokeTokenForm revokes one of the user's own tokens (any token for an
// admin).
func (s *Server) revokeTokenForm(w http.ResponseWriter, r *http.Request, p *principal) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, false, http.StatusNotFound, "no such token")
		return
	}
	owner := p.User.Name
	if p.User.Role == store.Admin {
		owner = ""
	}
	if err := s.store.RevokeToken(r.Context(), p.User.Name, id, owner); err != nil {
		s.failErr(w, r, false, err)
		return
	}
	s.redirectFlash(w, r, localNext(r.PostFormValue("return")), fmt.Sprintf("token %d revoked", id))
}

func (s *Server) updateUserForm(w http.ResponseWriter, r *http.Request, p *principal) {
	name := r.PathValue("name")
	var role *string
	var disabled *bool
	if v := r.PostFormValue("role"); v != "" {
		role = &v
	}
	switch r.PostFormValue("disabled") {
	case "true":
		disabled = ptrTo(true)
	case "false":
		disabled = ptrTo(false)
	}
	if err := s.updateUser(r, p, name, role, disabled, nil); err != nil {
		s.failErr(w, r, false, err)
		return
	}
	s.redirectFlash(w, r, "/users", "updated "+name)
}

func ptrTo[T any](v T) *T { return &v }
