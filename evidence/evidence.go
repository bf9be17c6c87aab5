package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/markwatch/markwatch"
)

var (
	// ErrNotFound is returned by Get for a hash with no stored page.
	ErrNotFound = errors.New("evidence: not found")
	// ErrTampered is returned by Get when a stored body no longer hashes to
	// its name, or its metadata names another hash.
	ErrTampered = errors.New("evidence: stored page does not match its hash")
	// ErrBadHash is returned for a string that is not a lowercase hex SHA-256.
	ErrBadHash = errors.New("evidence: not a SHA-256 hex digest")
	// ErrEmpty is returned by Put for a page without a body.
	ErrEmpty = errors.New("evidence: page has no body")
)

// MaxBody bounds how many bytes Get decompresses, so that a corrupted or
// hostile file cannot exhaust memory. Crawled bodies are bounded far below.
const MaxBody = 64 << 20

// Meta describes a preserved page.
type Meta struct {
	SHA256    string            `json:"sha256"`
	Size      int64             `json:"size"` // raw body bytes
	URL       string            `json:"url"`  // requested URL
	FinalURL  string            `json:"final_url,omitempty"`
	Status    int               `json:"status"`
	Header    map[string]string `json:"header,omitempty"`
	FetchedAt time.Time         `json:"fetched_at"` // UTC
	// Adapter is the site adapter that fetched the page, "name@version"
	// when the crawler reports a version, else the site name.
	Adapter   string    `json:"adapter,omitempty"`
	Truncated bool      `json:"truncated,omitempty"`
	StoredAt  time.Time `json:"stored_at"`
	// Screenshot is the SHA-256 of the full-page PNG of a page rendered
	// in a browser, stored content-addressed beside the body (Screenshot
	// reads it); empty for pages fetched over plain HTTP.
	Screenshot string `json:"screenshot,omitempty"`
}

// ContentType is the Content-Type the page was served with, if recorded.
func (m Meta) ContentType() string {
	for k, v := range m.Header {
		if strings.EqualFold(k, "Content-Type") {
			return v
		}
	}
	return ""
}

// gzipWriters are reused: a deflate writer allocates about a megabyte.
// Bodies are gzip'd with github.com/klauspost/compress (the same format as
// compress/gzip, about twice as fast at BestSpeed), so evidence written by
// any earlier version reads the same way.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return zw
}}

// gzipReaders and copyBuffers are reused: a gzip reader allocates its
// decompressor's tables (tens of kilobytes), io.Copy a 32 KiB buffer, for
// every page serve checks.
var (
	gzipReaders sync.Pool
	copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}
)

// getGzipReader returns a pooled reader of r; put it back in gzipReaders.
func getGzipReader(r io.Reader) (*gzip.Reader, error) {
	if zr, ok := gzipReaders.Get().(*gzip.Reader); ok {
		if err := zr.Reset(r); err != nil {
			return nil, err
		}
		return zr, nil
	}
	return gzip.NewReader(r)
}

// Gzip compresses body with a pooled writer at BestSpeed: the form Put
// stores and PutGzip accepts.
func Gzip(body []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(body)/3 + 64)
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(&buf)
	zw.Write(body) // writes to a bytes.Buffer do not fail
	zw.Close()
	gzipWriters.Put(zw)
	return buf.Bytes()
}

// Store is a directory of preserved pages. It is safe for concurrent use by
// several goroutines and processes: each Store appends to pack files of
// its own (see pack.go) and finds other processes' pages on a lookup.
type Store struct {
	dir    string
	now    func() time.Time
	noSync bool
	// legacy: the directory holds pages in the per-file layout of earlier
	// versions (DIR/ab/cd/HASH.gz and .json), which are still read and
	// count as stored.
	legacy bool

	mu       sync.Mutex
	index    map[[32]byte]*packRef
	packs    map[string]*pack
	active   *pack      // the pack this Store appends to
	unsynced [][32]byte // appended since the last sync
	failures uint64     // failed writes or syncs (a Batch spanning one fails)
	lastErr  error      // the last failure to read the pack directory
}

// Option configures Open.
type Option func(*Store)

// NoSync skips fsync when writing: faster on a slow or busy disk, at the
// cost that a power cut can lose the last seconds of evidence (a lost or
// torn record is then reported by Get and repaired by the next Put of the
// same page). Default: every page is on disk before Put returns.
func NoSync() Option { return func(s *Store) { s.noSync = true } }

// Open returns the store in dir, creating the directory if needed, and
// indexes the pages stored in its packs.
func Open(dir string, opts ...Option) (*Store, error) {
	if dir == "" {
		return nil, errors.New("evidence: empty directory")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("evidence: open %s: %w", dir, err)
	}
	s := &Store{dir: dir, now: time.Now, index: map[[32]byte]*packRef{}, packs: map[string]*pack{}}
	for _, opt := range opts {
		opt(s)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("evidence: open %s: %w", dir, err)
	}
	for _, e := range entries {
		if e.IsDir() && len(e.Name()) == 2 && ValidHash(e.Name()+Hash(nil)[2:]) {
			s.legacy = true
		}
	}
	s.mu.Lock()
	err = s.refreshLocked()
	s.mu.Unlock()
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// Hash returns the hex SHA-256 of body: the name a page is stored under.
func Hash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// ValidHash reports whether h is a lowercase hex SHA-256 digest.
func ValidHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func (s *Store) paths(hash string) (body, meta string) {
	base := filepath.Join(s.dir, hash[:2], hash[2:4], hash)
	return base + ".gz", base + ".json"
}

// Put preserves page's raw body and returns its SHA-256; the page is on
// disk when Put returns (unless NoSync). A page whose body is already
// stored is not written again (its first metadata record is kept), and
// then the body is hashed once and not compressed at all. Batch.Put
// preserves several pages with one wait for the disk.
func (s *Store) Put(page *markwatch.Page) (string, error) { return s.put(page, true) }

func (s *Store) put(page *markwatch.Page, durable bool) (string, error) {
	if page == nil || len(page.Body) == 0 {
		return "", ErrEmpty
	}
	hash := Hash(page.Body)
	if s.stored(hash) {
		return hash, nil
	}
	return hash, s.write(page, hash, int64(len(page.Body)), Gzip(page.Body), durable)
}

// PutGzip preserves a page whose body comes gzip'd (a worker compressed it
// for the findings stream) under hash, the SHA-256 of the raw body; page's
// Body is ignored. When the store holds hash already nothing is read;
// otherwise the body is decompressed once to check it against hash and
// the compressed bytes are stored as they came, not compressed again.
func (s *Store) PutGzip(page *markwatch.Page, hash string, gz []byte) (string, error) {
	return s.putGzip(page, hash, gz, true)
}

func (s *Store) putGzip(page *markwatch.Page, hash string, gz []byte, durable bool) (string, error) {
	if page == nil || len(gz) == 0 {
		return "", ErrEmpty
	}
	if !ValidHash(hash) {
		return "", fmt.Errorf("%w: %q", ErrBadHash, hash)
	}
	if s.stored(hash) {
		return hash, nil
	}
	size, err := gunzipHash(gz, hash)
	if err != nil {
		return "", err
	}
	return hash, s.write(page, hash, size, gz, durable)
}

// gunzipHash decompresses gz and checks that it hashes to hash; it returns
// the raw size.
func gunzipHash(gz []byte, hash string) (int64, error) {
	zr, err := getGzipReader(bytes.NewReader(gz))
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %v", ErrTampered, hash, err)
	}
	defer gzipReaders.Put(zr)
	h := sha256.New()
	buf := copyBuffers.Get().(*[]byte)
	n, err := io.CopyBuffer(h, io.LimitReader(zr, MaxBody+1), *buf)
	copyBuffers.Put(buf)
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %v", ErrTampered, hash, err)
	}
	if n == 0 {
		return 0, ErrEmpty
	}
	if n > MaxBody {
		return 0, fmt.Errorf("%w: %s: body larger than %d bytes", ErrTampered, hash, MaxBody)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != hash {
		return 0, fmt.Errorf("%w: %s: body hashes to %s", ErrTampered, hash, got)
	}
	return n, nil
}

// stored reports whether hash is stored soundly: in a pack (see
// storedPacked), or in the older per-file layout with a non-empty body. A
// record whose body went missing or empty (a crash without fsync) is not:
// the next Put of the page repairs it.
func (s *Store) stored(hash string) bool {
	if s.storedPacked(hash) {
		return true
	}
	if !s.legacy {
		return false
	}
	bodyPath, metaPath := s.paths(hash)
	if _, err := os.Stat(metaPath); err != nil {
		return false
	}
	st, err := os.Stat(bodyPath)
	return err == nil && st.Size() > 0
}

// write appends gz (the gzip'd body of size raw bytes hashing to hash) and
// page's metadata to this Store's pack, synced when durable is set.
func (s *Store) write(page *markwatch.Page, hash string, size int64, gz []byte, durable bool) error {
	adapter := page.Adapter
	if adapter == "" {
		adapter = page.Task.Site
	}
	var shot string
	if len(page.Screenshot) > 0 {
		// The screenshot first: a record whose metadata names it always has it.
		var err error
		if shot, err = s.putScreenshot(page.Screenshot); err != nil {
			return err
		}
	}
	meta := Meta{
		SHA256:     hash,
		Size:       size,
		URL:        page.URL,
		FinalURL:   page.FinalURL,
		Status:     page.Status,
		Header:     page.Header,
		FetchedAt:  page.FetchedAt.UTC(),
		Adapter:    adapter,
		Truncated:  page.Truncated,
		StoredAt:   s.now().UTC(),
		Screenshot: shot,
	}
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("evidence: put %s: %w", hash, err)
	}
	if err := s.appendRecord(hash, metaJSON, gz); err != nil {
		return err
	}
	if durable {
		return s.sync()
	}
	return nil
}

func (s *Store) screenshotPath(hash string) string {
	return filepath.Join(s.dir, hash[:2], hash[2:4], hash) + ".png"
}

// putScreenshot stores a PNG under its SHA-256 (once) and returns the hash.
func (s *Store) putScreenshot(png []byte) (string, error) {
	hash := Hash(png)
	path := s.screenshotPath(hash)
	if st, err := os.Stat(path); err == nil && st.Size() == int64(len(png)) {
		return hash, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return "", fmt.Errorf("evidence: screenshot %s: %w", hash, err)
	}
	tmp, err := s.writeTemp(filepath.Dir(path), png)
	if err != nil {
		return "", fmt.Errorf("evidence: screenshot %s: %w", hash, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		removeAll(tmp)
		return "", fmt.Errorf("evidence: screenshot %s: %w", hash, err)
	}
	return hash, nil
}

// Screenshot reads a stored screenshot (a PNG) by its SHA-256 and checks
// it against the hash.
func (s *Store) Screenshot(hash string) ([]byte, error) {
	if !ValidHash(hash) {
		return nil, fmt.Errorf("%w: %q", ErrBadHash, hash)
	}
	data, err := os.ReadFile(s.screenshotPath(hash))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: screenshot %s", ErrNotFound, hash)
	}
	if err != nil {
		return nil, fmt.Errorf("evidence: read screenshot %s: %w", hash, err)
	}
	if Hash(data) != hash {
		return nil, fmt.Errorf("evidence: screenshot %s does not match its hash", hash)
	}
	return data, nil
}

// writeTemp writes data to a new temporary file in dir, fsync'd unless the
// store was opened with NoSync, and returns its name.
func (s *Store) writeTemp(dir string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return "", err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil && !s.noSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o640)
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

func removeAll(paths ...string) {
	for _, p := range paths {
		if p != "" {
			os.Remove(p)
		}
	}
}

// Has reports whether a page is stored under hash (without verifying it).
func (s *Store) Has(hash string) bool {
	if !ValidHash(hash) {
		return false
	}
	if _, ok := s.lookup(hash, true); ok {
		return true
	}
	_, metaPath := s.paths(hash)
	_, err := os.Stat(metaPath)
	return err == nil
}

// Meta reads a page's metadata without decompressing its body.
func (s *Store) Meta(hash string) (Meta, error) {
	if !ValidHash(hash) {
		return Meta{}, fmt.Errorf("%w: %q", ErrBadHash, hash)
	}
	data, _, packed, err := s.packGet(hash)
	if err != nil {
		return Meta{}, err
	}
	if !packed {
		_, metaPath := s.paths(hash)
		data, err = os.ReadFile(metaPath)
		if errors.Is(err, fs.ErrNotExist) {
			return Meta{}, fmt.Errorf("%w: %s", ErrNotFound, hash)
		}
		if err != nil {
			return Meta{}, fmt.Errorf("evidence: read %s: %w", hash, err)
		}
	}
	return parseMeta(hash, data)
}

func parseMeta(hash string, data []byte) (Meta, error) {
	var m Meta
	if err := json.Unmarshal(data, &m); err != nil {
		return Meta{}, fmt.Errorf("%w: %s: metadata: %v", ErrTampered, hash, err)
	}
	if m.SHA256 != hash {
		return Meta{}, fmt.Errorf("%w: %s: metadata names %s", ErrTampered, hash, m.SHA256)
	}
	return m, nil
}

// Get returns a page's raw body and metadata after checking that the body
// still hashes to hash.
func (s *Store) Get(hash string) ([]byte, Meta, error) {
	if !ValidHash(hash) {
		return nil, Meta{}, fmt.Errorf("%w: %q", ErrBadHash, hash)
	}
	metaJSON, gz, packed, err := s.packGet(hash)
	if err != nil {
		return nil, Meta{}, err
	}
	var meta Meta
	var r io.Reader
	if packed {
		if meta, err = parseMeta(hash, metaJSON); err != nil {
			return nil, Meta{}, err
		}
		r = bytes.NewReader(gz)
	} else {
		if meta, err = s.Meta(hash); err != nil {
			return nil, Meta{}, err
		}
		bodyPath, _ := s.paths(hash)
		f, err := os.Open(bodyPath)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, Meta{}, fmt.Errorf("%w: %s: body missing", ErrNotFound, hash)
		}
		if err != nil {
			return nil, Meta{}, fmt.Errorf("evidence: read %s: %w", hash, err)
		}
		defer f.Close()
		r = f
	}
	zr, err := getGzipReader(r)
	if err != nil {
		return nil, Meta{}, fmt.Errorf("%w: %s: %v", ErrTampered, hash, err)
	}
	defer gzipReaders.Put(zr)
	body, err := io.ReadAll(io.LimitReader(zr, MaxBody+1))
	if err != nil {
		return nil, Meta{}, fmt.Errorf("%w: %s: %v", ErrTampered, hash, err)
	}
	if len(body) > MaxBody {
		return nil, Meta{}, fmt.Errorf("%w: %s: body larger than %d bytes", ErrTampered, hash, MaxBody)
	}
	if got := Hash(body); got != hash {
		return nil, Meta{}, fmt.Errorf("%w: %s: body hashes to %s", ErrTampered, hash, got)
	}
	return body, meta, nil
}
