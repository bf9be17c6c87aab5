package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/markwatch/markwatch/evidence"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DBFile is the database's file name inside the data directory.
const DBFile = "markwatch.db"

var (
	// ErrNotFound is returned when a listing, user, batch or run does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrTransition is returned for a status change the workflow does not allow.
	ErrTransition = errors.New("store: status change not allowed")
	// ErrInvalid is returned for bad input (an unknown status, a bad filter).
	ErrInvalid = errors.New("store: invalid input")
)

// Store is the review store. Its methods are safe for concurrent use.
type Store struct {
	write    *sql.DB // one connection: SQLite has one writer
	read     *sql.DB
	evidence *evidence.Store
	// ownEvidence: Open opened the evidence store, and Close closes it.
	ownEvidence bool
	dir         string
	log         *slog.Logger
	now         func() time.Time
	metrics     *Metrics
	// bcryptCost is the cost new passwords are hashed with.
	bcryptCost int
	dummyOnce  sync.Once
	dummy      []byte
	ingest     *ingestStatements
	stop       chan struct{}
	stopped    chan struct{}
	closeOnce  sync.Once
	closeErr   error
}

type options struct {
	reg      prometheus.Registerer
	log      *slog.Logger
	now      func() time.Time
	readers  int
	evidence *evidence.Store
	cost     int
}

// Option configures Open.
type Option func(*options)

// WithRegisterer registers the store's metrics (findings written, listings
// by review status) with reg.
func WithRegisterer(reg prometheus.Registerer) Option { return func(o *options) { o.reg = reg } }

// WithLogger sets the logger. Default: discard.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithClock sets the clock used for stored times. Default time.Now.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithReaders sets the size of the read connection pool. Default 4.
func WithReaders(n int) Option { return func(o *options) { o.readers = n } }

// WithBcryptCost sets the bcrypt cost of new password hashes. Default
// bcrypt.DefaultCost (10); tests may lower it to bcrypt.MinCost.
func WithBcryptCost(cost int) Option { return func(o *options) { o.cost = cost } }

// WithEvidence uses ev instead of the evidence store under dataDir/evidence.
func WithEvidence(ev *evidence.Store) Option { return func(o *options) { o.evidence = ev } }

// Open opens (creating if needed) the store in dataDir: dataDir/markwatch.db
// and the evidence store dataDir/evidence. Pending schema migrations are
// applied before it returns.
func Open(ctx context.Context, dataDir string, opts ...Option) (*Store, error) {
	o := options{log: slog.New(slog.DiscardHandler), now: time.Now, readers: 4, cost: bcrypt.DefaultCost}
	for _, opt := range opts {
		opt(&o)
	}
	if dataDir == "" {
		return nil, fmt.Errorf("store: empty data directory")
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	ev, ownEvidence := o.evidence, o.evidence == nil
	if ownEvidence {
		var err error
		if ev, err = evidence.Open(filepath.Join(dataDir, "evidence")); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
	}
	path := filepath.Join(dataDir, DBFile)
	write, err := openDB(path, false)
	if err != nil {
		if ownEvidence {
			ev.Close()
		}
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	s := &Store{write: write, evidence: ev, ownEvidence: ownEvidence, dir: dataDir, log: o.log, now: o.now, bcryptCost: o.cost}
	if err := s.migrate(ctx); err != nil {
		write.Close()
		return nil, err
	}
	// Keep the query planner's statistics fresh: the queue's plans depend on
	// them at a million listings. Cheap when nothing changed.
	if _, err := write.ExecContext(ctx, `PRAGMA optimize=0x10002`); err != nil {
		s.log.Warn("store optimize", "err", err)
	}
	if s.ingest, err = prepareIngest(ctx, write); err != nil {
		write.Close()
		return nil, err
	}
	read, err := openDB(path, true)
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(max(o.readers, 1))
	read.SetMaxIdleConns(max(o.readers, 1))
	s.read = read
	s.metrics = newMetrics(o.reg, s)
	s.stop = make(chan struct{})
	s.stopped = make(chan struct{})
	go s.optimizeLoop(time.Hour)
	return s, nil
}

func openDB(path string, readOnly bool) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Add("_pragma", "cache_size(-32000)")
	if readOnly {
		q.Add("_pragma", "query_only(ON)")
	} else {
		q.Add("_txlock", "immediate")
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return db, nil
}

// migrate applies the embedded migrations not yet recorded in
// schema_migrations, each in its own transaction, in file-name order.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		base := filepath.Base(name)
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("store: migration %s: name must start with a number", base)
		}
		var n int
		if err := s.write.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		if n > 0 {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return fmt.Errorf("store: migration %s: %w", base, err)
		}
		tx, err := s.write.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("store: migration %s: %w", base, err)
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migration %s: %w", base, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			version, base, s.now().UnixMilli()); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migration %s: %w", base, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: migration %s: %w", base, err)
		}
		s.log.Info("store migrated", "migration", base)
	}
	return nil
}

// SchemaVersion is the newest applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := s.read.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v)
	return int(v.Int64), err
}

// Evidence is the evidence store the store preserves pages in.
func (s *Store) Evidence() *evidence.Store { return s.evidence }

// Dir is the data directory.
func (s *Store) Dir() string { return s.dir }

// Ping checks that the database answers (for /readyz).
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.read.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
}

// optimizeLoop runs PRAGMA optimize every interval until Close.
func (s *Store) optimizeLoop(every time.Duration) {
	defer close(s.stopped)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if _, err := s.write.Exec(`PRAGMA optimize`); err != nil {
				s.log.Warn("store optimize", "err", err)
			}
		}
	}
}

// Close closes the database. Closing twice is harmless.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Store) close() error {
	if s.stop != nil {
		close(s.stop)
		<-s.stopped
	}
	if _, err := s.write.Exec(`PRAGMA optimize`); err != nil {
		s.log.Warn("store optimize", "err", err)
	}
	var errs []error
	if s.read != nil {
		errs = append(errs, s.read.Close())
	}
	// Fold the WAL back into the main file so that the directory can be
	// copied as one file.
	if _, err := s.write.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		s.log.Warn("store checkpoint", "err", err)
	}
	if s.ingest != nil {
		s.ingest.close()
	}
	errs = append(errs, s.write.Close())
	if s.ownEvidence {
		errs = append(errs, s.evidence.Close())
	}
	return errors.Join(errs...)
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}
