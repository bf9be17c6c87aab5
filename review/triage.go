package review

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/markwatch/markwatch/store"
)

// The triage flow: decide and go to the next listing of the queue the
// reviewer came from, skip, undo, and decisions by filter.
//
// A listing page opened from the queue carries the queue's filter as
// from=<query string>; deciding or skipping there moves on in that queue.

// fromFilter reads the queue filter a listing page was opened from; with
// none, the default queue (new suspects).
func (s *Server) fromFilter(r *http.Request, from string) (store.Filter, string, error) {
	q, err := url.ParseQuery(from)
	if err != nil || len(from) > 2000 {
		return store.Filter{}, "", fmt.Errorf("%w: from: not a queue filter", store.ErrInvalid)
	}
	f, _, err := parseFilter(q)
	if err != nil {
		return f, "", err
	}
	canonical := filterQuery(f).Encode()
	if err := s.resolveMark(r, &f); err != nil {
		return f, "", err
	}
	f.Offset = 0
	return f, canonical, nil
}

// nextURL is where to go after listing id in the queue from: the next
// listing, or the queue itself when id was the last.
func (s *Server) nextURL(r *http.Request, id int64, from string) (string, bool, error) {
	f, canonical, err := s.fromFilter(r, from)
	if err != nil {
		return "", false, err
	}
	next, err := s.store.Next(r.Context(), f, id)
	if err != nil {
		return "", false, err
	}
	if next == 0 {
		return "/queue?" + canonical, false, nil
	}
	return fmt.Sprintf("/listings/%d?from=%s", next, url.QueryEscape(canonical)), true, nil
}

// skip goes to the next listing without deciding.
func (s *Server) skip(w http.ResponseWriter, r *http.Request, p *principal) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, false, http.StatusNotFound, "no such listing")
		return
	}
	to, more, err := s.nextURL(r, id, r.URL.Query().Get("from"))
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	if !more {
		s.redirectFlash(w, r, to, "that was the last listing of this queue")
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// undoForm reverses the reviewer's last decision and shows the listing it
// restored (in the queue it came from), or goes back.
func (s *Server) undoForm(w http.ResponseWriter, r *http.Request, p *principal) {
	res, err := s.store.Undo(r.Context(), p.User.Name)
	back := localNext(r.PostFormValue("return"))
	if errors.Is(err, store.ErrNothingToUndo) {
		s.redirectFlash(w, r, back, "nothing to undo")
		return
	}
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	s.log.Info("review undo", "user", p.User.Name, "restored", len(res.Listings), "skipped", len(res.Skipped))
	msg := fmt.Sprintf("undone: %d listing(s) back to their previous status", len(res.Listings))
	if len(res.Skipped) > 0 {
		msg += fmt.Sprintf("; %d changed since and left alone", len(res.Skipped))
	}
	if len(res.Listings) == 1 {
		for id := range res.Listings {
			back = fmt.Sprintf("/listings/%d", id)
			if from := r.PostFormValue("from"); from != "" {
				back += "?from=" + url.QueryEscape(from)
			}
		}
	}
	s.redirectFlash(w, r, back, msg)
}

type bulkView struct {
	Filter   store.Filter
	Query    string // the filter as a query string
	QueueURL string
	Describe map[string]string // the filter's fields, for the reader
	Status   store.Status
	Count    int
	TooMany  bool
	Max      int
}

// bulkPage is the confirmation of a decision by filter: it states how many
// listings the decision will change.
func (s *Server) bulkPage(w http.ResponseWriter, r *http.Request, p *principal) {
	q := r.URL.Query()
	status, err := store.ParseStatus(q.Get("to"))
	if err != nil || (status != store.Confirmed && status != store.Dismissed) {
		s.fail(w, r, false, http.StatusBadRequest, "to: confirmed or dismissed")
		return
	}
	q.Del("to")
	f, canonical, err := s.fromFilter(r, q.Encode())
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	n, err := s.store.CountFilter(r.Context(), f)
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	describe := map[string]string{}
	for k, v := range q {
		if len(v) > 0 && v[0] != "" && k != "page" && k != "per" {
			describe[k] = v[0]
		}
	}
	s.render(w, r, "bulk.html", p, "Confirm a decision by filter", bulkView{Filter: f, Query: canonical, QueueURL: "/queue?" + canonical, Describe: describe, Status: status,
		Count: n, TooMany: n > store.MaxBulkFilter, Max: store.MaxBulkFilter})
}

func (s *Server) bulkForm(w http.ResponseWriter, r *http.Request, p *principal) {
	status, err := store.ParseStatus(r.PostFormValue("status"))
	if err != nil || (status != store.Confirmed && status != store.Dismissed) {
		s.fail(w, r, false, http.StatusBadRequest, "status: confirmed or dismissed")
		return
	}
	expect, err := strconv.Atoi(r.PostFormValue("expect"))
	if err != nil {
		s.fail(w, r, false, http.StatusBadRequest, "expect: the count you confirmed")
		return
	}
	f, canonical, err := s.fromFilter(r, r.PostFormValue("filter"))
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	res, err := s.store.DecideFilter(r.Context(), p.User.Name, f, status, strings.TrimSpace(r.PostFormValue("note")), expect)
	if errors.Is(err, store.ErrSelectionChanged) {
		s.redirectFlash(w, r, "/queue/bulk?to="+string(status)+"&"+canonical, err.Error())
		return
	}
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	s.log.Info("review decision by filter", "user", p.User.Name, "status", status, "changed", len(res.Changed), "skipped", len(res.Skipped))
	msg := fmt.Sprintf("%d listing(s) marked %s", len(res.Changed), status.Label())
	if len(res.Skipped) > 0 {
		msg += fmt.Sprintf("; %d left unchanged", len(res.Skipped))
	}
	s.redirectFlash(w, r, "/queue?"+canonical, msg)
}

// ---- API ----

func (s *Server) apiNext(w http.ResponseWriter, r *http.Request, p *principal) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, true, http.StatusNotFound, "no such listing")
		return
	}
	f, _, err := s.fromFilter(r, r.URL.RawQuery)
	if err != nil {
		s.failErr(w, r, true, err)
		return
	}
	next, err := s.store.Next(r.Context(), f, id)
	if err != nil {
		s.failErr(w, r, true, err)
		return
	}
	out := map[string]any{"next": nil}
	if next != 0 {
		out["next"] = next
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiUndo(w http.ResponseWriter, r *http.Request, p *principal) {
	res, err := s.store.Undo(r.Context(), p.User.Name)
	if errors.Is(err, store.ErrNothingToUndo) {
		s.fail(w, r, true, http.StatusConflict, "nothing to undo")
		return
	}
	if err != nil {
		s.failErr(w, r, true, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) apiCount(w http.ResponseWriter, r *http.Request, p *principal) {
	f, _, err := s.fromFilter(r, r.URL.RawQuery)
	if err != nil {
		s.failErr(w, r, true, err)
		return
	}
	n, err := s.store.CountFilter(r.Context(), f)
	if err != nil {
		s.failErr(w, r, true, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": min(n, store.MaxBulkFilter+1), "exact": n <= store.MaxBulkFilter})
}

func (s *Server) apiDecideFilter(w http.ResponseWriter, r *http.Request, p *principal) {
	var body struct {
		Filter string `json:"filter"`
		Status string `json:"status"`
		Note   string `json:"note"`
		Expect *int   `json:"expect"`
	}
	if !s.decode(w, r, &body, false) {
		return
	}
	status, err := store.ParseStatus(body.Status)
	if err != nil || (status != store.Confirmed && status != store.Dismissed) {
		s.fail(w, r, true, http.StatusBadRequest, "status: confirmed or dismissed")
		return
	}
	if body.Expect == nil {
		s.fail(w, r, true, http.StatusBadRequest, "expect: the number of listings the filter selects (GET /api/v1/listings/count)")
		return
	}
	f, _, err := s.fromFilter(r, body.Filter)
	if err != nil {
		s.failErr(w, r, true, err)
		return
	}
	res, err := s.store.DecideFilter(r.Context(), p.User.Name, f, status, strings.TrimSpace(body.Note), *body.Expect)
	if errors.Is(err, store.ErrSelectionChanged) {
		s.fail(w, r, true, http.StatusConflict, err.Error())
		return
	}
	if err != nil {
		s.failErr(w, r, true, err)
		return
	}
	res.Changed = nonNil(res.Changed)
	writeJSON(w, http.StatusOK, res)
}
