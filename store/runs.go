package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Run is a sweep run as the store saw it.
type Run struct {
	ID         string         `json:"id"`
	Sweep      string         `json:"sweep,omitempty"`
	StartedAt  time.Time      `json:"started_at"` // first finding's fetch time
	FinishedAt time.Time      `json:"finished_at,omitzero"`
	Findings   int            `json:"findings"`
	Suspects   int            `json:"suspects"`
	Removed    int            `json:"removed"`    // requested listings it no longer found
	Reappeared int            `json:"reappeared"` // removed listings it found again
	ByStatus   map[Status]int `json:"by_status,omitempty"`
}

const runColumns = `id, sweep, started_at, coalesce(finished_at, 0), findings, suspects, removed, reappeared`

func scanRun(sc interface{ Scan(...any) error }) (Run, error) {
	var r Run
	var started, finished int64
	err := sc.Scan(&r.ID, &r.Sweep, &started, &finished, &r.Findings, &r.Suspects, &r.Removed, &r.Reappeared)
	r.StartedAt, r.FinishedAt = fromMS(started), fromMS(finished)
	return r, err
}

// Runs lists the newest runs first.
func (s *Store) Runs(ctx context.Context, limit int) ([]Run, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+runColumns+` FROM runs ORDER BY started_at DESC, id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("store: runs: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Run returns one run with the current review status of the listings it
// judged.
func (s *Store) Run(ctx context.Context, id string) (*Run, error) {
	r, err := scanRun(s.read.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: run %q", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("store: run %q: %w", id, err)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT l.status, count(*) FROM verdicts v JOIN listings l ON l.id = v.listing
		WHERE v.run = ? AND v.suspect = 1 GROUP BY l.status`, id)
	if err != nil {
		return nil, fmt.Errorf("store: run %q: %w", id, err)
	}
	defer rows.Close()
	r.ByStatus = map[Status]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("store: run %q: %w", id, err)
		}
		r.ByStatus[Status(st)] = n
	}
	return &r, rows.Err()
}

// FinishRun records that run has finished crawling sites (nil: every site
// the run has findings on). Listings of those sites whose takedown was
// requested before the run started, that a run of the same sweep found
// before, and that this run did not find again are marked removed. Call it
// only for sites whose crawl completed: a site that was down would otherwise
// look as if every requested listing was removed.
func (s *Store) FinishRun(ctx context.Context, run string, sites []string) error {
	if run == "" {
		return fmt.Errorf("%w: finish a run without an id", ErrInvalid)
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: finish run %s: %w", run, err)
	}
	defer tx.Rollback()
	now := s.now().UnixMilli()
	if _, err := tx.ExecContext(ctx, `INSERT INTO runs (id, started_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`, run, now); err != nil {
		return fmt.Errorf("store: finish run %s: %w", run, err)
	}
	var started int64
	var sweep string
	if err := tx.QueryRowContext(ctx, `SELECT started_at, sweep FROM runs WHERE id = ?`, run).Scan(&started, &sweep); err != nil {
		return fmt.Errorf("store: finish run %s: %w", run, err)
	}
	if sites == nil {
		rows, err := tx.QueryContext(ctx, `SELECT DISTINCT l.site FROM verdicts v JOIN listings l ON l.id = v.listing WHERE v.run = ?`, run)
		if err != nil {
			return fmt.Errorf("store: finish run %s: %w", run, err)
		}
		for rows.Next() {
			var site string
			if err := rows.Scan(&site); err != nil {
				rows.Close()
				return fmt.Errorf("store: finish run %s: %w", run, err)
			}
			sites = append(sites, site)
		}
		rows.Close()
	}
	removed := 0
	if len(sites) > 0 {
		q, args := removedQuery(run, sweep, started, sites)
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("store: finish run %s: %w", run, err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("store: finish run %s: %w", run, err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		for _, id := range ids {
			if err := setStatus(ctx, tx, s.ingest, id, TakedownRequested, Removed, SystemActor, "not found by run "+run, now, 0, run); err != nil {
				return fmt.Errorf("store: finish run %s: %w", run, err)
			}
		}
		removed = len(ids)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE runs SET finished_at = ?, removed = removed + ? WHERE id = ?`, now, removed, run); err != nil {
		return fmt.Errorf("store: finish run %s: %w", run, err)
	}
	if err := audit(ctx, tx, now, SystemActor, "finish_run", "run "+run,
		fmt.Sprintf("sites=%s removed=%d", strings.Join(sites, ","), removed)); err != nil {
		return fmt.Errorf("store: finish run %s: %w", run, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: finish run %s: %w", run, err)
	}
	s.log.Info("run finished", "run", run, "sites", sites, "removed", removed)
	return nil
}

// removedQuery selects the listings FinishRun marks removed: takedown
// requested on one of sites before the run started, not found by the run,
// and reachable by its sweep, that is found before by a run of the same
// sweep (a run without a sweep speaks for every listing of its sites).
// The literal status lets the partial index listings_requested serve it.
func removedQuery(run, sweep string, started int64, sites []string) (string, []any) {
	args := make([]any, 0, len(sites)+4)
	for _, site := range sites {
		args = append(args, site)
	}
	args = append(args, started, run)
	q := `SELECT l.id FROM listings l
		WHERE l.status = 'takedown_requested' AND l.site IN (?` + strings.Repeat(",?", len(sites)-1) + `)
		AND l.status_at < ?
		AND NOT EXISTS (SELECT 1 FROM verdicts v WHERE v.run = ? AND v.listing = l.id)`
	if sweep != "" {
		q += `
		AND EXISTS (SELECT 1 FROM verdicts v2 WHERE v2.listing = l.id AND v2.sweep = ?)`
		args = append(args, sweep)
	}
	return q, args
}
