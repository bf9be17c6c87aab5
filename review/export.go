package review

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/markwatch/markwatch/store"
	"github.com/markwatch/markwatch/takedown"
)

// TakedownHeader is the takedown-request layout of an export, one listing a
// row, as IP-complaint portals ask for it.
var TakedownHeader = []string{
	"Platform", "Listing URL", "Listing ID", "Title", "Seller", "Mark", "Registration number", "Owner",
	"Reason", "Evidence SHA-256", "Fetched at (UTC)",
}

// Neutralize makes a cell safe to open in a spreadsheet (see
// takedown.Neutralize, the one implementation).
func Neutralize(v string) string { return takedown.Neutralize(v) }

func (s *Server) takedownRows(rows []store.Row) [][]string {
	out := make([][]string, 0, len(rows))
	for _, r := range rows {
		info, _ := s.mark(r.Mark)
		fetched := ""
		if !r.FetchedAt.IsZero() {
			fetched = r.FetchedAt.UTC().Format("2006-01-02 15:04:05")
		}
		markName := info.Name
		if markName == "" {
			markName = r.Mark
		}
		rec := []string{r.Site, r.URL, r.ListingID, r.Title, r.Seller, markName, info.Registration, info.Owner,
			r.Reasons, r.Evidence, fetched}
		for i := range rec {
			rec[i] = Neutralize(rec[i])
		}
		out = append(out, rec)
	}
	return out
}

// WriteCSV writes rows in the takedown layout (UTF-8 with a byte-order mark,
// so that spreadsheet programs read Chinese text right).
func (s *Server) WriteCSV(w *bytes.Buffer, rows []store.Row) error {
	w.WriteString("\ufeff")
	cw := csv.NewWriter(w)
	cw.Write(TakedownHeader)
	cw.WriteAll(s.takedownRows(rows))
	return cw.Error()
}

// WriteXLSX writes rows in the takedown layout as an Excel workbook. Every
// cell is a string cell; none is a formula.
func (s *Server) WriteXLSX(w *bytes.Buffer, rows []store.Row) error {
	return takedown.WriteXLSX(w, "Takedown", TakedownHeader, s.takedownRows(rows))
}

func (s *Server) batchID(w http.ResponseWriter, r *http.Request, api bool) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(w, r, api, http.StatusNotFound, "no such batch")
		return 0, false
	}
	return id, true
}

func (s *Server) exportsPage(w http.ResponseWriter, r *http.Request, p *principal) {
	pending, err := s.store.Pending(r.Context())
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	batches, err := s.store.Batches(r.Context(), 200)
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	s.render(w, r, "exports.html", p, "Exports", map[string]any{"Pending": pending, "Batches": batches, "Limit": store.BatchLimit,
		"Owners": s.owners(), "Profiles": s.profiles()})
}

func (s *Server) createBatchForm(w http.ResponseWriter, r *http.Request, p *principal) {
	f, err := s.batchFilter(r)
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	b, err := s.store.CreateBatchWhere(r.Context(), p.User.Name, f, store.BatchLimit)
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	s.log.Info("takedown batch created", "user", p.User.Name, "batch", b.ID, "site", b.Site, "filter", b.Filter, "size", b.Size)
	http.Redirect(w, r, fmt.Sprintf("/exports/%d", b.ID), http.StatusSeeOther)
}

func (s *Server) batchPage(w http.ResponseWriter, r *http.Request, p *principal) {
	id, ok := s.batchID(w, r, false)
	if !ok {
		return
	}
	b, rows, err := s.store.Batch(r.Context(), id)
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	s.render(w, r, "batch.html", p, fmt.Sprintf("Batch %d", id), map[string]any{"Batch": b, "Rows": rows,
		"Profiles": s.profiles(), "Missing": takedown.MissingRegistrations(s.takedownItems(rows)), "TSA": s.opts.TSA != ""})
}

func (s *Server) requestBatchForm(w http.ResponseWriter, r *http.Request, p *principal) {
	id, ok := s.batchID(w, r, false)
	if !ok {
		return
	}
	b, err := s.store.MarkBatchRequested(r.Context(), p.User.Name, id, strings.TrimSpace(r.PostFormValue("note")))
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	s.log.Info("takedown batch requested", "user", p.User.Name, "batch", b.ID)
	s.redirectFlash(w, r, fmt.Sprintf("/exports/%d", id), "batch marked as requested")
}

func (s *Server) exportCSV(w http.ResponseWriter, r *http.Request, p *principal) {
	s.export(w, r, "csv")
}

func (s *Server) exportXLSX(w http.ResponseWriter, r *http.Request, p *principal) {
	s.export(w, r, "xlsx")
}

func (s *Server) export(w http.ResponseWriter, r *http.Request, format string) {
	api := strings.HasPrefix(r.URL.Path, "/api/")
	id, ok := s.batchID(w, r, api)
	if !ok {
		return
	}
	b, rows, err := s.store.Batch(r.Context(), id)
	if err != nil {
		s.failErr(w, r, api, err)
		return
	}
	var buf bytes.Buffer
	ctype := "text/csv; charset=utf-8"
	if format == "xlsx" {
		ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		err = s.WriteXLSX(&buf, rows)
	} else {
		err = s.WriteCSV(&buf, rows)
	}
	if err != nil {
		s.serverError(w, r, api, err)
		return
	}
	site := b.Site
	if site == "" {
		site = "all"
	}
	name := fmt.Sprintf("takedown-%d-%s.%s", b.ID, safeFileName.ReplaceAllString(site, "_"), format)
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Write(buf.Bytes())
}

var safeFileName = regexp.MustCompile(`[^A-Za-z0-9._-]`)

var charsetRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,40}$`)

// evidenceRaw serves a stored page. It is verified against its hash first,
// and served so that nothing in it can run: a CSP sandbox without scripts,
// no network access, nosniff; text/html only when it was HTML, text/plain
// otherwise. ?download=1 serves it as an attachment.
func (s *Server) evidenceRaw(w http.ResponseWriter, r *http.Request, p *principal) {
	hash := r.PathValue("hash")
	body, meta, err := s.store.Evidence().Get(hash)
	if err != nil {
		s.evidenceError(w, r, false, err)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", evidenceCSP)
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	if r.URL.Query().Get("download") != "" {
		ext := "html"
		if !isHTML(meta.ContentType()) {
			ext = "txt"
		}
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": hash + "." + ext}))
		w.Write(body)
		return
	}
	ctype := "text/plain"
	if isHTML(meta.ContentType()) {
		ctype = "text/html"
	}
	if _, params, err := mime.ParseMediaType(meta.ContentType()); err == nil && charsetRE.MatchString(params["charset"]) {
		ctype += "; charset=" + params["charset"]
	}
	h.Set("Content-Type", ctype)
	w.Write(body)
}

func isHTML(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return ct == "" || (err == nil && (mt == "text/html" || mt == "application/xhtml+xml"))
}
