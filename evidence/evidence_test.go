package evidence

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
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
	// The body is stored gzip-compressed, in one record of a pack file.
	recs := packRecords(t, s.Dir())
	if len(recs) != 1 || recs[0].hash != hash {
		t.Fatalf("pack records = %+v, want one for %s", recs, hash)
	}
	zr, err := gzip.NewReader(bytes.NewReader(recs[0].gz))
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
	if recs := packRecords(t, s.Dir()); len(recs) != 1 {
		t.Errorf("%d records stored, want 1", len(recs))
	}
}

func TestTamperedEvidenceIsAnError(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir)
	hash, err := s.Put(page("<html>original</html>"))
	if err != nil {
		t.Fatal(err)
	}
	hash2, _ := s.Put(page("<html>second</html>"))
	s.Close()
	recs := packRecords(t, dir)

	// The body replaced by another valid gzip stream, the checksum made to fit.
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("<html>forged</html>"))
	zw.Close()
	rewritePack(t, dir, recs[0], recs[0].meta, buf.Bytes(), true)
	if _, _, err := reopen(t, dir).Get(hash); !errors.Is(err, ErrTampered) {
		t.Errorf("forged body: err = %v, want ErrTampered", err)
	}
	// Corrupt bytes, checksum left as it was.
	rewritePack(t, dir, recs[0], recs[0].meta, []byte("not gzip at all"), false)
	if _, _, err := reopen(t, dir).Get(hash); !errors.Is(err, ErrTampered) {
		t.Errorf("corrupt body: err = %v, want ErrTampered", err)
	}
	// Corrupt bytes, checksum made to fit.
	rewritePack(t, dir, recs[0], recs[0].meta, []byte("not gzip at all"), true)
	if _, _, err := reopen(t, dir).Get(hash); !errors.Is(err, ErrTampered) {
		t.Errorf("corrupt body: err = %v, want ErrTampered", err)
	}
	// Metadata naming another hash.
	rewritePack(t, dir, recs[1], bytes.Replace(recs[1].meta, []byte(hash2), []byte(hash), 1), recs[1].gz, true)
	if _, _, err := reopen(t, dir).Get(hash2); !errors.Is(err, ErrTampered) {
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

// A record torn by a crash before its pack reached the disk is not found
// (cut short) or not trusted (its bytes lost), and the next Put of the page
// stores it again.
func TestPutRepairsATornRecord(t *testing.T) {
	for _, tear := range []string{"cut", "zeroed"} {
		t.Run(tear, func(t *testing.T) {
			dir := t.TempDir()
			s, _ := Open(dir, NoSync())
			keep, _ := s.Put(page("<html>before</html>"))
			hash, err := s.Put(page("<html>kept</html>"))
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			recs := packRecords(t, dir)
			last := recs[len(recs)-1]
			if tear == "cut" {
				os.Truncate(last.path, last.off+packHeaderLen+3)
			} else {
				zero := make([]byte, len(last.gz))
				rewritePack(t, dir, last, last.meta, zero, false)
			}
			s = reopen(t, dir)
			if _, _, err := s.Get(hash); err == nil {
				t.Fatal("a torn record was read back")
			}
			if _, _, err := s.Get(keep); err != nil {
				t.Fatalf("the record before the torn one: %v", err)
			}
			if _, err := s.Put(page("<html>kept</html>")); err != nil {
				t.Fatal(err)
			}
			if body, _, err := s.Get(hash); err != nil || string(body) != "<html>kept</html>" {
				t.Errorf("after repair: %q %v", body, err)
			}
			s.Close()
			if body, _, err := reopen(t, dir).Get(hash); err != nil || string(body) != "<html>kept</html>" {
				t.Errorf("after repair, reopened: %q %v", body, err)
			}
		})
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
