package review

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strings"

	"github.com/markwatch/markwatch/configs"
	"github.com/markwatch/markwatch/store"
	"github.com/markwatch/markwatch/takedown"
)

// profiles are the takedown profiles in use: the configured ones, else the
// shipped ones (configs/exports).
func (s *Server) profiles() []*takedown.Profile {
	if len(s.opts.Profiles) > 0 {
		return s.opts.Profiles
	}
	s.shippedOnce.Do(func() {
		p, err := takedown.LoadProfiles(configs.FS, "exports")
		if err != nil {
			s.log.Error("shipped takedown profiles", "err", err)
		}
		s.shipped = p
	})
	return s.shipped
}

func (s *Server) profile(id string) *takedown.Profile {
	for _, p := range s.profiles() {
		if p.ID == id {
			return p
		}
	}
	return nil
}

// marksOwnedBy are the ids of the marks whose owner is owner (exact), when
// the mark directory can list them.
func (s *Server) marksOwnedBy(owner string) []string {
	lister, ok := s.opts.Marks.(interface{ IDs() []string })
	if !ok {
		return nil
	}
	var out []string
	for _, id := range lister.IDs() {
		if info, _ := s.opts.Marks.Mark(id); info.Owner == owner {
			out = append(out, id)
		}
	}
	return out
}

// IDs lists the marks' ids, sorted.
func (m MarkMap) IDs() []string {
	out := make([]string, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// owners lists the rights holders of the marks, sorted, once each.
func (s *Server) owners() []string {
	lister, ok := s.opts.Marks.(interface{ IDs() []string })
	if !ok {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, id := range lister.IDs() {
		if info, _ := s.opts.Marks.Mark(id); info.Owner != "" && !seen[info.Owner] {
			seen[info.Owner] = true
			out = append(out, info.Owner)
		}
	}
	sort.Strings(out)
	return out
}

// batchFilter reads how to cut a batch from the create form: site, and
// optionally owner, mark (an id) and sweep.
func (s *Server) batchFilter(r *http.Request) (store.BatchFilter, error) {
	f := store.BatchFilter{Site: strings.TrimSpace(r.PostFormValue("site")), Sweep: strings.TrimSpace(r.PostFormValue("sweep"))}
	var label []string
	if owner := strings.TrimSpace(r.PostFormValue("owner")); owner != "" {
		f.Marks = s.marksOwnedBy(owner)
		if len(f.Marks) == 0 {
			return f, fmt.Errorf("%w: no mark is owned by %q", store.ErrNotFound, owner)
		}
		label = append(label, "owner="+owner)
	}
	if mark := strings.TrimSpace(r.PostFormValue("mark")); mark != "" {
		if len(f.Marks) > 0 && !contains(f.Marks, mark) {
			return f, fmt.Errorf("%w: mark %q is not the owner's", store.ErrNotFound, mark)
		}
		f.Marks = []string{mark}
		label = append(label, "mark="+mark)
	}
	if f.Sweep != "" {
		label = append(label, "sweep="+f.Sweep)
	}
	f.Label = strings.Join(label, " ")
	return f, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// takedownItems joins a batch's rows with their marks and the content
// type of their stored pages.
func (s *Server) takedownItems(rows []store.Row) []takedown.Item {
	out := make([]takedown.Item, len(rows))
	ev := s.store.Evidence()
	for i, r := range rows {
		info, _ := s.mark(r.Mark)
		out[i] = takedown.Item{Row: r, Mark: takedown.Mark{ID: r.Mark, Name: info.Name, Kind: info.Kind, Owner: info.Owner,
			Registration: info.Registration}}
		if r.Evidence != "" && ev != nil {
			if meta, err := ev.Meta(r.Evidence); err == nil {
				out[i].ContentType = meta.ContentType()
			}
		}
	}
	return out
}

// withPhotos adds their photos to items (the images step's record of
// each listing); a listing that cannot be read is logged and exported
// without.
func (s *Server) withPhotos(ctx context.Context, items []takedown.Item) []takedown.Item {
	for i := range items {
		d, err := s.store.Listing(ctx, items[i].Row.ID)
		if err != nil {
			s.log.Warn("takedown: listing photos", "listing", items[i].Row.ID, "err", err)
			continue
		}
		items[i].Photos = d.Photos
	}
	return items
}

// exportProfile serves a batch in a profile's layout:
// /exports/{id}/export?profile=alibaba-ipp&format=xlsx. A batch longer than
// the profile's row limit comes as a ZIP of files.
func (s *Server) exportProfile(w http.ResponseWriter, r *http.Request, p *principal) {
	api := strings.HasPrefix(r.URL.Path, "/api/")
	id, ok := s.batchID(w, r, api)
	if !ok {
		return
	}
	prof := s.profile(r.URL.Query().Get("profile"))
	if prof == nil {
		s.fail(w, r, api, http.StatusNotFound, "no such export profile")
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "xlsx"
	}
	if format != "csv" && format != "xlsx" {
		s.fail(w, r, api, http.StatusBadRequest, "format must be csv or xlsx")
		return
	}
	b, rows, err := s.store.Batch(r.Context(), id)
	if err != nil {
		s.failErr(w, r, api, err)
		return
	}
	items := s.withPhotos(r.Context(), s.takedownItems(rows))
	if missing := takedown.MissingRegistrations(items); len(missing) > 0 {
		s.log.Warn("takedown export: marks without a registration number", "batch", b.ID, "profile", prof.ID, "marks", strings.Join(missing, ", "))
	}
	base := fmt.Sprintf("takedown-%d-%s", b.ID, prof.ID)
	files, err := prof.Export(items, format, base)
	if err != nil {
		s.serverError(w, r, api, err)
		return
	}
	name, data, ctype := files[0].Name, files[0].Data, "text/csv; charset=utf-8"
	if format == "xlsx" {
		ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	if len(files) > 1 {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, f := range files {
			fw, err := zw.Create(f.Name)
			if err == nil {
				_, err = fw.Write(f.Data)
			}
			if err != nil {
				s.serverError(w, r, api, err)
				return
			}
		}
		if err := zw.Close(); err != nil {
			s.serverError(w, r, api, err)
			return
		}
		name, data, ctype = base+".zip", buf.Bytes(), "application/zip"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Write(data)
}

// evidenceBundle serves a batch's evidence bundle (ZIP), timestamped when a
// TSA is configured.
func (s *Server) evidenceBundle(w http.ResponseWriter, r *http.Request, p *principal) {
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
	opts := takedown.BundleOptions{Batch: b.ID, Site: b.Site, Filter: b.Filter, Now: s.now(), TSA: s.opts.TSA, Client: s.opts.TSAClient}
	if photos, err := s.photoStore(); err == nil {
		opts.Photos = photos
	}
	m, err := takedown.WriteBundle(r.Context(), &buf, s.store.Evidence(), s.withPhotos(r.Context(), s.takedownItems(rows)), opts)
	if err != nil {
		s.serverError(w, r, api, err)
		return
	}
	s.log.Info("evidence bundle written", "user", p.User.Name, "batch", b.ID, "files", len(m.Files), "timestamped", m.TSA != "")
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": fmt.Sprintf("evidence-%d.zip", b.ID)}))
	w.Write(buf.Bytes())
}

// notificationsPage is the delivery log of the notification outbox.
func (s *Server) notificationsPage(w http.ResponseWriter, r *http.Request, p *principal) {
	log, err := s.store.Notifications(r.Context(), 500)
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	s.render(w, r, "notifications.html", p, "Notifications", log)
}
