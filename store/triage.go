package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Next returns the listing that follows listing after in the queue that f
// selects (in f's order), or 0 when after was the last. The listing after
// need not match f any more (a decision just moved it out of the filter):
// its place in the order is what counts.
func (s *Store) Next(ctx context.Context, f Filter, after int64) (int64, error) {
	if err := f.Normalize(); err != nil {
		return 0, err
	}
	if err := s.planSearch(ctx, &f); err != nil {
		return 0, err
	}
	if f.Sort == "likely" {
		return s.nextLikely(ctx, &f, after)
	}
	key, cond := f.keyset()
	var cur []any
	dest := make([]any, len(key))
	for i := range key {
		dest[i] = new(any)
	}
	err := s.read.QueryRowContext(ctx, "SELECT "+joinKey(key)+" FROM listings l WHERE l.id = ?", after).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("%w: listing %d", ErrNotFound, after)
	}
	if err != nil {
		return 0, fmt.Errorf("store: next: %w", err)
	}
	for _, d := range dest {
		cur = append(cur, *(d.(*any)))
	}
	where, args := f.where()
	if where == "" {
		where = " WHERE "
	} else {
		where += " AND "
	}
	// Keyset paging reads the index from the current place on, whatever
	// the depth.
	q := "SELECT l.id FROM listings l" + where + cond + f.orderOn("l") + " LIMIT 1"
	if f.Mark != "" {
		q = "SELECT l.id" + f.from() + where + cond + f.orderOn("m") + " LIMIT 1"
	}
	var id int64
	err = s.read.QueryRowContext(ctx, q, append(args, cur...)...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: next: %w", err)
	}
	return id, nil
}

// nextLikely is Next in likelihood order: the rest of the listing's own
// signal combination in score order, then the combinations after it.
func (s *Store) nextLikely(ctx context.Context, f *Filter, after int64) (int64, error) {
	var key string
	var score float64
	err := s.read.QueryRowContext(ctx, `SELECT signal_key, score FROM listings WHERE id = ?`, after).Scan(&key, &score)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("%w: listing %d", ErrNotFound, after)
	}
	if err != nil {
		return 0, fmt.Errorf("store: next: %w", err)
	}
	r, err := s.Ranking(ctx)
	if err != nil {
		return 0, err
	}
	where, args := f.where()
	if where == "" {
		where = " WHERE "
	} else {
		where += " AND "
	}
	own := false
	for _, k := range r.Keys {
		if !own && k.Key != key {
			continue
		}
		q := "SELECT l.id" + f.from() + where + "l.signal_key = ?"
		a := append(append([]any{}, args...), k.Key)
		if !own {
			own = true
			q += " AND (l.score, l.id) < (?, ?)"
			a = append(a, score, after)
		}
		var id int64
		err := s.read.QueryRowContext(ctx, q+f.order()+" LIMIT 1", a...).Scan(&id)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("store: next: %w", err)
		}
	}
	return 0, nil
}

func joinKey(key []string) string {
	out := ""
	for i, k := range key {
		if i > 0 {
			out += ", "
		}
		out += k
	}
	return out
}

// keyset is the filter's order as a tuple of listing columns, all
// descending, and the condition "comes after the tuple bound as
// parameters".
func (f *Filter) keyset() ([]string, string) {
	var key []string
	switch f.Sort {
	case "last_seen":
		key = []string{"l.last_seen", "l.id"}
	case "first_seen":
		key = []string{"l.first_seen", "l.id"}
	case "price":
		// Lowest price first, no price last: the negated price descending.
		key = []string{"-coalesce(l.price, 1e18)", "l.id"}
	default:
		key = []string{"l.score", "l.id"}
	}
	marks := "?"
	for range key[1:] {
		marks += ", ?"
	}
	return key, "(" + joinKey(key) + ") < (" + marks + ")"
}

// UndoResult says what an undo reversed.
type UndoResult struct {
	// Listings are the listings put back, with the status each is in now.
	Listings map[int64]Status `json:"listings"`
	// Skipped are listings someone (or a run) changed since the decision.
	Skipped map[int64]string `json:"skipped,omitempty"`
}

// ErrNothingToUndo is returned when the actor has no decision left to undo.
var ErrNothingToUndo = errors.New("store: nothing to undo")

// Undo reverses actor's newest decision that is not itself an undo and has
// not been undone: every listing it changed goes back to its previous
// status, each with a decision of its own that names the one it undoes,
// and the audit log records the undo. A listing changed since is left
// alone (and reported).
func (s *Store) Undo(ctx context.Context, actor string) (UndoResult, error) {
	res := UndoResult{Listings: map[int64]Status{}, Skipped: map[int64]string{}}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("store: undo: %w", err)
	}
	defer tx.Rollback()
	// One action's decisions share actor and time (Decide writes them in
	// one transaction with one clock reading).
	var at int64
	err = tx.QueryRowContext(ctx, `SELECT d.at FROM decisions d WHERE d.actor = ? AND d.undo_of IS NULL AND d.batch IS NULL
		AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undo_of = d.id) ORDER BY d.id DESC LIMIT 1`, actor).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return res, ErrNothingToUndo
	}
	if err != nil {
		return res, fmt.Errorf("store: undo: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT d.id, d.listing, d.from_status, d.to_status FROM decisions d
		WHERE d.actor = ? AND d.at = ? AND d.undo_of IS NULL AND d.batch IS NULL
		AND NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undo_of = d.id) ORDER BY d.id`, actor, at)
	if err != nil {
		return res, fmt.Errorf("store: undo: %w", err)
	}
	type undo struct {
		id, listing int64
		from, to    Status
	}
	var todo []undo
	for rows.Next() {
		var u undo
		var from, to string
		if err := rows.Scan(&u.id, &u.listing, &from, &to); err != nil {
			rows.Close()
			return res, fmt.Errorf("store: undo: %w", err)
		}
		u.from, u.to = Status(from), Status(to)
		todo = append(todo, u)
	}
	rows.Close()
	now := s.now().UnixMilli()
	var changed []int64
	for _, u := range todo {
		r, err := tx.StmtContext(ctx, s.ingest.updStatus).ExecContext(ctx,
			string(u.from), now, actor, fmt.Sprintf("undo of decision %d", u.id), u.listing, string(u.to))
		if err != nil {
			return res, fmt.Errorf("store: undo: %w", err)
		}
		// The undo decision is written even for a listing changed since
		// (from and to equal, nothing moves), so that the next undo moves
		// on to an older decision.
		from, to := u.to, u.from
		if n, _ := r.RowsAffected(); n == 1 {
			res.Listings[u.listing] = u.from
			changed = append(changed, u.listing)
		} else {
			res.Skipped[u.listing] = "changed since the decision"
			to = u.to
		}
		if _, err := tx.StmtContext(ctx, s.ingest.addUndo).ExecContext(ctx,
			u.listing, string(from), string(to), actor, now, fmt.Sprintf("undo of decision %d", u.id), u.id); err != nil {
			return res, fmt.Errorf("store: undo: %w", err)
		}
	}
	if err := audit(ctx, tx, now, actor, "undo", "listings "+joinIDs(changed), fmt.Sprintf("reversed %d decision(s) of %s", len(changed), fromMS(at).Format("2006-01-02 15:04:05.000"))); err != nil {
		return res, fmt.Errorf("store: undo: %w", err)
	}
	return res, tx.Commit()
}

// MaxBulkFilter bounds how many listings one decision by filter may change.
const MaxBulkFilter = 10000

// CountFilter counts exactly the listings f selects, up to
// MaxBulkFilter+1: what a bulk decision by filter would touch.
func (s *Store) CountFilter(ctx context.Context, f Filter) (int, error) {
	if err := f.Normalize(); err != nil {
		return 0, err
	}
	where, args := f.where()
	var n int
	err := s.read.QueryRowContext(ctx, "SELECT count(*) FROM (SELECT 1"+f.from()+where+" LIMIT ?)", append(args, MaxBulkFilter+1)...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count: %w", err)
	}
	return n, nil
}

// ErrSelectionChanged is returned by DecideFilter when the filter no
// longer selects the number of listings the reviewer confirmed.
var ErrSelectionChanged = errors.New("store: the selection changed")

// DecideFilter applies a decision to every listing f selects (paging
// ignored), provided they are exactly expect listings: the count the
// confirmation page showed. The decision is one action: one audit entry,
// one undo.
func (s *Store) DecideFilter(ctx context.Context, actor string, f Filter, to Status, note string, expect int) (DecideResult, error) {
	if err := f.Normalize(); err != nil {
		return DecideResult{}, err
	}
	where, args := f.where()
	ids := []int64{}
	rows, err := s.read.QueryContext(ctx, "SELECT l.id"+f.from()+where+" LIMIT ?", append(args, MaxBulkFilter+1)...)
	if err != nil {
		return DecideResult{}, fmt.Errorf("store: decide by filter: %w", err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return DecideResult{}, fmt.Errorf("store: decide by filter: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if len(ids) > MaxBulkFilter {
		return DecideResult{}, fmt.Errorf("%w: more than %d listings match; narrow the filter", ErrInvalid, MaxBulkFilter)
	}
	if len(ids) != expect {
		return DecideResult{}, fmt.Errorf("%w: %d listings match now, %d were confirmed; review the count again", ErrSelectionChanged, len(ids), expect)
	}
	if len(ids) == 0 {
		return DecideResult{Skipped: map[int64]string{}}, nil
	}
	return s.decide(ctx, actor, ids, to, note, MaxBulkFilter, "decide_by_filter")
}

// Calibrated reports whether the team has decided enough listings (see
// MinDecided) for the queue to rank by calibrated likelihood by default.
func (s *Store) Calibrated(ctx context.Context) (bool, error) {
	var yes, no int
	if err := s.read.QueryRowContext(ctx, `SELECT coalesce(sum(confirmed), 0), coalesce(sum(dismissed), 0) FROM key_decisions`).Scan(&yes, &no); err != nil {
		return false, fmt.Errorf("store: calibrated: %w", err)
	}
	return yes+no >= MinDecided && yes >= MinEach && no >= MinEach, nil
}
