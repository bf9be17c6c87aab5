package images

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Store keeps image bytes content-addressed (SHA-256) under a directory
// beside the page evidence: <dir>/ab/cd/<sha256>.<format>. A stored image
// is never written twice.
type Store struct{ dir string }

// EvidenceDir is the directory of the listing photos beside the page
// evidence in evidenceDir: where the worker's images step, serve's
// findings consumer and the review pages all look.
func EvidenceDir(evidenceDir string) string { return filepath.Join(evidenceDir, "images") }

// OpenStore opens (creating) an image store in dir.
func OpenStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("images: open store %s: %w", dir, err)
	}
	return &Store{dir: dir}, nil
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// formats lists the extensions a stored image may have.
var formats = []string{"jpeg", "png", "gif", "webp"}

// Put stores body (of format) and returns its SHA-256 in hex.
func (s *Store) Put(body []byte, format string) (string, error) {
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	path := s.path(hash, format)
	if st, err := os.Stat(path); err == nil && st.Size() == int64(len(body)) {
		return hash, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return "", fmt.Errorf("images: put %s: %w", hash, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return "", fmt.Errorf("images: put %s: %w", hash, err)
	}
	_, werr := tmp.Write(body)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("images: put %s: %w", hash, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("images: put %s: %w", hash, err)
	}
	return hash, nil
}

// ErrNotPhoto is PutChecked's refusal of bytes that are not the photo
// they are said to be.
var ErrNotPhoto = errors.New("not the photo its hash names")

// PutChecked stores body received from elsewhere (a worker's findings
// batch) as the photo of SHA-256 hash: refused with ErrNotPhoto unless the
// bytes hash to it and their magic number is an image format's (the
// format is sniffed, never taken from the sender).
func (s *Store) PutChecked(hash string, body []byte) error {
	sum := sha256.Sum256(body)
	if hex.EncodeToString(sum[:]) != hash {
		return fmt.Errorf("images: photo %.16s…: %w (SHA-256 differs)", hash, ErrNotPhoto)
	}
	format := Sniff(body)
	if format == "" {
		return fmt.Errorf("images: photo %.16s…: %w (no image format)", hash, ErrNotPhoto)
	}
	_, err := s.Put(body, format)
	return err
}

// Get returns a stored image and its format, verifying its hash.
func (s *Store) Get(hash string) ([]byte, string, error) {
	if len(hash) != 64 {
		return nil, "", fmt.Errorf("images: bad hash %q", hash)
	}
	if _, err := hex.DecodeString(hash); err != nil {
		return nil, "", fmt.Errorf("images: bad hash %q", hash)
	}
	for _, f := range formats {
		body, err := os.ReadFile(s.path(hash, f))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("images: get %s: %w", hash, err)
		}
		if sum := sha256.Sum256(body); hex.EncodeToString(sum[:]) != hash {
			return nil, "", fmt.Errorf("images: get %s: content does not match its hash", hash)
		}
		return body, f, nil
	}
	return nil, "", fmt.Errorf("images: get %s: %w", hash, os.ErrNotExist)
}

func (s *Store) path(hash, format string) string {
	return filepath.Join(s.dir, hash[:2], hash[2:4], hash+"."+format)
}
