package evidence

import (
	"bytes"
	stdgzip "compress/gzip"
	"errors"
	"strings"
	"testing"
)

// Evidence written before the move to klauspost/compress (by the standard
// library's gzip, at any level) still opens and verifies.
func TestOlderStdlibGzipEvidenceStillReads(t *testing.T) {
	dir := t.TempDir()
	var hashes []string
	for _, level := range []int{stdgzip.BestSpeed, stdgzip.DefaultCompression, stdgzip.BestCompression} {
		body := strings.Repeat("<li>耐克 高仿 Nike 鞋</li>", 50) + string(rune('a'+level))
		// Stored as the standard library writes it, by an earlier version.
		var buf bytes.Buffer
		zw, _ := stdgzip.NewWriterLevel(&buf, level)
		zw.Write([]byte(body))
		zw.Close()
		hashes = append(hashes, writeLegacy(t, dir, page(body), buf.Bytes()))
	}
	s := reopen(t, dir)
	for i, level := range []int{stdgzip.BestSpeed, stdgzip.DefaultCompression, stdgzip.BestCompression} {
		body := strings.Repeat("<li>耐克 高仿 Nike 鞋</li>", 50) + string(rune('a'+level))
		hash := hashes[i]
		got, _, err := s.Get(hash)
		if err != nil {
			t.Fatalf("level %d: %v", level, err)
		}
		if string(got) != body {
			t.Fatalf("level %d: body differs", level)
		}
	}
}

// PutGzip stores a worker's gzip'd body as it came after checking it
// against its hash, refuses one that does not match, and reads nothing
// when the hash is stored already.
func TestPutGzip(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("<html>仿冒 愛馬仕 包</html>")
	gz := Gzip(body)
	hash := Hash(body)
	meta := page("")
	got, err := s.PutGzip(meta, hash, gz)
	if err != nil || got != hash {
		t.Fatalf("PutGzip = %s, %v", got, err)
	}
	back, m, err := s.Get(hash)
	if err != nil || !bytes.Equal(back, body) {
		t.Fatalf("Get = %q, %v", back, err)
	}
	if m.Size != int64(len(body)) || m.URL != meta.URL || m.Adapter != meta.Adapter {
		t.Errorf("meta = %+v", m)
	}
	if recs := packRecords(t, s.Dir()); len(recs) != 1 || !bytes.Equal(recs[0].gz, gz) {
		t.Errorf("stored body is not the bytes given")
	}

	other := []byte("<html>another page</html>")
	if _, err := s.PutGzip(meta, Hash(other), gz); !errors.Is(err, ErrTampered) {
		t.Errorf("PutGzip of a body under another hash: %v, want ErrTampered", err)
	}
	if s.Has(Hash(other)) {
		t.Error("a refused body was stored")
	}
	if _, err := s.PutGzip(meta, hash[:10], gz); !errors.Is(err, ErrBadHash) {
		t.Errorf("bad hash: %v", err)
	}
	// Stored already: even garbage bytes are not read (nothing to verify
	// or write; the stored record stays).
	if got, err := s.PutGzip(meta, hash, []byte("not gzip")); err != nil || got != hash {
		t.Errorf("PutGzip of a stored hash = %s, %v", got, err)
	}
	if back, _, err := s.Get(hash); err != nil || !bytes.Equal(back, body) {
		t.Errorf("stored page changed: %q, %v", back, err)
	}
	// Put of the same body is also a no-op now.
	if got, err := s.Put(page(string(body))); err != nil || got != hash {
		t.Errorf("Put = %s, %v", got, err)
	}
}
