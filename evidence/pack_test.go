package evidence

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
)

// packRecord is one record as found on disk by reading the packs directly
// (not through Store).
type packRecord struct {
	path     string
	off      int64
	hash     string
	meta, gz []byte
}

func packRecords(t *testing.T, dir string) []packRecord {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, "packs", "*"+packExt))
	sort.Strings(paths)
	var out []packRecord
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for off := 0; off+packHeaderLen <= len(data); {
			if string(data[off:off+4]) != packMagic {
				t.Fatalf("%s at %d: no record", path, off)
			}
			m := int(binary.BigEndian.Uint32(data[off+36:]))
			g := int(binary.BigEndian.Uint32(data[off+40:]))
			start := off + packHeaderLen
			if start+m+g > len(data) {
				break
			}
			out = append(out, packRecord{path: path, off: int64(off), hash: hex.EncodeToString(data[off+4 : off+36]),
				meta: data[start : start+m], gz: data[start+m : start+m+g]})
			off = start + m + g
		}
	}
	return out
}

// rewritePack replaces rec's metadata and body in place (same lengths as
// stored, else the test is wrong), with a checksum that fits when fix is set.
func rewritePack(t *testing.T, dir string, rec packRecord, meta, gz []byte, fix bool) {
	t.Helper()
	data, err := os.ReadFile(rec.path)
	if err != nil {
		t.Fatal(err)
	}
	start := int(rec.off) + packHeaderLen
	if len(meta) != len(rec.meta) {
		t.Fatalf("rewritten metadata has %d bytes, stored %d", len(meta), len(rec.meta))
	}
	if len(gz) != len(rec.gz) { // pad or cut the body to the stored length
		gz = append(gz, make([]byte, max(0, len(rec.gz)-len(gz)))...)[:len(rec.gz)]
	}
	copy(data[start:], meta)
	copy(data[start+len(meta):], gz)
	if fix {
		crc := crc32.Update(crc32.Checksum(meta, castagnoli), castagnoli, gz)
		binary.BigEndian.PutUint32(data[rec.off+44:], crc)
	}
	if err := os.WriteFile(rec.path, data, 0o640); err != nil {
		t.Fatal(err)
	}
}

func reopen(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir, NoSync())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// writeLegacy stores p the way versions before pack files did:
// DIR/ab/cd/HASH.gz and DIR/ab/cd/HASH.json (indented Meta).
func writeLegacy(t *testing.T, dir string, p *markwatch.Page, gz []byte) string {
	t.Helper()
	hash := Hash(p.Body)
	if gz == nil {
		gz = Gzip(p.Body)
	}
	base := filepath.Join(dir, hash[:2], hash[2:4], hash)
	os.MkdirAll(filepath.Dir(base), 0o750)
	meta, _ := json.MarshalIndent(Meta{SHA256: hash, Size: int64(len(p.Body)), URL: p.URL, Status: p.Status,
		Header: p.Header, FetchedAt: p.FetchedAt.UTC(), Adapter: p.Adapter, StoredAt: time.Now().UTC()}, "", "  ")
	if err := os.WriteFile(base+".gz", gz, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(base+".json", meta, 0o640); err != nil {
		t.Fatal(err)
	}
	return hash
}

// A directory written by an earlier version (one file per body and per
// record) still reads, counts as stored, detects tampering, and is
// repaired in a pack when a body went missing.
func TestOlderPerFileEvidenceStillReads(t *testing.T) {
	dir := t.TempDir()
	old := page("<html>stored by an earlier version 仿冒</html>")
	hash := writeLegacy(t, dir, old, nil)
	lost := page("<html>lost in a crash</html>")
	lostHash := writeLegacy(t, dir, lost, nil)
	os.Truncate(filepath.Join(dir, lostHash[:2], lostHash[2:4], lostHash+".gz"), 0)

	s := reopen(t, dir)
	body, meta, err := s.Get(hash)
	if err != nil || string(body) != string(old.Body) || meta.URL != old.URL {
		t.Fatalf("Get = %q %+v %v", body, meta, err)
	}
	if !s.Has(hash) {
		t.Error("Has = false for an older record")
	}
	if got, err := s.Put(page(string(old.Body))); err != nil || got != hash {
		t.Fatalf("Put = %s, %v", got, err)
	}
	if recs := packRecords(t, dir); len(recs) != 0 {
		t.Errorf("a page stored by an earlier version was stored again: %d records", len(recs))
	}
	// The lost body is stored again, in a pack, and read from there.
	if _, _, err := s.Get(lostHash); err == nil {
		t.Fatal("an empty older body was read back")
	}
	if _, err := s.Put(page(string(lost.Body))); err != nil {
		t.Fatal(err)
	}
	if body, _, err := s.Get(lostHash); err != nil || string(body) != string(lost.Body) {
		t.Errorf("after repair: %q %v", body, err)
	}
	// Tampering with an older body is still an error.
	os.WriteFile(filepath.Join(dir, hash[:2], hash[2:4], hash+".gz"), Gzip([]byte("<html>forged</html>")), 0o640)
	if _, _, err := s.Get(hash); !errors.Is(err, ErrTampered) {
		t.Errorf("forged older body: %v, want ErrTampered", err)
	}
}

// Pages put by one Store are found by another on the same directory (two
// processes: serve writing, review reading), and a reopened Store finds
// everything both wrote. Each Store writes its own pack.
func TestStoresShareADirectory(t *testing.T) {
	dir := t.TempDir()
	a, b := reopen(t, dir), reopen(t, dir)
	ha, err := a.Put(page("<html>from a</html>"))
	if err != nil {
		t.Fatal(err)
	}
	hb, err := b.Put(page("<html>from b</html>"))
	if err != nil {
		t.Fatal(err)
	}
	if body, _, err := b.Get(ha); err != nil || string(body) != "<html>from a</html>" {
		t.Fatalf("b reads a's page: %q %v", body, err)
	}
	if m, err := a.Meta(hb); err != nil || m.SHA256 != hb {
		t.Fatalf("a reads b's metadata: %+v %v", m, err)
	}
	// b knows a's page now: putting it again writes nothing.
	if _, err := b.Put(page("<html>from a</html>")); err != nil {
		t.Fatal(err)
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "packs", "*"+packExt))
	if recs := packRecords(t, dir); len(recs) != 2 || len(paths) != 2 {
		t.Errorf("%d records in %d packs, want 2 in 2", len(recs), len(paths))
	}
	c := reopen(t, dir)
	for _, h := range []string{ha, hb} {
		if _, _, err := c.Get(h); err != nil {
			t.Errorf("reopened: %v", err)
		}
	}
}

// A batch's pages are readable once added and all on disk after Commit;
// concurrent batches of the same page store it once.
func TestBatch(t *testing.T) {
	dir := t.TempDir()
	s := reopen(t, dir)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			batch := s.Batch()
			for i := range 20 {
				body := strings.Repeat("x", i) + "<html>page</html>"
				if i%2 == 0 {
					body += string(rune('a' + g)) // half the pages are this goroutine's own
				}
				h, err := batch.PutGzip(page(""), Hash([]byte(body)), Gzip([]byte(body)))
				if err != nil {
					errs <- err
					return
				}
				if !s.Has(h) {
					errs <- errors.New("a page added to a batch is not found")
					return
				}
			}
			errs <- batch.Commit()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	recs := packRecords(t, dir)
	distinct := map[string]bool{}
	for _, r := range recs {
		distinct[r.hash] = true
	}
	if len(distinct) != 8*10+10 {
		t.Fatalf("%d distinct pages stored, want %d", len(distinct), 8*10+10)
	}
	// Two goroutines may race to add the same new page; a few extra
	// copies are harmless, one per goroutine per page is not deduplication.
	if len(recs) > len(distinct)+10 {
		t.Errorf("%d records for %d pages", len(recs), len(distinct))
	}
	r := reopen(t, dir)
	for h := range distinct {
		if _, _, err := r.Get(h); err != nil {
			t.Fatal(err)
		}
	}
}

// A Store keeps open only the packs it writes: reading other packs (of
// earlier processes: one a restart) holds no file descriptor.
func TestReadingOtherPacksHoldsNoFile(t *testing.T) {
	dir := t.TempDir()
	var hashes []string
	for i := range 20 { // twenty earlier processes, a pack each
		w := reopen(t, dir)
		h, err := w.Put(page(strings.Repeat("<p>", i+1)))
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, h)
		w.Close()
	}
	openFiles := func() int {
		entries, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skip("no /proc/self/fd")
		}
		return len(entries)
	}
	before := openFiles()
	s := reopen(t, dir)
	for _, h := range hashes {
		if _, _, err := s.Get(h); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Put(page(strings.Repeat("<p>", 21))); err != nil {
		t.Fatal(err)
	}
	if got := openFiles(); got != before+1 {
		t.Errorf("%d files open after reading 20 packs and writing one, want %d (the one written)", got, before+1)
	}
}
