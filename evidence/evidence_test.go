package evidence

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
)

func page(body string) *markwatch.Page {
	return &markwatch.Page{
		Task:      markwatch.Task{Site: "examplemart", Run: "r1"},
		Adapter:   "examplemart@1a2b3c",
		URL:       "https://www.example.com/search?q=nike",
		FinalURL:  "https://www.example.com/search?q=nike&p=1",
		Status:    200,
		Header:    map[string]string{"Content-Type": "text/html; charset=gbk"},
		Body:      []byte(body),
		FetchedAt: time.Date(2026, 10, 1, 8, 30, 0, 0, time.FixedZone("CST", 8*3600)),
	}
}

func TestPutGetRoundTrip(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	body := "<html>高仿 Nike 鞋 \xb8\xdf</html>" // raw bytes, not necessarily UTF-8
	hash, err := s.Put(page(body))
	if err != nil {
		t.Fatal(err)
	}
	if want := Hash([]byte(body)); hash != want {
		t.Fatalf("hash = %s, want SHA-256 of the raw body %s", hash, want)
	}
	got, meta, err := s.Get(hash)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != body {
		t.Errorf("body = %q, want %q", got, body)
	}
	if meta.URL != "https://www.example.com/search?q=nike" || meta.FinalURL != "https://www.example.com/search?q=nike&p=1" ||
		meta.Status != 200 || meta.Adapter != "examplemart@1a2b3c" || meta.Size != int64(len(body)) || meta.SHA256 != hash {
		t.Errorf("meta = %+v", meta)
	}
	if meta.FetchedAt.Location() != time.UTC || !meta.FetchedAt.Equal(time.Date(2026, 10, 1, 0, 30, 0, 0, time.UTC)) {
		t.Errorf("fetched_at = %v, want 2026-10-01 00:30 UTC", meta.FetchedAt)
	}
	if meta.ContentType() != "text/html; charset=gbk" {
		t.Errorf("content type = %q", meta.ContentType())
	}
	// The body is stored gzip-compressed under its hash.
	raw, err := os.ReadFile(filepath.Join(s.Dir(), hash[:2], hash[2:4], hash+".gz"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("stored body is not gzip: %v", err)
	}
	zr.Close()
}

func TestIdenticalPagesStoredOnce(t *testing.T) {
	s, _ := Open(t.TempDir())
	first := page("<html>same</html>")
	h1, err := s.Put(first)
	if err != nil {
		t.Fatal(err)
	}
	second := page("<html>same</html>")
	second.URL = "https://www.example.com/other"
	second.FetchedAt = first.FetchedAt.Add(time.Hour)
	h2, err := s.Put(second)
	if err != nil {
		t.Fatal(err)
	}
	if h1 != h2 {
		t.Fatalf("identical bodies got different hashes %s, %s", h1, h2)
	}
	_, meta, _ := s.Get(h1)
	if meta.URL != first.URL {
		t.Errorf("metadata = %s, want the first fetch's record kept", meta.URL)
	}
	var files int
	filepath.Walk(s.Dir(), func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			files++
		}
		return nil
	})
	if files != 2 {
		t.Errorf("%d files on disk, want 2 (one body, one record)", files)
	}
}

func TestTamperedEvidenceIsAnError(t *testing.T) {
	s, _ := Open(t.TempDir())
	hash, err := s.Put(page("<html>original</html>"))
	if err != nil {
		t.Fatal(err)
	}
	bodyPath := filepath.Join(s.Dir(), hash[:2], hash[2:4], hash+".gz")

	// Replace the body with another valid gzip stream.
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("<html>forged</html>"))
	zw.Close()
	if err := os.WriteFile(bodyPath, buf.Bytes(), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(hash); !errors.Is(err, ErrTampered) {
		t.Errorf("forged body: err = %v, want ErrTampered", err)
	}
	// Corrupt bytes.
	os.WriteFile(bodyPath, []byte("not gzip at all"), 0o640)
	if _, _, err := s.Get(hash); !errors.Is(err, ErrTampered) {
		t.Errorf("corrupt body: err = %v, want ErrTampered", err)
	}
	// Metadata naming another hash.
	hash2, _ := s.Put(page("<html>second</html>"))
	metaPath := filepath.Join(s.Dir(), hash2[:2], hash2[2:4], hash2+".json")
	data, _ := os.ReadFile(metaPath)
	os.WriteFile(metaPath, bytes.Replace(data, []byte(hash2), []byte(hash), 1), 0o640)
	if _, _, err := s.Get(hash2); !errors.Is(err, ErrTampered) {
		t.Errorf("metadata for another hash: err = %v, want ErrTampered", err)
	}
}

func TestBadAndMissingHashes(t *testing.T) {
	s, _ := Open(t.TempDir())
	for _, h := range []string{"", "../../etc/passwd", "ABCDEF", "zz" + Hash(nil)[2:], Hash(nil) + "0"} {
		if _, _, err := s.Get(h); !errors.Is(err, ErrBadHash) {
			t.Errorf("Get(%q) err = %v, want ErrBadHash", h, err)
		}
	}
	if _, _, err := s.Get(Hash([]byte("never stored"))); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: err = %v, want ErrNotFound", err)
	}
	if _, err := s.Put(page("")); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty body: err = %v, want ErrEmpty", err)
	}
	if s.Has("../x") {
		t.Error("Has accepted a path")
	}
}

func TestPutRepairsALostBody(t *testing.T) {
	s, _ := Open(t.TempDir(), NoSync())
	hash, err := s.Put(page("<html>kept</html>"))
	if err != nil {
		t.Fatal(err)
	}
	bodyPath := filepath.Join(s.Dir(), hash[:2], hash[2:4], hash+".gz")
	os.Truncate(bodyPath, 0) // what a crash before the data reached the disk leaves
	if _, _, err := s.Get(hash); !errors.Is(err, ErrTampered) {
		t.Fatalf("empty body: %v, want ErrTampered", err)
	}
	if _, err := s.Put(page("<html>kept</html>")); err != nil {
		t.Fatal(err)
	}
	if body, _, err := s.Get(hash); err != nil || string(body) != "<html>kept</html>" {
		t.Errorf("after repair: %q %v", body, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(bodyPath))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

// A browser page's screenshot is stored content-addressed beside the body,
// named in the body's metadata, and read back checked against its hash.
func TestScreenshotStoredBesideThePage(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p := page("<html>rendered</html>")
	p.Screenshot = []byte("\x89PNG\r\n\x1a\nnot really a png")
	hash, err := s.Put(p)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.Meta(hash)
	if err != nil {
		t.Fatal(err)
	}
	if m.Screenshot != Hash(p.Screenshot) {
		t.Fatalf("meta names screenshot %q, want %q", m.Screenshot, Hash(p.Screenshot))
	}
	got, err := s.Screenshot(m.Screenshot)
	if err != nil || !bytes.Equal(got, p.Screenshot) {
		t.Fatalf("screenshot: %v", err)
	}
	os.WriteFile(filepath.Join(s.Dir(), m.Screenshot[:2], m.Screenshot[2:4], m.Screenshot+".png"), []byte("tampered"), 0o640)
	if _, err := s.Screenshot(m.Screenshot); err == nil {
		t.Fatal("a tampered screenshot was read back")
	}
	if plain, _ := s.Put(page("<html>plain</html>")); plain != "" {
		if m, _ := s.Meta(plain); m.Screenshot != "" {
			t.Fatalf("a page without a screenshot names one: %+v", m)
		}
	}
}
