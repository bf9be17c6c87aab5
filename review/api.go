package review

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/markwatch/markwatch/evidence"
	"github.com/markwatch/markwatch/store"
)

func (s *Server) apiRoutes() {
	s.handle("GET /api/v1/me", "api_me", read, func(w http.ResponseWriter, r *http.Request, p *principal) {
		writeJSON(w, http.StatusOK, map[string]any{"user": p.User, "csrf": p.CSRF()})
	})
	s.handle("GET /api/v1/listings", "api_listings", read, s.apiListings)
	s.handle("GET /api/v1/listings/{id}", "api_listing", read, s.apiListing)
	s.handle("POST /api/v1/listings/{id}/decision", "api_decide", write, s.apiDecide)
	s.handle("POST /api/v1/decisions", "api_decide_bulk", write, s.apiDecide)
	s.handle("POST /api/v1/decisions/by-filter", "api_decide_filter", write, s.apiDecideFilter)
	s.handle("POST /api/v1/undo", "api_undo", write, s.apiUndo)
	s.handle("GET /api/v1/listings/count", "api_count", read, s.apiCount)
	s.handle("GET /api/v1/listings/{id}/next", "api_next", read, s.apiNext)
	s.handle("GET /api/v1/dashboard", "api_dashboard", read, s.apiDashboard)
	s.handle("GET /api/v1/calibration", "api_calibration", read, s.apiCalibration)
	s.handle("GET /api/v1/dashboard.xlsx", "api_dashboard_xlsx", read, s.dashboardXLSX)
	s.handle("GET /api/v1/facets", "api_facets", read, func(w http.ResponseWriter, r *http.Request, p *principal) {
		f, err := s.facets(r)
		if err != nil {
			s.failErr(w, r, true, err)
			return
		}
		writeJSON(w, http.StatusOK, f)
	})
	s.handle("GET /api/v1/stats", "api_stats", read, func(w http.ResponseWriter, r *http.Request, p *principal) {
		all, err := s.store.CountByStatus(r.Context(), false)
		if err != nil {
			s.failErr(w, r, true, err)
			return
		}
		suspects, err := s.store.CountByStatus(r.Context(), true)
		if err != nil {
			s.failErr(w, r, true, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"listings": all, "suspects": suspects})
	})
	s.handle("GET /api/v1/sellers", "api_seller", read, func(w http.ResponseWriter, r *http.Request, p *principal) {
		q := r.URL.Query()
		limit, _ := strconv.Atoi(q.Get("limit"))
		sum, err := s.store.Seller(r.Context(), q.Get("site"), q.Get("seller"), min(max(limit, 1), store.MaxPageSize))
		if err != nil {
			s.failErr(w, r, true, err)
			return
		}
		writeJSON(w, http.StatusOK, sum)
	})
	s.handle("GET /api/v1/runs", "api_runs", read, func(w http.ResponseWriter, r *http.Request, p *principal) {
		runs, err := s.store.Runs(r.Context(), 200)
		if err != nil {
			s.failErr(w, r, true, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"runs": nonNil(runs)})
	})
	s.handle("GET /api/v1/runs/{id}", "api_run", read, func(w http.ResponseWriter, r *http.Request, p *principal) {
		run, err := s.store.Run(r.Context(), r.PathValue("id"))
		if err != nil {
			s.failErr(w, r, true, err)
			return
		}
		writeJSON(w, http.StatusOK, run)
	})
	s.handle("POST /api/v1/runs/{id}/finish", "api_finish_run", write, func(w http.ResponseWriter, r *http.Request, p *principal) {
		var body struct {
			Sites []string `json:"sites"`
		}
		if !s.decode(w, r, &body, true) {
			return
		}
		if err := s.store.FinishRun(r.Context(), r.PathValue("id"), body.Sites); err != nil {
			s.failErr(w, r, true, err)
			return
		}
		run, err := s.store.Run(r.Context(), r.PathValue("id"))
		if err != nil {
			s.failErr(w, r, true, err)
			return
		}
		writeJSON(w, http.StatusOK, run)
	})
	s.handle("GET /api/v1/batches", "api_batches", read, func(w http.ResponseWriter, r *http.Request, p *principal) {
		batches, err := s.store.Batches(r.Context(), 200)
		if err != nil {
			s.failErr(w, r, true, err)
			return
		}
		pending, err := s.store.Pending(r.Context())
		if err != nil {
			s.failErr(w, r, true, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"batches": nonNil(batches), "pending": pending})
	})
	s.handle("POST /api/v1/batches", "api_create_batch", write, func(w http.ResponseWriter, r *http.Request, p *principal) {
		var body struct {
			Site string `json:"site"`
			Size int    `json:"size"`
		}
		if !s.decode(w, r, &body, true) {
			return
		}
		b, err := s.store.CreateBatch(r.Context(), p.User.Name, body.Site, body.Size)
		if err != nil {
			s.failErr(w, r, true, err)
			return
		}
		writeJSON(w, http.StatusCreated, b)
	})
	s.handle("GET /api/v1/batches/{id}", "api_batch", read, func(w http.ResponseWriter, r *http.Request, p *principal) {
		id, ok := s.batchID(w, r, true)
		if !ok {
			return
		}
		b, rows, err := s.store.Batch(r.Context(), id)
		if err != nil {
			s.failErr(w, r, true, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"batch": b, "listings": nonNil(rows)})
	})
	s.handle("GET /api/v1/batches/{id}/takedown.csv", "api_export_csv", read, s.exportCSV)
	s.handle("GET /api/v1/batches/{id}/takedown.xlsx", "api_export_xlsx", read, s.exportXLSX)
	s.handle("POST /api/v1/batches/{id}/requested", "api_request_batch", write, func(w http.ResponseWriter, r *http.Request, p *principal) {
		id, ok := s.batchID(w, r, true)
		if !ok {
			return
		}
		var body struct {
			Note string `json:"note"`
		}
		if !s.decode(w, r, &body, true) {
			return
		}
		b, err := s.store.MarkBatchRequested(r.Context(), p.User.Name, id, body.Note)
		if err != nil {
			s.failErr(w, r, true, err)
			return
		}
		writeJSON(w, http.StatusOK, b)
	})
	s.handle("GET /api/v1/evidence/{hash}", "api_evidence", read, func(w http.ResponseWriter, r *http.Request, p *principal) {
		_, meta, err := s.store.Evidence().Get(r.PathValue("hash"))
		if err != nil {
			s.evidenceError(w, r, true, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"meta": meta, "verified": true,
			"content_url": "/evidence/" + meta.SHA256, "download_url": "/evidence/" + meta.SHA256 + "?download=1"})
	})
	s.handle("GET /api/v1/audit", "api_audit", read, func(w http.ResponseWriter, r *http.Request, p *principal) {
		q := r.URL.Query()
		before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
		limit, _ := strconv.Atoi(q.Get("limit"))
		entries, err := s.store.AuditLog(r.Context(), limit, before)
		if err != nil {
			s.failErr(w, r, true, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"entries": nonNil(entries)})
	})
	s.handle("GET /api/v1/users", "api_users", admin, func(w http.ResponseWriter, r *http.Request, p *principal) {
		users, err := s.store.Users(r.Context())
		if err != nil {
			s.failErr(w, r, true, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"users": nonNil(users)})
	})
	s.handle("POST /api/v1/users", "api_add_user", admin, func(w http.ResponseWriter, r *http.Request, p *principal) {
		var body struct {
			Name     string `json:"name"`
			Role     string `json:"role"`
			Password string `json:"password"`
		}
		if !s.decode(w, r, &body, false) {
			return
		}
		role, err := store.ParseRole(body.Role)
		if err != nil {
			s.failErr(w, r, true, err)
			return
		}
		u, err := s.store.AddUser(r.Context(), p.User.Name, body.Name, role, body.Password)
		if err != nil {
			s.failErr(w, r, true, err)
			return
		}
		writeJSON(w, http.StatusCreated, u)
	})
	s.handle("POST /api/v1/users/{name}", "api_update_user", admin, func(w http.ResponseWriter, r *http.Request, p *principal) {
		var body struct {
			Role     *string `json:"role"`
			Disabled *bool   `json:"disabled"`
			Password *string `json:"password"`
		}
		if !s.decode(w, r, &body, false) {
			return
		}
		name := r.PathValue("name")
		if err := s.updateUser(r, p, name, body.Role, body.Disabled, body.Password); err != nil {
			s.failErr(w, r, true, err)
			return
		}
		u, err := s.store.User(r.Context(), name)
		if err != nil {
			s.failErr(w, r, true, err)
			return
		}
		writeJSON(w, http.StatusOK, u)
	})
	s.handle("POST /api/v1/tokens", "api_create_token", write, func(w http.ResponseWriter, r *http.Request, p *principal) {
		var body struct {
			Label         string `json:"label"`
			ExpiresInDays int    `json:"expires_in_days"`
		}
		if !s.decode(w, r, &body, true) {
			return
		}
		expires, err := tokenExpiry(s.now(), strconv.Itoa(body.ExpiresInDays))
		if err != nil {
			s.failErr(w, r, true, err)
			return
		}
		token, err := s.store.CreateTokenUntil(r.Context(), p.User.Name, p.User.Name, body.Label, expires)
		if err != nil {
			s.failErr(w, r, true, err)
			return
		}
		out := map[string]any{"token": token, "user": p.User.Name}
		if !expires.IsZero() {
			out["expires_at"] = expires.UTC()
		}
		writeJSON(w, http.StatusCreated, out)
	})
	s.handle("GET /api/v1/tokens", "api_tokens", read, func(w http.ResponseWriter, r *http.Request, p *principal) {
		name := p.User.Name
		if u := r.URL.Query().Get("user"); u != "" && u != name {
			if p.User.Role != store.Admin {
				s.fail(w, r, true, http.StatusForbidden, "only admins list other users' tokens")
				return
			}
			name = u
		}
		tokens, err := s.store.Tokens(r.Context(), name)
		if err != nil {
			s.failErr(w, r, true, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"tokens": nonNil(tokens)})
	})
	s.handle("POST /api/v1/tokens/{id}/revoke", "api_revoke_token", read, func(w http.ResponseWriter, r *http.Request, p *principal) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			s.fail(w, r, true, http.StatusNotFound, "no such token")
			return
		}
		owner := p.User.Name
		if p.User.Role == store.Admin {
			owner = ""
		}
		if err := s.store.RevokeToken(r.Context(), p.User.Name, id, owner); err != nil {
			s.failErr(w, r, true, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"revoked": id})
	})
}

// decode reads a JSON body strictly; an empty body is allowed when optional.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any, optional bool) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if errors.Is(err, io.EOF) && optional {
		return true
	}
	if err != nil {
		s.fail(w, r, true, http.StatusBadRequest, "bad JSON body: "+err.Error())
		return false
	}
	return true
}

func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

type listingsResponse struct {
	Listings []store.Row `json:"listings"`
	Total    int         `json:"total"`
	// TotalIsLowerBound is true when at least Total listings match (broad
	// filters are counted only up to a little past the current page).
	TotalIsLowerBound bool `json:"total_is_lower_bound"`
	Offset            int  `json:"offset"`
	Limit             int  `json:"limit"`
}

func (s *Server) apiListings(w http.ResponseWriter, r *http.Request, p *principal) {
	q := r.URL.Query()
	f, _, err := parseFilter(q)
	if err != nil {
		s.failErr(w, r, true, err)
		return
	}
	if err := s.defaultOrder(r, &f); err != nil {
		s.failErr(w, r, true, err)
		return
	}
	if err := s.resolveMark(r, &f); err != nil {
		s.failErr(w, r, true, err)
		return
	}
	pg, err := s.store.SuspectsPage(r.Context(), f)
	if err != nil {
		s.failErr(w, r, true, err)
		return
	}
	writeJSON(w, http.StatusOK, listingsResponse{Listings: nonNil(pg.Rows), Total: pg.Total,
		TotalIsLowerBound: pg.LowerBound, Offset: f.Offset, Limit: f.Limit})
}

func (s *Server) apiListing(w http.ResponseWriter, r *http.Request, p *principal) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, true, http.StatusNotFound, "no such listing")
		return
	}
	d, err := s.store.Listing(r.Context(), id)
	if err != nil {
		s.failErr(w, r, true, err)
		return
	}
	v := s.listingView(d)
	writeJSON(w, http.StatusOK, map[string]any{
		"listing":        d,
		"allowed":        nonNil(v.Choices),
		"evidence":       v.Evidence,
		"evidence_error": v.EvidenceError,
	})
}

func (s *Server) apiDecide(w http.ResponseWriter, r *http.Request, p *principal) {
	var body struct {
		IDs    []int64 `json:"ids"`
		Status string  `json:"status"`
		Note   string  `json:"note"`
	}
	if !s.decode(w, r, &body, false) {
		return
	}
	if v := r.PathValue("id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			s.fail(w, r, true, http.StatusNotFound, "no such listing")
			return
		}
		body.IDs = []int64{id}
	}
	status, err := store.ParseStatus(body.Status)
	if err != nil {
		s.failErr(w, r, true, err)
		return
	}
	res, err := s.store.Decide(r.Context(), p.User.Name, body.IDs, status, strings.TrimSpace(body.Note))
	if err != nil {
		s.failErr(w, r, true, err)
		return
	}
	s.log.Info("review decision", "user", p.User.Name, "status", status, "changed", len(res.Changed), "skipped", len(res.Skipped))
	res.Changed = nonNil(res.Changed)
	code := http.StatusOK
	if r.PathValue("id") != "" && len(res.Changed) == 0 {
		code = http.StatusConflict
		if reason := res.Skipped[body.IDs[0]]; reason == "no such listing" {
			code = http.StatusNotFound
		}
	}
	writeJSON(w, code, res)
}

func (s *Server) evidenceError(w http.ResponseWriter, r *http.Request, api bool, err error) {
	switch {
	case errors.Is(err, evidence.ErrNotFound), errors.Is(err, evidence.ErrBadHash):
		s.fail(w, r, api, http.StatusNotFound, "no such evidence")
	case errors.Is(err, evidence.ErrTampered):
		s.log.Error("evidence failed verification", "hash", r.PathValue("hash"), "err", err)
		s.fail(w, r, api, http.StatusInternalServerError, "stored evidence failed its SHA-256 check: "+err.Error())
	default:
		s.serverError(w, r, api, err)
	}
}

// updateUser applies an admin's changes to a user. An admin cannot demote
// or disable themselves (so that there is always someone to undo it).
func (s *Server) updateUser(r *http.Request, p *principal, name string, role *string, disabled *bool, password *string) error {
	ctx := r.Context()
	if name == p.User.Name && ((role != nil && *role != string(store.Admin)) || (disabled != nil && *disabled)) {
		return fmt.Errorf("%w: you cannot demote or disable yourself", store.ErrInvalid)
	}
	if role != nil {
		rl, err := store.ParseRole(*role)
		if err != nil {
			return err
		}
		if err := s.store.SetRole(ctx, p.User.Name, name, rl); err != nil {
			return err
		}
	}
	if disabled != nil {
		if err := s.store.SetDisabled(ctx, p.User.Name, name, *disabled); err != nil {
			return err
		}
	}
	if password != nil {
		if err := s.store.SetPassword(ctx, p.User.Name, name, *password); err != nil {
			return err
		}
	}
	s.log.Info("user updated", "admin", p.User.Name, "user", name)
	return nil
}
