package review

import (
	"net/http"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/images"
)

// photoRoutes serve the listing photos the images step kept, the marks'
// reference images, and the browser screenshots stored with pages.
func (s *Server) photoRoutes() {
	s.handle("GET /photos/{hash}", "photo", read, s.photoRaw)
	s.handle("GET /references/{file}", "reference", read, s.referenceRaw)
	s.handle("GET /evidence/{hash}/screenshot", "screenshot", read, s.screenshotRaw)
}

// imageHeaders serve bytes as an image that nothing can run in.
func imageHeaders(w http.ResponseWriter, format string) {
	h := w.Header()
	h.Set("Content-Type", "image/"+format)
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cache-Control", "private, max-age=86400, immutable")
}

// photoStore is where the images step (and, in a fleet, the findings
// consumer) keeps listing photos: beside the page evidence.
func (s *Server) photoStore() (*images.Store, error) {
	return images.OpenStore(images.EvidenceDir(s.store.Evidence().Dir()))
}

func (s *Server) photoRaw(w http.ResponseWriter, r *http.Request, _ *principal) {
	st, err := s.photoStore()
	if err != nil {
		s.fail(w, r, false, http.StatusNotFound, "no such photo")
		return
	}
	body, format, err := st.Get(r.PathValue("hash"))
	if err != nil {
		s.fail(w, r, false, http.StatusNotFound, "no such photo")
		return
	}
	imageHeaders(w, format)
	w.Write(body)
}

func (s *Server) referenceRaw(w http.ResponseWriter, r *http.Request, _ *principal) {
	body, ok := s.opts.References[r.PathValue("file")]
	format := images.Sniff(body)
	if !ok || format == "" {
		s.fail(w, r, false, http.StatusNotFound, "no such reference image")
		return
	}
	imageHeaders(w, format)
	w.Write(body)
}

func (s *Server) screenshotRaw(w http.ResponseWriter, r *http.Request, _ *principal) {
	_, meta, err := s.store.Evidence().Get(r.PathValue("hash"))
	if err != nil {
		s.evidenceError(w, r, false, err)
		return
	}
	if meta.Screenshot == "" {
		s.fail(w, r, false, http.StatusNotFound, "no screenshot stored with this page")
		return
	}
	png, err := s.store.Evidence().Screenshot(meta.Screenshot)
	if err != nil {
		s.evidenceError(w, r, false, err)
		return
	}
	imageHeaders(w, "png")
	w.Write(png)
}

// photoView is one listing photo on the listing page, with the reference
// images it matched.
type photoView struct {
	N int
	markwatch.Photo
	Matches []markwatch.Hit
}

func photoViews(photos []markwatch.Photo, hits []markwatch.Hit) []photoView {
	var out []photoView
	for i, p := range photos {
		v := photoView{N: i + 1, Photo: p}
		for _, h := range hits {
			if h.Via == "photo" && h.Photo == i+1 {
				v.Matches = append(v.Matches, h)
			}
		}
		out = append(out, v)
	}
	return out
}
