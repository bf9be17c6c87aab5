package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// BatchLimit is the most listings one takedown batch holds: Alibaba's IP
// protection portal takes up to 300 links per request.
const BatchLimit = 300

// ErrNothingToExport is returned by CreateBatch when no listing is waiting.
var ErrNothingToExport = errors.New("store: no confirmed listing waits for a takedown request")

// Batch is a set of confirmed listings exported together for one takedown
// request.
type Batch struct {
	ID          int64     `json:"id"`
	Site        string    `json:"site,omitempty"` // empty: several sites
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by"`
	Size        int       `json:"size"`
	RequestedAt time.Time `json:"requested_at,omitzero"`
	RequestedBy string    `json:"requested_by,omitempty"`
	Note        string    `json:"note,omitempty"`
	// Filter says how the batch was cut beyond its site ("owner=…
	// marks=… sweep=…"); empty: every waiting listing of the site.
	Filter string `json:"filter,omitempty"`
}

// BatchFilter cuts a batch: by site, and optionally by marks (a rights
// holder is the set of its marks) and by sweep.
type BatchFilter struct {
	Site  string   // empty: any site
	Marks []string // mark ids; empty: any mark
	Sweep string   // empty: any sweep
	// Sellers: only listings of these sellers (a seller network); each
	// is {site, seller name}. Empty: any seller.
	Sellers [][2]string
	// Network: only listings of the stored seller network with this id.
	Network string
	// Label describes the cut for people (e.g. "owner=Nike Innovate
	// C.V."); stored with the batch.
	Label string
}

// Requested reports whether the batch was marked as requested.
func (b Batch) Requested() bool { return !b.RequestedAt.IsZero() }

const batchColumns = `id, site, created_at, created_by, size, coalesce(requested_at, 0), requested_by, note, filter`

func scanBatch(sc interface{ Scan(...any) error }) (Batch, error) {
	var b Batch
	var created, requested int64
	err := sc.Scan(&b.ID, &b.Site, &created, &b.CreatedBy, &b.Size, &requested, &b.RequestedBy, &b.Note, &b.Filter)
	b.CreatedAt, b.RequestedAt = fromMS(created), fromMS(requested)
	return b, err
}

// Pending counts, per site, the listings waiting for a takedown batch
// (confirmed or reappeared, and not in a batch that is still open).
func (s *Store) Pending(ctx context.Context) (map[string]int, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT l.site, count(*) FROM listings l
		WHERE l.status IN ('confirmed', 'reappeared') AND NOT EXISTS (
			SELECT 1 FROM batch_items bi JOIN batches b ON b.id = bi.batch
			WHERE bi.listing = l.id AND b.requested_at IS NULL)
		GROUP BY l.site ORDER BY l.site`)
	if err != nil {
		return nil, fmt.Errorf("store: pending: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var site string
		var n int
		if err := rows.Scan(&site, &n); err != nil {
			return nil, fmt.Errorf("store: pending: %w", err)
		}
		out[site] = n
	}
	return out, rows.Err()
}

// CreateBatch puts up to size (at most BatchLimit) listings of site (empty:
// any site) that wait for a takedown request into a new batch, highest score
// first.
func (s *Store) CreateBatch(ctx context.Context, actor, site string, size int) (Batch, error) {
	return s.CreateBatchWhere(ctx, actor, BatchFilter{Site: site}, size)
}

// CreateBatchWhere is CreateBatch cut by f.
func (s *Store) CreateBatchWhere(ctx context.Context, actor string, f BatchFilter, size int) (Batch, error) {
	site := f.Site
	if size <= 0 || size > BatchLimit {
		size = BatchLimit
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return Batch{}, fmt.Errorf("store: create batch: %w", err)
	}
	defer tx.Rollback()
	now := s.now().UnixMilli()
	q := `SELECT l.id FROM listings l WHERE l.status IN ('confirmed', 'reappeared')`
	args := []any{}
	if site != "" {
		q += ` AND l.site = ?`
		args = append(args, site)
	}
	if len(f.Marks) > 0 {
		q += ` AND l.mark IN (` + strings.TrimSuffix(strings.Repeat("?,", len(f.Marks)), ",") + `)`
		for _, m := range f.Marks {
			args = append(args, m)
		}
	}
	if f.Network != "" {
		q += ` AND l.seller IN (SELECT seller FROM seller_networks WHERE network = ?)
			AND EXISTS (SELECT 1 FROM seller_networks n WHERE n.network = ? AND n.site = l.site AND n.seller = l.seller)`
		args = append(args, f.Network, f.Network)
	}
	if len(f.Sellers) > 0 {
		q += ` AND (l.site, l.seller) IN (VALUES ` + strings.TrimSuffix(strings.Repeat("(?,?),", len(f.Sellers)), ",") + `)`
		for _, s := range f.Sellers {
			args = append(args, s[0], s[1])
		}
	}
	if f.Sweep != "" {
		q += ` AND l.sweep = ?`
		args = append(args, f.Sweep)
	}
	q += ` AND NOT EXISTS (SELECT 1 FROM batch_items bi JOIN batches b ON b.id = bi.batch
			WHERE bi.listing = l.id AND b.requested_at IS NULL)
		ORDER BY l.score DESC, l.id LIMIT ?`
	rows, err := tx.QueryContext(ctx, q, append(args, size)...)
	if err != nil {
		return Batch{}, fmt.Errorf("store: create batch: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return Batch{}, fmt.Errorf("store: create batch: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if len(ids) == 0 {
		return Batch{}, ErrNothingToExport
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO batches (site, created_at, created_by, size, filter) VALUES (?,?,?,?,?) RETURNING id`,
		site, now, actor, len(ids), f.Label).Scan(&id); err != nil {
		return Batch{}, fmt.Errorf("store: create batch: %w", err)
	}
	for _, l := range ids {
		if _, err := tx.ExecContext(ctx, `INSERT INTO batch_items (batch, listing) VALUES (?, ?)`, id, l); err != nil {
			return Batch{}, fmt.Errorf("store: create batch: %w", err)
		}
	}
	if err := audit(ctx, tx, now, actor, "create_batch", fmt.Sprintf("batch %d", id), fmt.Sprintf("site=%s %s size=%d", site, f.Label, len(ids))); err != nil {
		return Batch{}, fmt.Errorf("store: create batch: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Batch{}, fmt.Errorf("store: create batch: %w", err)
	}
	return Batch{ID: id, Site: site, CreatedAt: fromMS(now), CreatedBy: actor, Size: len(ids), Filter: f.Label}, nil
}

// Batches lists batches, newest first.
func (s *Store) Batches(ctx context.Context, limit int) ([]Batch, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+batchColumns+` FROM batches ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: batches: %w", err)
	}
	defer rows.Close()
	var out []Batch
	for rows.Next() {
		b, err := scanBatch(rows)
		if err != nil {
			return nil, fmt.Errorf("store: batches: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// Batch returns a batch and its listings (highest score first).
func (s *Store) Batch(ctx context.Context, id int64) (Batch, []Row, error) {
	b, err := scanBatch(s.read.QueryRowContext(ctx, `SELECT `+batchColumns+` FROM batches WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return b, nil, fmt.Errorf("%w: batch %d", ErrNotFound, id)
	}
	if err != nil {
		return b, nil, fmt.Errorf("store: batch %d: %w", id, err)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+rowColumns+` FROM batch_items bi JOIN listings l ON l.id = bi.listing
		WHERE bi.batch = ? ORDER BY l.score DESC, l.id`, id)
	if err != nil {
		return b, nil, fmt.Errorf("store: batch %d: %w", id, err)
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return b, nil, fmt.Errorf("store: batch %d: %w", id, err)
		}
		out = append(out, r)
	}
	return b, out, rows.Err()
}

// MarkBatchRequested records that the batch was submitted to the platform:
// its listings that are still confirmed (or reappeared) move to
// takedown_requested.
func (s *Store) MarkBatchRequested(ctx context.Context, actor string, id int64, note string) (Batch, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return Batch{}, fmt.Errorf("store: request batch %d: %w", id, err)
	}
	defer tx.Rollback()
	b, err := scanBatch(tx.QueryRowContext(ctx, `SELECT `+batchColumns+` FROM batches WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return b, fmt.Errorf("%w: batch %d", ErrNotFound, id)
	}
	if err != nil {
		return b, fmt.Errorf("store: request batch %d: %w", id, err)
	}
	if b.Requested() {
		return b, fmt.Errorf("%w: batch %d was already requested on %s", ErrTransition, id, b.RequestedAt.Format(time.DateTime))
	}
	now := s.now().UnixMilli()
	note = clip(note, 2000)
	rows, err := tx.QueryContext(ctx, `SELECT l.id, l.status FROM batch_items bi JOIN listings l ON l.id = bi.listing
		WHERE bi.batch = ? AND l.status IN ('confirmed', 'reappeared')`, id)
	if err != nil {
		return b, fmt.Errorf("store: request batch %d: %w", id, err)
	}
	type item struct {
		id     int64
		status Status
	}
	var items []item
	for rows.Next() {
		var it item
		var st string
		if err := rows.Scan(&it.id, &st); err != nil {
			rows.Close()
			return b, fmt.Errorf("store: request batch %d: %w", id, err)
		}
		it.status = Status(st)
		items = append(items, it)
	}
	rows.Close()
	for _, it := range items {
		if err := setStatus(ctx, tx, s.ingest, it.id, it.status, TakedownRequested, actor, note, now, id, ""); err != nil {
			return b, fmt.Errorf("store: request batch %d: %w", id, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE batches SET requested_at = ?, requested_by = ?, note = ? WHERE id = ?`, now, actor, note, id); err != nil {
		return b, fmt.Errorf("store: request batch %d: %w", id, err)
	}
	if err := audit(ctx, tx, now, actor, "request_batch", fmt.Sprintf("batch %d", id), fmt.Sprintf("listings=%d note=%s", len(items), note)); err != nil {
		return b, fmt.Errorf("store: request batch %d: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return b, fmt.Errorf("store: request batch %d: %w", id, err)
	}
	b.RequestedAt, b.RequestedBy, b.Note = fromMS(now), actor, note
	return b, nil
}
