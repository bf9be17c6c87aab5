package evidence

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/markwatch/markwatch"
)

// Pages are appended to pack files, DIR/packs/*.pack, one record each:
//
//	magic "MWP1" | SHA-256 of the raw body (32 bytes) | metadata length (uint32, big endian)
//	| gzip'd body length (uint32) | CRC-32C of metadata and body (uint32) | metadata JSON | gzip'd body
//
// Every Store writes to a pack of its own (a new, uniquely named file per
// process and per 256 MiB), so processes sharing the directory never write
// to the same file. The index (hash → pack, offset) is held in memory: built
// at Open by reading each record's header, and extended when a lookup misses
// (another process may have appended since). A record is durable once its
// pack is fsync'd: Put fsyncs before it returns, a Batch once for all its
// pages at Commit.
const (
	packMagic     = "MWP1"
	packHeaderLen = 4 + 32 + 4 + 4 + 4
	packExt       = ".pack"
	// packLimit is the size after which a writer starts a new pack.
	packLimit = 256 << 20
	// maxMeta bounds a record's metadata (a header names a length; a torn
	// or hostile pack must not make a reader allocate gigabytes).
	maxMeta = 1 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// pack is one pack file as this Store knows it.
type pack struct {
	name string
	path string
	// f is open only for the packs this Store writes (until Close); others
	// are opened for each read, so that a store of many packs holds no
	// more file descriptors than its writer's.
	f       *os.File
	scanned int64 // records before this offset are indexed
}

// packRef locates a record.
type packRef struct {
	pack             *pack
	off              int64
	metaLen, bodyLen uint32
	// checked: the record's CRC was verified (or this Store wrote and
	// synced it), so it may stand in for a new copy of the same body.
	checked bool
}

func (s *Store) packDir() string { return filepath.Join(s.dir, "packs") }

// refreshLocked indexes records appended to packs since the last look, and
// packs new since then. s.mu is held.
func (s *Store) refreshLocked() error {
	entries, err := os.ReadDir(s.packDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("evidence: list packs: %w", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), packExt) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names) // oldest first (names start with their creation time): the first record of a body wins
	var errs []error
	for _, name := range names {
		p := s.packs[name]
		if p == nil {
			p = &pack{name: name, path: filepath.Join(s.packDir(), name)}
			s.packs[name] = p
		}
		if p.f != nil {
			continue // this Store's own: indexed as written
		}
		if err := s.scanLocked(p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// scanLocked indexes p's records from p.scanned on. It stops at the first
// incomplete record: one being written by another process (indexed on a
// later look), or a torn tail left by a crash (never followed by another
// record: its writer starts a new pack when it restarts).
func (s *Store) scanLocked(p *pack) error {
	st, err := os.Stat(p.path)
	if err != nil {
		return fmt.Errorf("evidence: pack %s: %w", p.name, err)
	}
	size := st.Size()
	if p.scanned+packHeaderLen > size {
		return nil
	}
	f, err := os.Open(p.path)
	if err != nil {
		return fmt.Errorf("evidence: pack %s: %w", p.name, err)
	}
	defer f.Close()
	var head [packHeaderLen]byte
	for p.scanned+packHeaderLen <= size {
		if _, err := f.ReadAt(head[:], p.scanned); err != nil {
			return fmt.Errorf("evidence: pack %s at %d: %w", p.name, p.scanned, err)
		}
		if string(head[:4]) != packMagic {
			return nil // torn or foreign bytes: nothing after them is trusted
		}
		metaLen := binary.BigEndian.Uint32(head[36:])
		bodyLen := binary.BigEndian.Uint32(head[40:])
		end := p.scanned + packHeaderLen + int64(metaLen) + int64(bodyLen)
		if metaLen > maxMeta || bodyLen > 2*MaxBody || end > size {
			return nil
		}
		var key [32]byte
		copy(key[:], head[4:36])
		ref := &packRef{pack: p, off: p.scanned, metaLen: metaLen, bodyLen: bodyLen}
		if first, ok := s.index[key]; !ok {
			s.index[key] = ref
		} else if !first.checked {
			// A body stored twice: the first record wins unless it is torn
			// (a crash, then the page stored again).
			if _, _, err := s.readRecordLocked(first); err == nil {
				first.checked = true
			} else {
				s.index[key] = ref
			}
		}
		p.scanned = end
	}
	return nil
}

// lookup finds hash in the packs, looking again at the directory when it
// is not indexed and refresh is set.
func (s *Store) lookup(hash string, refresh bool) (*packRef, bool) {
	var key [32]byte
	if _, err := hex.Decode(key[:], []byte(hash)); err != nil {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ref, ok := s.index[key]; ok {
		return ref, true
	}
	if !refresh {
		return nil, false
	}
	if err := s.refreshLocked(); err != nil {
		s.lastErr = err
	}
	ref, ok := s.index[key]
	return ref, ok
}

// readRecord returns a record's metadata and gzip'd body, checking its CRC.
func (s *Store) readRecord(ref *packRef) (meta, gz []byte, err error) {
	s.mu.Lock()
	f := ref.pack.f
	s.mu.Unlock()
	return readRecordFrom(f, ref)
}

func (s *Store) readRecordLocked(ref *packRef) (meta, gz []byte, err error) {
	return readRecordFrom(ref.pack.f, ref)
}

// readRecordFrom reads ref from f, the pack's open file (this Store's own
// packs, never closed before Close), or when nil from the pack opened
// for this read.
func readRecordFrom(f *os.File, ref *packRef) (meta, gz []byte, err error) {
	if f == nil {
		if f, err = os.Open(ref.pack.path); err != nil {
			return nil, nil, fmt.Errorf("pack %s: %w", ref.pack.name, err)
		}
		defer f.Close()
	}
	buf := make([]byte, packHeaderLen+int(ref.metaLen)+int(ref.bodyLen))
	if _, err := f.ReadAt(buf, ref.off); err != nil {
		return nil, nil, fmt.Errorf("pack %s at %d: %w", ref.pack.name, ref.off, err)
	}
	meta = buf[packHeaderLen : packHeaderLen+ref.metaLen]
	gz = buf[packHeaderLen+ref.metaLen:]
	want := binary.BigEndian.Uint32(buf[44:])
	crc := crc32.Update(crc32.Checksum(meta, castagnoli), castagnoli, gz)
	if crc != want {
		return nil, nil, fmt.Errorf("pack %s at %d: checksum mismatch", ref.pack.name, ref.off)
	}
	return meta, gz, nil
}

// storedPacked reports whether a sound record of hash is in a pack: one this
// Store wrote, or one whose checksum it has verified, so that a torn record
// left by a crash never stands in for a page being stored again.
func (s *Store) storedPacked(hash string) bool {
	ref, ok := s.lookup(hash, false)
	if !ok {
		return false
	}
	s.mu.Lock()
	checked := ref.checked
	s.mu.Unlock()
	if checked {
		return true
	}
	if _, _, err := s.readRecord(ref); err != nil {
		return false // torn: Put stores the page again
	}
	s.mu.Lock()
	ref.checked = true
	s.mu.Unlock()
	return true
}

// appendRecord appends one record to this Store's pack (starting one when
// needed) and indexes it; it is durable after the next syncPack. A body
// appended twice before being indexed is stored twice (harmless: the
// first record wins).
func (s *Store) appendRecord(hash string, meta, gz []byte) error {
	var key [32]byte
	if _, err := hex.Decode(key[:], []byte(hash)); err != nil {
		return fmt.Errorf("%w: %q", ErrBadHash, hash)
	}
	rec := make([]byte, packHeaderLen, packHeaderLen+len(meta)+len(gz))
	copy(rec, packMagic)
	copy(rec[4:], key[:])
	binary.BigEndian.PutUint32(rec[36:], uint32(len(meta)))
	binary.BigEndian.PutUint32(rec[40:], uint32(len(gz)))
	binary.BigEndian.PutUint32(rec[44:], crc32.Update(crc32.Checksum(meta, castagnoli), castagnoli, gz))
	rec = append(append(rec, meta...), gz...)

	s.mu.Lock()
	defer s.mu.Unlock()
	if ref, ok := s.index[key]; ok && ref.checked {
		return nil // stored meanwhile; an unchecked record (torn, or not yet synced) is superseded
	}
	if s.active == nil || s.active.scanned+int64(len(rec)) > packLimit && s.active.scanned > 0 {
		if err := s.startPackLocked(); err != nil {
			return err
		}
	}
	p := s.active
	if _, err := p.f.Write(rec); err != nil {
		// The pack may now end in a torn record: write no more to it.
		s.failPackLocked()
		return fmt.Errorf("evidence: put %s: %w", hash, err)
	}
	s.index[key] = &packRef{pack: p, off: p.scanned, metaLen: uint32(len(meta)), bodyLen: uint32(len(gz))}
	s.unsynced = append(s.unsynced, key)
	p.scanned += int64(len(rec))
	return nil
}

// startPackLocked makes the previous pack durable and opens a new one.
func (s *Store) startPackLocked() error {
	if s.active != nil {
		if err := s.syncLocked(); err != nil {
			return err
		}
		s.active = nil
	}
	if err := os.MkdirAll(s.packDir(), 0o750); err != nil {
		return fmt.Errorf("evidence: packs: %w", err)
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	name := fmt.Sprintf("%s-%d-%s%s", s.now().UTC().Format("20060102T150405.000000000Z"), os.Getpid(), hex.EncodeToString(rnd[:]), packExt)
	f, err := os.OpenFile(filepath.Join(s.packDir(), name), os.O_RDWR|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("evidence: new pack: %w", err)
	}
	if !s.noSync {
		// The new name must survive a crash as well as what is written to it.
		if err := syncDir(s.packDir()); err != nil {
			f.Close()
			os.Remove(f.Name())
			return fmt.Errorf("evidence: new pack: %w", err)
		}
	}
	p := &pack{name: name, path: f.Name(), f: f}
	s.packs[name] = p
	s.active = p
	return nil
}

// failPackLocked forgets the records not yet synced (they may be lost) and
// retires the active pack: the next append starts another.
func (s *Store) failPackLocked() {
	s.failures++
	for _, key := range s.unsynced {
		delete(s.index, key)
	}
	s.unsynced = s.unsynced[:0]
	if s.active != nil {
		s.active.scanned = 1<<63 - 1 // never scanned again by this Store
		s.active = nil
	}
}

// syncLocked makes every record appended so far durable.
func (s *Store) syncLocked() error {
	if len(s.unsynced) == 0 || s.active == nil {
		return nil
	}
	if !s.noSync {
		if err := s.active.f.Sync(); err != nil {
			s.failPackLocked()
			return fmt.Errorf("evidence: sync pack: %w", err)
		}
	}
	for _, key := range s.unsynced {
		s.index[key].checked = true
	}
	s.unsynced = s.unsynced[:0]
	return nil
}

// sync makes every page appended to this Store durable (Batch.Commit).
func (s *Store) sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.syncLocked()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Close syncs this Store's pack and closes the packs it has open.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.syncLocked()
	for name, p := range s.packs {
		if p.f != nil {
			p.f.Close()
		}
		delete(s.packs, name)
	}
	s.index = map[[32]byte]*packRef{}
	s.active = nil
	return err
}

// Batch appends pages to the store and makes them durable together: one
// fsync at Commit however many pages it holds (a findings batch's pages,
// before its rows are committed). A page is readable from the store as
// soon as it is added; it is durable only after Commit returns nil.
type Batch struct {
	s        *Store
	failures uint64 // the store's failed syncs when the batch began
}

// Batch starts a batch of pages.
func (s *Store) Batch() *Batch {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &Batch{s: s, failures: s.failures}
}

// Put is Store.Put without waiting for the disk.
func (b *Batch) Put(page *markwatch.Page) (string, error) { return b.s.put(page, false) }

// PutGzip is Store.PutGzip without waiting for the disk.
func (b *Batch) PutGzip(page *markwatch.Page, hash string, gz []byte) (string, error) {
	return b.s.putGzip(page, hash, gz, false)
}

// Commit makes every page added so far durable. After an error, pages of
// the batch may be lost (and are no longer indexed): store none of the
// rows that name them. A failed sync since the batch began (of another
// batch that this one shared a page with) fails it too.
func (b *Batch) Commit() error {
	s := b.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.syncLocked(); err != nil {
		return err
	}
	if s.failures != b.failures {
		return errors.New("evidence: a pack failed to sync during the batch")
	}
	return nil
}

// packGet reads a packed page's metadata and gzip'd body.
func (s *Store) packGet(hash string) (meta, gz []byte, found bool, err error) {
	ref, ok := s.lookup(hash, true)
	if !ok {
		return nil, nil, false, nil
	}
	meta, gz, err = s.readRecord(ref)
	if err != nil {
		return nil, nil, true, fmt.Errorf("%w: %s: %v", ErrTampered, hash, err)
	}
	return meta, gz, true, nil
}

var _ io.Closer = (*Store)(nil)
