package review

import (
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/markwatch/markwatch/store"
)

// markOption is one entry of the Mark filter: the mark's name, never its
// internal id.
type markOption struct {
	ID, Name, Kind string
}

// markOptions lists the marks the store has seen by name. Patent numbers
// (marks the registry does not know, of kind patent) are not listed one by
// one: the Kind filter's "patent marking" selects them together.
func (s *Server) markOptions(facets store.Facets) []markOption {
	var out []markOption
	for _, id := range facets.Marks {
		info, known := s.known(id)
		if !known {
			continue
		}
		out = append(out, markOption{ID: id, Name: info.Name, Kind: info.Kind})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// known looks a mark up in the directory (with no directory every id is
// its own name).
func (s *Server) known(id string) (MarkInfo, bool) {
	if s.opts.Marks == nil {
		return MarkInfo{ID: id, Name: id}, true
	}
	info, ok := s.opts.Marks.Mark(id)
	if ok && info.Name == "" {
		info.Name = id
	}
	return info, ok
}

// resolveMark turns the Mark filter's text into mark ids: an id as it is,
// else every mark seen in the store whose id or any name contains the text
// (case-insensitive). Text that names no mark selects nothing.
func (s *Server) resolveMark(r *http.Request, f *store.Filter) error {
	text := f.Mark
	if text == "" {
		return nil
	}
	facets, err := s.facets(r)
	if err != nil {
		return err
	}
	needle := strings.ToLower(text)
	var ids []string
	for _, id := range facets.Marks {
		if id == text {
			return nil
		}
		info, _ := s.known(id)
		for _, name := range append([]string{id, info.Name}, info.Names...) {
			if name != "" && strings.Contains(strings.ToLower(name), needle) {
				ids = append(ids, id)
				break
			}
		}
	}
	switch len(ids) {
	case 0:
		// Keep the text as the mark: it is no id, so nothing matches, and
		// the page says so with the filter still visible.
	case 1:
		f.Mark = ids[0]
	default:
		f.Mark, f.Marks = "", ids
	}
	return nil
}

// MarkLister is a MarkDirectory that can list its marks (for reasons in
// the reviewer's words).
type MarkLister interface {
	Marks() []MarkInfo
}

// Marks implements MarkLister.
func (m MarkMap) Marks() []MarkInfo {
	out := make([]MarkInfo, 0, len(m))
	for id, info := range m {
		if info.ID == "" {
			info.ID = id
		}
		out = append(out, info)
	}
	return out
}

// reviewerWords replaces the mark ids in a matcher's reason text with the
// marks' names: "special mark asian-games used by …" reads "special mark
// 杭州亚运会 used by …".
func (s *Server) reviewerWords(text string) string {
	s.wordsOnce.Do(func() {
		lister, ok := s.opts.Marks.(MarkLister)
		if !ok {
			return
		}
		var ids []string
		names := map[string]string{}
		for _, info := range lister.Marks() {
			if len(info.ID) >= 3 && info.Name != "" && info.Name != info.ID {
				ids = append(ids, regexp.QuoteMeta(info.ID))
				names[info.ID] = info.Name
			}
		}
		if len(ids) == 0 {
			return
		}
		// Longest first, so that "nike-sb" wins over "nike".
		sort.Slice(ids, func(i, j int) bool { return len(ids[i]) > len(ids[j]) })
		re := regexp.MustCompile(`(^|[^\p{L}\p{N}_-])(` + strings.Join(ids, "|") + `)($|[^\p{L}\p{N}_-])`)
		s.words = func(t string) string {
			return re.ReplaceAllStringFunc(t, func(m string) string {
				sub := re.FindStringSubmatch(m)
				return sub[1] + names[sub[2]] + sub[3]
			})
		}
	})
	if s.words == nil {
		return text
	}
	return s.words(text)
}
