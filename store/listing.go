package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/markwatch/markwatch"
)

// ListingDetail is everything the listing page shows.
type ListingDetail struct {
	Row
	Description string `json:"description"`
	Category    string `json:"category"`
	Image       string `json:"image"`
	OCRText     string `json:"ocr_text,omitempty"` // text read from the listing's images
	// Photos are the listing's images as the images step last saw them.
	Photos    []markwatch.Photo `json:"photos,omitempty"`
	Marks     []string          `json:"marks"`
	Verdicts  []VerdictRecord   `json:"verdicts"` // newest first, at most 50
	History   []HistoryEntry    `json:"history"`  // oldest first
	Decisions []Decision        `json:"decisions"`
	Batches   []int64           `json:"batches,omitempty"`
}

// Latest is the newest verdict (by fetch time), or nil.
func (d *ListingDetail) Latest() *VerdictRecord {
	if len(d.Verdicts) == 0 {
		return nil
	}
	return &d.Verdicts[0]
}

// VerdictRecord is one run's verdict on a listing, with the title and
// description its hits' offsets refer to.
type VerdictRecord struct {
	Run         string             `json:"run"`
	Sweep       string             `json:"sweep,omitempty"`
	Suspect     bool               `json:"suspect"`
	Score       float64            `json:"score"`
	Title       string             `json:"title"`
	Description string             `json:"description,omitempty"`
	Price       *float64           `json:"price,omitempty"`
	Hits        []markwatch.Hit    `json:"hits"`
	Signals     []markwatch.Signal `json:"signals"`
	Evidence    string             `json:"evidence,omitempty"`
	FetchedAt   time.Time          `json:"fetched_at"`
	StoredAt    time.Time          `json:"stored_at"`
}

// HistoryEntry is a listing's title and price as seen at a time.
type HistoryEntry struct {
	SeenAt time.Time `json:"seen_at"`
	Run    string    `json:"run"`
	Title  string    `json:"title"`
	Price  *float64  `json:"price,omitempty"`
}

// Decision is one change of a listing's review status.
type Decision struct {
	ID      int64     `json:"id"`
	Listing int64     `json:"listing"`
	From    Status    `json:"from"`
	To      Status    `json:"to"`
	Actor   string    `json:"actor"`
	At      time.Time `json:"at"`
	Note    string    `json:"note,omitempty"`
	Batch   int64     `json:"batch,omitempty"`
	Run     string    `json:"run,omitempty"`
}

// Listing returns a listing with its verdicts, history and decisions.
func (s *Store) Listing(ctx context.Context, id int64) (*ListingDetail, error) {
	row := s.read.QueryRowContext(ctx, `SELECT `+rowColumns+`, l.description, l.category, l.image, l.ocr_text, l.photos FROM listings l WHERE l.id = ?`, id)
	d := &ListingDetail{}
	var extra [5]string
	r, err := scanRow(scanExtra{row, []any{&extra[0], &extra[1], &extra[2], &extra[3], &extra[4]}})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: listing %d", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("store: listing %d: %w", id, err)
	}
	d.Row = r
	d.Description, d.Category, d.Image, d.OCRText = extra[0], extra[1], extra[2], extra[3]
	if extra[4] != "" {
		if err := json.Unmarshal([]byte(extra[4]), &d.Photos); err != nil {
			return nil, fmt.Errorf("store: listing %d photos: %w", id, err)
		}
	}

	if d.Verdicts, err = s.verdicts(ctx, id); err != nil {
		return nil, err
	}
	rows, err := s.read.QueryContext(ctx, `SELECT seen_at, run, title, price FROM listing_history WHERE listing = ? ORDER BY seen_at, rowid`, id)
	if err != nil {
		return nil, fmt.Errorf("store: listing %d history: %w", id, err)
	}
	for rows.Next() {
		var h HistoryEntry
		var at int64
		var price sql.NullFloat64
		if err := rows.Scan(&at, &h.Run, &h.Title, &price); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: listing %d history: %w", id, err)
		}
		h.SeenAt, h.Price = fromMS(at), floatPtr(price)
		d.History = append(d.History, h)
	}
	rows.Close()
	if d.Decisions, err = s.decisions(ctx, `WHERE listing = ? ORDER BY at, id`, id); err != nil {
		return nil, err
	}
	if d.Marks, err = s.strings(ctx, `SELECT mark FROM listing_marks WHERE listing = ? ORDER BY mark`, id); err != nil {
		return nil, err
	}
	batches, err := s.strings(ctx, `SELECT batch FROM batch_items WHERE listing = ? ORDER BY batch`, id)
	if err != nil {
		return nil, err
	}
	for _, b := range batches {
		var n int64
		fmt.Sscan(b, &n)
		d.Batches = append(d.Batches, n)
	}
	return d, nil
}

type scanExtra struct {
	row   *sql.Row
	extra []any
}

func (s scanExtra) Scan(dest ...any) error { return s.row.Scan(append(dest, s.extra...)...) }

func (s *Store) verdicts(ctx context.Context, id int64) ([]VerdictRecord, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT run, sweep, suspect, score, title, description, price, hits, signals, evidence, fetched_at, stored_at
		FROM verdicts WHERE listing = ? ORDER BY fetched_at DESC, stored_at DESC LIMIT 50`, id)
	if err != nil {
		return nil, fmt.Errorf("store: listing %d verdicts: %w", id, err)
	}
	defer rows.Close()
	var out []VerdictRecord
	for rows.Next() {
		var v VerdictRecord
		var suspect int
		var price sql.NullFloat64
		var hits, signals string
		var fetched, stored int64
		if err := rows.Scan(&v.Run, &v.Sweep, &suspect, &v.Score, &v.Title, &v.Description, &price, &hits, &signals, &v.Evidence, &fetched, &stored); err != nil {
			return nil, fmt.Errorf("store: listing %d verdicts: %w", id, err)
		}
		v.Suspect, v.Price, v.FetchedAt, v.StoredAt = suspect == 1, floatPtr(price), fromMS(fetched), fromMS(stored)
		if err := json.Unmarshal([]byte(hits), &v.Hits); err != nil {
			return nil, fmt.Errorf("store: listing %d verdict %s hits: %w", id, v.Run, err)
		}
		if err := json.Unmarshal([]byte(signals), &v.Signals); err != nil {
			return nil, fmt.Errorf("store: listing %d verdict %s signals: %w", id, v.Run, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func (s *Store) decisions(ctx context.Context, where string, args ...any) ([]Decision, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, listing, from_status, to_status, actor, at, note, coalesce(batch, 0), run FROM decisions `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: decisions: %w", err)
	}
	defer rows.Close()
	var out []Decision
	for rows.Next() {
		var d Decision
		var from, to string
		var at int64
		if err := rows.Scan(&d.ID, &d.Listing, &from, &to, &d.Actor, &at, &d.Note, &d.Batch, &d.Run); err != nil {
			return nil, fmt.Errorf("store: decisions: %w", err)
		}
		d.From, d.To, d.At = Status(from), Status(to), fromMS(at)
		out = append(out, d)
	}
	return out, rows.Err()
}

func (s *Store) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// ListingByKey finds a listing's store id by its site and marketplace id.
func (s *Store) ListingByKey(ctx context.Context, site, listingID string) (int64, error) {
	var id int64
	err := s.read.QueryRowContext(ctx, `SELECT id FROM listings WHERE site = ? AND listing_id = ?`, site, listingID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("%w: listing %s/%s", ErrNotFound, site, listingID)
	}
	return id, err
}

// DecideResult says which listings a decision changed and why others were
// left alone.
type DecideResult struct {
	Changed []int64          `json:"changed"`
	Skipped map[int64]string `json:"skipped,omitempty"`
}

// MaxBulk bounds how many listings one decision may change.
const MaxBulk = 1000

// Decide moves listings to status to on behalf of actor, with a note. A
// listing whose current status does not allow the change is skipped (and
// named in the result); the others change in one transaction, each with a
// decision row, and one audit entry records the whole action.
func (s *Store) Decide(ctx context.Context, actor string, ids []int64, to Status, note string) (DecideResult, error) {
	return s.decide(ctx, actor, ids, to, note, MaxBulk, "decide")
}

func (s *Store) decide(ctx context.Context, actor string, ids []int64, to Status, note string, most int, action string) (DecideResult, error) {
	res := DecideResult{Skipped: map[int64]string{}}
	if _, err := ParseStatus(string(to)); err != nil {
		return res, err
	}
	if len(ids) == 0 || len(ids) > most {
		return res, fmt.Errorf("%w: decide on 1 to %d listings, got %d", ErrInvalid, most, len(ids))
	}
	if actor == "" {
		return res, fmt.Errorf("%w: decision without an actor", ErrInvalid)
	}
	note = clip(note, 2000)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("store: decide: %w", err)
	}
	defer tx.Rollback()
	now := s.now().UnixMilli()
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		var cur string
		err := tx.QueryRowContext(ctx, `SELECT status FROM listings WHERE id = ?`, id).Scan(&cur)
		if errors.Is(err, sql.ErrNoRows) {
			res.Skipped[id] = "no such listing"
			continue
		}
		if err != nil {
			return res, fmt.Errorf("store: decide: %w", err)
		}
		if Status(cur) == to {
			res.Skipped[id] = "already " + to.Label()
			continue
		}
		if !CanDecide(Status(cur), to) {
			res.Skipped[id] = fmt.Sprintf("cannot go from %s to %s", Status(cur).Label(), to.Label())
			continue
		}
		if err := setStatus(ctx, tx, s.ingest, id, Status(cur), to, actor, note, now, 0, ""); err != nil {
			return res, fmt.Errorf("store: decide: %w", err)
		}
		res.Changed = append(res.Changed, id)
	}
	if len(res.Changed) > 0 {
		if err := audit(ctx, tx, now, actor, action, "listings "+joinIDs(res.Changed), "status="+string(to)+" note="+note); err != nil {
			return res, fmt.Errorf("store: decide: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("store: decide: %w", err)
	}
	return res, nil
}

func joinIDs(ids []int64) string {
	parts := make([]string, 0, min(len(ids), 50))
	for i, id := range ids {
		if i == 50 {
			parts = append(parts, fmt.Sprintf("… (%d in all)", len(ids)))
			break
		}
		parts = append(parts, fmt.Sprint(id))
	}
	return strings.Join(parts, ",")
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

func floatPtr(v sql.NullFloat64) *float64 {
	if !v.Valid {
		return nil
	}
	f := v.Float64
	return &f
}

// SellerSummary is a seller's record on one site: repeat offenders show.
type SellerSummary struct {
	Site     string         `json:"site"`
	Seller   string         `json:"seller"`
	Listings int            `json:"listings"`
	Suspects int            `json:"suspects"`
	ByStatus map[Status]int `json:"by_status"`
	Rows     []Row          `json:"rows"`
}

// Seller returns a seller's listings (all of them, suspect or not, highest
// score first, at most limit) and decision counts.
func (s *Store) Seller(ctx context.Context, site, seller string, limit int) (*SellerSummary, error) {
	sum := &SellerSummary{Site: site, Seller: seller, ByStatus: map[Status]int{}}
	rows, err := s.read.QueryContext(ctx, `SELECT status, suspect, count(*) FROM listings WHERE seller = ? AND site = ? GROUP BY status, suspect`, seller, site)
	if err != nil {
		return nil, fmt.Errorf("store: seller: %w", err)
	}
	for rows.Next() {
		var st string
		var suspect, n int
		if err := rows.Scan(&st, &suspect, &n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: seller: %w", err)
		}
		sum.ByStatus[Status(st)] += n
		sum.Listings += n
		if suspect == 1 {
			sum.Suspects += n
		}
	}
	rows.Close()
	if sum.Listings == 0 {
		return nil, fmt.Errorf("%w: seller %q on %q", ErrNotFound, seller, site)
	}
	sum.Rows, _, err = s.Suspects(ctx, Filter{Site: site, Seller: seller, SellerExact: true, All: true, Limit: limit})
	return sum, err
}

// SellerRecord counts a seller's listings on a site and how many of them
// reviewers confirmed (or had taken down): the listing page's "repeat
// offender" line.
func (s *Store) SellerRecord(ctx context.Context, site, seller string) (listings, confirmed int, err error) {
	if seller == "" {
		return 0, 0, nil
	}
	err = s.read.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(status IN ('confirmed', 'takedown_requested', 'removed', 'reappeared')), 0)
		FROM listings WHERE seller = ? AND site = ?`, seller, site).Scan(&listings, &confirmed)
	if err != nil {
		return 0, 0, fmt.Errorf("store: seller record: %w", err)
	}
	return listings, confirmed, nil
}
