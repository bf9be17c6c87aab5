package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// CountLimit caps the counting of a filtered queue: past it the total is
// reported as CountLimit+1 ("more than 1,000"), so that a broad filter over
// a million listings still answers in milliseconds. Counts that the status
// counters answer (no filter but status) are exact.
const CountLimit = 1000

// MaxPageSize bounds Filter.Limit.
const MaxPageSize = 500

// MaxOffset bounds Filter.Offset: paging deeper than this reads (and
// discards) too many rows; narrow the filter instead.
const MaxOffset = 10 * CountLimit

// MaxTerms bounds the search terms of Filter.Q.
const MaxTerms = 8

// Filter selects listings for the queue. Zero fields do not filter. Every
// value reaches SQL as a bound parameter; Sort is checked against a fixed
// list.
type Filter struct {
	Status Status // empty: any status
	Mark   string // any of the listing's marks
	// Marks selects listings naming any of these mark ids (a mark filter by
	// name or substring that matched several marks); Mark, when also set,
	// must be one of them.
	Marks []string
	// Q is full-text search over title, description, seller and OCR text:
	// whitespace-separated terms, all required, each a substring
	// (case-insensitive). Terms of three or more characters use the trigram
	// index over every field; shorter ones (a two-character Chinese
	// fragment) the bigram index over title and seller.
	Q      string
	Kind   string // kind of the strongest hit: trademark, special, gi, patent
	Site   string //
	Seller string // seller name contains this (case-insensitive)
	// SellerExact makes Seller an exact name (the seller page).
	SellerExact bool
	Sweep       string    // sweep of the newest verdict
	Run         string    // run of the newest verdict
	From, To    time.Time // last seen within [From, To)
	MinScore    float64   //
	// All includes listings whose newest verdict is not suspect (leads: a
	// mark mentioned without counterfeit signals). Default: suspects only.
	All bool
	// Network: listings of the stored seller network with this id (its
	// sellers on every site).
	Network string
	// Sort: "score" (default, highest first), "likely" (calibrated
	// likelihood of a confirmed infringement, then score), "last_seen",
	// "first_seen" (newest first) or "price" (lowest first).
	Sort   string
	Limit  int // default 50, at most MaxPageSize
	Offset int

	// broad marks the search conditions (by index in searchConds) that
	// match so many listings that checking each candidate listing's text
	// beats fetching every match from the index (set by planSearch);
	// broadSeller the same for the seller substring.
	broad       map[int]bool
	broadSeller bool
	// broadSpan: the broad conditions (index, rowid span of their first
	// broadMatches matches), rarest first: the order they are checked in.
	broadSpan [][2]int64
}

// broadMatches is where a search condition counts as broad.
var broadMatches = 5000

// planSearch counts each search condition's matches (up to broadMatches)
// and marks the broad ones: the queue index is then read in order and each
// candidate's text checked for them, instead of materialising tens of
// thousands of matches to sort.
func (s *Store) planSearch(ctx context.Context, f *Filter) error {
	f.broad, f.broadSeller, f.broadSpan = nil, false, nil
	if f.Seller != "" && !f.SellerExact {
		var n int
		if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM listings
			WHERE seller IN (SELECT seller FROM seller_counts WHERE instr(lower(seller), ?)) LIMIT ?)`, asciiLower(f.Seller), broadMatches).Scan(&n); err != nil {
			return fmt.Errorf("store: seller search: %w", err)
		}
		f.broadSeller = n >= broadMatches
	}
	for i, c := range f.searchConds() {
		// The first broadMatches matches in rowid order: how many, and
		// over how wide a range of rowids (the wider, the rarer the
		// condition: it is checked first).
		var n int
		var lo, hi sql.NullInt64
		q := "SELECT count(*), min(rowid), max(rowid) FROM (SELECT rowid FROM " + c.table + " WHERE " + c.table + " MATCH ? LIMIT ?)"
		if err := s.read.QueryRowContext(ctx, q, c.arg, broadMatches).Scan(&n, &lo, &hi); err != nil {
			return fmt.Errorf("store: search: %w", err)
		}
		if n >= broadMatches {
			if f.broad == nil {
				f.broad = map[int]bool{}
			}
			f.broad[i] = true
			f.broadSpan = append(f.broadSpan, [2]int64{int64(i), hi.Int64 - lo.Int64})
		}
	}
	// Rarest first: most candidates fail the first check.
	sort.SliceStable(f.broadSpan, func(a, b int) bool { return f.broadSpan[a][1] > f.broadSpan[b][1] })
	return nil
}

// searchConds are the filter's full-text conditions.
func (f *Filter) searchConds() []searchCond { return searchConds("", strings.Fields(f.Q)) }

// Row is one listing as the queue shows it.
type Row struct {
	ID        int64     `json:"id"`
	Site      string    `json:"site"`
	ListingID string    `json:"listing_id"`
	URL       string    `json:"url"`
	Title     string    `json:"title"`
	Price     *float64  `json:"price,omitempty"`
	Seller    string    `json:"seller"`
	ShipFrom  string    `json:"ship_from"`
	Suspect   bool      `json:"suspect"`
	Score     float64   `json:"score"`
	Mark      string    `json:"mark"`
	Kind      string    `json:"kind"`
	Reasons   string    `json:"reasons"`
	Evidence  string    `json:"evidence,omitempty"`
	FetchedAt time.Time `json:"fetched_at,omitzero"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Run       string    `json:"run"`
	Sweep     string    `json:"sweep,omitempty"`
	Status    Status    `json:"status"`
	StatusAt  time.Time `json:"status_at,omitzero"`
	StatusBy  string    `json:"status_by,omitempty"`
	Note      string    `json:"note,omitempty"`
	// Thumbnail is the SHA-256 of the listing's first kept photo in the
	// image store (images step), or empty.
	Thumbnail string `json:"thumbnail,omitempty"`
	// Currency of Price (ISO 4217: USD, HKD, EUR; "" is CNY).
	Currency string `json:"currency,omitempty"`
}

const rowColumns = `l.id, l.site, l.listing_id, l.url, l.title, l.price, l.seller, l.ship_from, l.suspect, l.score, l.mark, l.kind,
	l.reasons, l.evidence, l.fetched_at, l.first_seen, l.last_seen, l.last_run, l.sweep, l.status, l.status_at, l.status_by, l.note,
	CASE WHEN l.photos <> '' THEN coalesce((SELECT json_extract(p.value, '$.sha256') FROM json_each(l.photos) p
		WHERE coalesce(json_extract(p.value, '$.sha256'), '') <> '' LIMIT 1), '') ELSE '' END, l.currency`

func scanRow(sc interface{ Scan(...any) error }) (Row, error) {
	var (
		r                              Row
		price                          sql.NullFloat64
		suspect                        int
		fetched, first, last, statusAt int64
		status                         string
	)
	err := sc.Scan(&r.ID, &r.Site, &r.ListingID, &r.URL, &r.Title, &price, &r.Seller, &r.ShipFrom, &suspect, &r.Score, &r.Mark, &r.Kind,
		&r.Reasons, &r.Evidence, &fetched, &first, &last, &r.Run, &r.Sweep, &status, &statusAt, &r.StatusBy, &r.Note, &r.Thumbnail, &r.Currency)
	if err != nil {
		return r, err
	}
	if price.Valid {
		p := price.Float64
		r.Price = &p
	}
	r.Suspect = suspect == 1
	r.FetchedAt, r.FirstSeen, r.LastSeen, r.StatusAt = fromMS(fetched), fromMS(first), fromMS(last), fromMS(statusAt)
	r.Status = Status(status)
	return r, nil
}

// Normalize fills defaults and checks values.
func (f *Filter) Normalize() error {
	if f.Status != "" {
		if _, err := ParseStatus(string(f.Status)); err != nil {
			return err
		}
	}
	switch f.Kind {
	case "", "trademark", "special", "gi", "patent":
	default:
		return fmt.Errorf("%w: unknown kind %q", ErrInvalid, f.Kind)
	}
	switch f.Sort {
	case "":
		f.Sort = "score"
	case "score", "last_seen", "first_seen", "price", "likely":
	default:
		return fmt.Errorf("%w: unknown sort %q", ErrInvalid, f.Sort)
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, MaxPageSize)
	if f.Offset < 0 || f.Offset > MaxOffset {
		return fmt.Errorf("%w: offset %d: want 0 to %d (narrow the filter to see more)", ErrInvalid, f.Offset, MaxOffset)
	}
	if math.IsNaN(f.MinScore) || math.IsInf(f.MinScore, 0) || f.MinScore < 0 {
		return fmt.Errorf("%w: score: want a finite number of at least 0", ErrInvalid)
	}
	f.Q = strings.TrimSpace(f.Q)
	if terms := strings.Fields(f.Q); len(terms) > MaxTerms {
		return fmt.Errorf("%w: search: at most %d terms, got %d", ErrInvalid, MaxTerms, len(terms))
	}
	if utf8.RuneCountInString(f.Q) > 200 || utf8.RuneCountInString(f.Seller) > 200 {
		return fmt.Errorf("%w: search text longer than 200 characters", ErrInvalid)
	}
	if len(f.Marks) > 500 {
		return fmt.Errorf("%w: at most 500 marks", ErrInvalid)
	}
	return nil
}

// from is the FROM clause: the listings, or, with a mark filter, the
// mark index joined to them so that the mark's listings come in queue order
// from one index range.
func (f *Filter) from() string {
	if f.Mark != "" {
		return " FROM listing_marks m JOIN listings l ON l.id = m.listing"
	}
	return " FROM listings l"
}

// where builds the WHERE clause; every value is a bound parameter.
func (f *Filter) where() (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, a ...any) {
		conds = append(conds, cond)
		args = append(args, a...)
	}
	t := "l" // the table that carries suspect, status and score
	if f.Mark != "" {
		t = "m"
		add("m.mark = ?", f.Mark)
	}
	if !f.All {
		add(t + ".suspect = 1")
	}
	if f.Status != "" {
		add(t+".status = ?", string(f.Status))
	}
	if f.Kind != "" {
		add("l.kind = ?", f.Kind)
	}
	if f.Site != "" {
		add("l.site = ?", f.Site)
	}
	if f.Network != "" {
		add("l.seller IN (SELECT seller FROM seller_networks WHERE network = ?) AND EXISTS (SELECT 1 FROM seller_networks n WHERE n.network = ? AND n.site = l.site AND n.seller = l.seller)", f.Network, f.Network)
	}
	if len(f.Marks) > 0 {
		add("l.id IN (SELECT listing FROM listing_marks WHERE mark IN (?"+strings.Repeat(",?", len(f.Marks)-1)+"))", anys(f.Marks)...)
	}
	switch {
	case f.Seller == "":
	case f.SellerExact:
		add("l.seller = ?", f.Seller)
	case f.broadSeller:
		add("instr(lower(l.seller), ?)", asciiLower(f.Seller))
	default:
		// The few sellers whose name contains the text, then their
		// listings by the seller index.
		add("l.seller IN (SELECT seller FROM seller_counts WHERE instr(lower(seller), ?))", asciiLower(f.Seller))
	}
	cs := f.searchConds()
	for i, c := range cs {
		if !f.broad[i] {
			add("l.id IN (SELECT rowid FROM "+c.table+" WHERE "+c.table+" MATCH ?)", c.arg)
		}
	}
	for _, b := range f.broadSpan {
		// A broad term: check the candidate's own text (the same
		// substring test, ASCII case folded as SQLite's lower does; a
		// term without ASCII letters needs no folding).
		c := cs[b[0]]
		for _, term := range c.terms {
			var ors []string
			folded := asciiLower(term)
			for _, col := range c.columns {
				if !strings.ContainsFunc(folded, func(r rune) bool { return r >= 'a' && r <= 'z' }) {
					ors = append(ors, "instr(l."+col+", ?)")
				} else {
					ors = append(ors, "instr(lower(l."+col+"), ?)")
				}
				args = append(args, folded)
			}
			conds = append(conds, "("+strings.Join(ors, " OR ")+")")
		}
	}
	if f.Sweep != "" {
		add("l.sweep = ?", f.Sweep)
	}
	if f.Run != "" {
		add("l.last_run = ?", f.Run)
	}
	if !f.From.IsZero() {
		add("l.last_seen >= ?", f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		add("l.last_seen < ?", f.To.UnixMilli())
	}
	if f.MinScore > 0 {
		add(t+".score >= ?", f.MinScore)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

func (f *Filter) order() string {
	if f.Mark != "" {
		return f.orderOn("m")
	}
	return f.orderOn("l")
}

// orderOn is the ORDER BY clause; t is the table carrying the score ("m"
// with a mark filter, whose index is in score order).
func (f *Filter) orderOn(t string) string {
	switch f.Sort {
	case "last_seen":
		return " ORDER BY l.last_seen DESC, l.id DESC"
	case "first_seen":
		return " ORDER BY l.first_seen DESC, l.id DESC"
	case "price":
		return " ORDER BY -coalesce(l.price, 1e18) DESC, l.id DESC"
	}
	// "likely" reads one signal combination at a time (likelyRows), each
	// in score order.
	if t == "m" {
		return " ORDER BY m.score DESC, m.listing DESC"
	}
	return " ORDER BY l.score DESC, l.id DESC"
}

// CountCap is the most listings Suspects counts for a filter that the
// status counters cannot answer: a total equal to it means "at least". A
// broad search counts less far past the page (each count reads the queue
// index until it has seen that many matches).
func (f *Filter) CountCap() int {
	if len(f.broad) > 0 || f.broadSeller {
		return f.Offset + f.Limit + 1
	}
	return f.Offset + f.Limit + CountLimit + 1
}

// TotalIsLowerBound reports whether a total returned by Suspects for this
// (normalised) filter is a lower bound rather than an exact count.
// (Suspects may count a broad search less far; SuspectsPage says so.)
func (f *Filter) TotalIsLowerBound(total int) bool { return !f.onlyStatus() && total >= f.CountCap() }

// Page is one page of the queue with its count.
type Page struct {
	Rows  []Row
	Total int
	// LowerBound: at least Total listings match (see Filter.CountCap).
	LowerBound bool
}

// SuspectsPage is Suspects that also says whether the total is a lower
// bound: a broad search (a term in thousands of listings) is counted only
// as far as the next page.
func (s *Store) SuspectsPage(ctx context.Context, f Filter) (Page, error) {
	rows, total, planned, err := s.suspects(ctx, f)
	if err != nil {
		return Page{}, err
	}
	return Page{Rows: rows, Total: total, LowerBound: planned.TotalIsLowerBound(total)}, nil
}

// onlyStatus reports whether the filter uses nothing but status and
// suspicion, whose counts the status_counts table keeps.
func (f *Filter) onlyStatus() bool {
	return f.Mark == "" && len(f.Marks) == 0 && f.Q == "" && f.Kind == "" && f.Site == "" && f.Seller == "" && f.Network == "" && f.Sweep == "" && f.Run == "" &&
		f.From.IsZero() && f.To.IsZero() && f.MinScore <= 0
}

// Suspects returns one page of the queue and the number of listings the
// filter selects: exact when the filter is only status and suspicion, else
// capped at Offset+Limit+CountLimit+1 (more than that many match).
func (s *Store) Suspects(ctx context.Context, f Filter) ([]Row, int, error) {
	rows, total, _, err := s.suspects(ctx, f)
	return rows, total, err
}

func (s *Store) suspects(ctx context.Context, f Filter) ([]Row, int, Filter, error) {
	if err := f.Normalize(); err != nil {
		return nil, 0, f, err
	}
	if err := s.planSearch(ctx, &f); err != nil {
		return nil, 0, f, err
	}
	where, args := f.where()
	// A broad search is counted only to one past the page (CountCap): one
	// more row read with the page answers that, instead of a second pass
	// over the same candidates.
	broad := len(f.broad) > 0 || f.broadSeller
	limit := f.Limit
	if broad {
		limit++
	}
	var out []Row
	var err error
	if f.Sort == "likely" {
		out, err = s.likelyRows(ctx, &f, limit, where, args)
	} else {
		q := "SELECT " + rowColumns + f.from() + where + f.order() + " LIMIT ? OFFSET ?"
		out, err = s.queryRows(ctx, q, append(args, limit, f.Offset)...)
	}
	if err != nil {
		return nil, 0, f, err
	}
	if broad && (len(out) > 0 || f.Offset == 0) {
		total := f.Offset + len(out)
		return out[:min(len(out), f.Limit)], total, f, nil
	}
	total, err := s.count(ctx, &f, where, args)
	if err != nil {
		return nil, 0, f, err
	}
	return out, total, f, nil
}

func (s *Store) queryRows(ctx context.Context, q string, args ...any) ([]Row, error) {
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: queue: %w", err)
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return nil, fmt.Errorf("store: queue: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: queue: %w", err)
	}
	return out, nil
}

// likelyRows reads a page in likelihood order: the signal combinations
// most likely first (Ranking, live from the decisions so far), each
// combination's listings by score, read from one index range per
// combination until the page is full. Skipped combinations are counted
// (up to the offset) rather than read.
func (s *Store) likelyRows(ctx context.Context, f *Filter, limit int, where string, args []any) ([]Row, error) {
	r, err := s.Ranking(ctx)
	if err != nil {
		return nil, err
	}
	if where == "" {
		where = " WHERE "
	} else {
		where += " AND "
	}
	base := f.from() + where + "l.signal_key = ?"
	skip := f.Offset
	var out []Row
	for _, k := range r.Keys {
		if len(out) >= limit {
			break
		}
		a := append(append([]any{}, args...), k.Key)
		if skip > 0 {
			var n int
			if err := s.read.QueryRowContext(ctx, "SELECT count(*) FROM (SELECT 1"+base+" LIMIT ?)", append(a, skip)...).Scan(&n); err != nil {
				return nil, fmt.Errorf("store: queue: %w", err)
			}
			if n < skip {
				skip -= n
				continue
			}
		}
		rows, err := s.queryRows(ctx, "SELECT "+rowColumns+base+f.order()+" LIMIT ? OFFSET ?", append(a, limit-len(out), skip)...)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
		skip = 0
	}
	return out, nil
}

func (s *Store) count(ctx context.Context, f *Filter, where string, args []any) (int, error) {
	var total int
	if f.onlyStatus() {
		q := `SELECT coalesce(sum(n), 0) FROM status_counts WHERE 1=1`
		var a []any
		if !f.All {
			q += ` AND suspect = 1`
		}
		if f.Status != "" {
			q += ` AND status = ?`
			a = append(a, string(f.Status))
		}
		if err := s.read.QueryRowContext(ctx, q, a...).Scan(&total); err != nil {
			return 0, fmt.Errorf("store: queue count: %w", err)
		}
		return total, nil
	}
	// Count past the current page too, so that deep pages still know
	// whether there is a next one.
	q := "SELECT count(*) FROM (SELECT 1" + f.from() + where + " LIMIT ?)"
	if err := s.read.QueryRowContext(ctx, q, append(args, f.CountCap())...).Scan(&total); err != nil {
		return 0, fmt.Errorf("store: queue count: %w", err)
	}
	return total, nil
}

// CountByStatus returns how many listings are in each status (suspects
// only unless all).
func (s *Store) CountByStatus(ctx context.Context, suspectsOnly bool) (map[Status]int64, error) {
	q := `SELECT status, sum(n) FROM status_counts`
	if suspectsOnly {
		q += ` WHERE suspect = 1`
	}
	q += ` GROUP BY status`
	rows, err := s.read.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("store: count by status: %w", err)
	}
	defer rows.Close()
	out := map[Status]int64{}
	for rows.Next() {
		var st string
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("store: count by status: %w", err)
		}
		out[Status(st)] = n
	}
	return out, rows.Err()
}

// Facets are the values the queue's filter menus offer.
type Facets struct {
	Sites  []string `json:"sites"`
	Marks  []string `json:"marks"`
	Sweeps []string `json:"sweeps"`
}

// Facets lists the distinct sites, marks and sweeps (bounded lists).
func (s *Store) Facets(ctx context.Context) (Facets, error) {
	var f Facets
	for _, q := range []struct {
		dst *[]string
		sql string
	}{
		// Loose index scans: one index seek per distinct value, so these
		// stay cheap at a million listings because each list is short.
		{&f.Sites, `WITH RECURSIVE v(x) AS (SELECT min(site) FROM listings
			UNION ALL SELECT (SELECT min(site) FROM listings WHERE site > v.x) FROM v WHERE v.x IS NOT NULL)
			SELECT x FROM v WHERE x IS NOT NULL LIMIT 200`},
		{&f.Marks, `WITH RECURSIVE v(x) AS (SELECT min(mark) FROM listing_marks
			UNION ALL SELECT (SELECT min(mark) FROM listing_marks WHERE mark > v.x) FROM v WHERE v.x IS NOT NULL)
			SELECT x FROM v WHERE x IS NOT NULL LIMIT 500`},
		{&f.Sweeps, `SELECT DISTINCT sweep FROM runs WHERE sweep <> '' ORDER BY sweep LIMIT 200`},
	} {
		rows, err := s.read.QueryContext(ctx, q.sql)
		if err != nil {
			return f, fmt.Errorf("store: facets: %w", err)
		}
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return f, fmt.Errorf("store: facets: %w", err)
			}
			*q.dst = append(*q.dst, v)
		}
		rows.Close()
	}
	return f, nil
}

type searchCond struct {
	table   string   // listings_fts (trigrams) or listings_grams (characters)
	arg     string   // the MATCH expression
	terms   []string // the terms, for the per-listing check of a broad condition
	columns []string // the listing columns the terms are looked for in
}

// searchConds turns search terms into FTS5 conditions: one trigram MATCH
// for the terms of three or more characters, one bigram MATCH for the
// shorter ones (see Grams). column limits the match to one field
// ("seller"); empty searches every indexed field.
func searchConds(column string, terms []string) []searchCond {
	var long, short, longTerms, shortTerms []string
	for _, t := range terms {
		if utf8.RuneCountInString(t) >= 3 {
			// An FTS5 string: the term as one literal, quotes doubled.
			long = append(long, `"`+strings.ReplaceAll(t, `"`, `""`)+`"`)
			longTerms = append(longTerms, t)
			continue
		}
		// One character: every bigram it starts and every run it ends
		// (a prefix query); two characters: their bigram.
		var token string
		for _, r := range t {
			token += gram(r)
		}
		if utf8.RuneCountInString(t) == 1 {
			token += "*"
		}
		short = append(short, token)
		shortTerms = append(shortTerms, t)
	}
	scope := func(expr []string) string {
		q := strings.Join(expr, " AND ")
		if column != "" {
			q = column + " : (" + q + ")"
		}
		return q
	}
	cols := func(all ...string) []string {
		if column != "" {
			return []string{column}
		}
		return all
	}
	var out []searchCond
	if len(long) > 0 {
		out = append(out, searchCond{"listings_fts", scope(long), longTerms, cols("title", "description", "seller", "ocr_text")})
	}
	if len(short) > 0 {
		out = append(out, searchCond{"listings_grams", scope(short), shortTerms, cols("title", "seller")})
	}
	return out
}

// asciiLower folds A-Z only, as SQLite's lower() does.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

func anys(v []string) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = s
	}
	return out
}
