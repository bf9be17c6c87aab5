package store

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/evidence"
)

// SystemActor is the actor recorded for status changes made by runs.
const SystemActor = "markwatch"

// Put stores the findings read from one page (pipeline.Sink). When any
// finding is suspect and the page has a body, the page is preserved as
// evidence first and every finding's Listing.Evidence is set to its SHA-256.
// Writing is idempotent per (run, site, listing id).
func (s *Store) Put(ctx context.Context, page *markwatch.Page, findings []markwatch.Finding) error {
	return s.PutPages(ctx, []PageFindings{{Page: page, Findings: findings}})
}

// PutGzipped is Put for a page whose body comes gzip'd with its SHA-256
// (a findings batch from the stream; page.Body is ignored): a body the
// evidence store holds already is neither decompressed nor compressed
// again, and a new one is checked against hash and stored as it came
// (evidence.Store.PutGzip).
func (s *Store) PutGzipped(ctx context.Context, page *markwatch.Page, hash string, gz []byte, findings []markwatch.Finding) error {
	return s.PutPages(ctx, []PageFindings{{Page: page, BodyHash: hash, BodyGzip: gz, Findings: findings}})
}

// PageFindings is one page's findings for PutPages.
type PageFindings struct {
	Page *markwatch.Page // nil for a search card judged without its item page
	// BodyHash and BodyGzip, when BodyGzip is set, are the page's body
	// gzip'd and the SHA-256 of the raw body (Page.Body is then ignored):
	// see PutGzipped.
	BodyHash string
	BodyGzip []byte
	Findings []markwatch.Finding
}

// PutPages is Put for several pages with one transaction for all their
// findings (the findings consumer's batch): every page's evidence is
// preserved first and made durable with one wait for the disk
// (evidence.Batch), then every finding is written, or none is.
func (s *Store) PutPages(ctx context.Context, pages []PageFindings) error {
	var all []markwatch.Finding
	ev := s.evidence.Batch()
	for i := range pages {
		if err := s.preserve(ev, &pages[i]); err != nil {
			return err
		}
		all = append(all, pages[i].Findings...)
	}
	if err := ev.Commit(); err != nil {
		return fmt.Errorf("store: preserve evidence: %w", err)
	}
	if len(pages) == 1 {
		all = pages[0].Findings
	}
	var seen []runPage
	for _, pf := range pages {
		if pf.Page != nil && pf.Page.URL != "" && len(pf.Findings) > 0 {
			sum := sha256.Sum256([]byte(pf.Page.URL))
			seen = append(seen, runPage{run: cmp.Or(pf.Page.Task.Run, pf.Findings[0].Run), page: sum[:12]})
		}
	}
	_, err := s.putFindings(ctx, all, seen)
	return err
}

// runPage is a page whose findings a run stored (table run_pages): its
// task URL's SHA-256 prefix.
type runPage struct {
	run  string
	page []byte
}

// ObserveDone records that the frontier's accounting of run showed done
// tasks and returns the highest done ever recorded for it.
func (s *Store) ObserveDone(ctx context.Context, run string, done int64) (int64, error) {
	var top int64
	err := s.write.QueryRowContext(ctx, `INSERT INTO run_seen (run, done) VALUES (?, ?)
		ON CONFLICT (run) DO UPDATE SET done = max(done, excluded.done) RETURNING done`, run, done).Scan(&top)
	if err != nil {
		return 0, fmt.Errorf("store: observe run %s: %w", run, err)
	}
	return top, nil
}

// RunPages returns how many distinct pages (task URLs) of run had their
// findings stored through PutPages: a floor on the tasks the frontier must
// account for once the run is finished (it queues a URL once per run).
func (s *Store) RunPages(ctx context.Context, run string) (int64, error) {
	var n int64
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM run_pages WHERE run = ?`, run).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: pages of run %s: %w", run, err)
	}
	return n, nil
}

// preserve keeps pf's page as evidence when any finding is suspect and
// sets the findings' evidence hash, fetch time and site.
func (s *Store) preserve(ev *evidence.Batch, pf *PageFindings) error {
	page, findings := pf.Page, pf.Findings
	if len(findings) == 0 {
		return nil
	}
	var fetched time.Time
	if page != nil {
		fetched = page.FetchedAt
		suspect := false
		for _, f := range findings {
			suspect = suspect || f.Verdict.Suspect
		}
		if suspect && (len(pf.BodyGzip) > 0 || len(page.Body) > 0) {
			var hash string
			var err error
			if len(pf.BodyGzip) > 0 {
				hash, err = ev.PutGzip(page, pf.BodyHash, pf.BodyGzip)
			} else {
				hash, err = ev.Put(page)
			}
			if err != nil {
				return fmt.Errorf("store: preserve evidence of %s: %w", page.URL, err)
			}
			for i := range findings {
				findings[i].Listing.Evidence = hash
			}
		}
	}
	for i := range findings {
		if findings[i].Listing.FetchedAt.IsZero() {
			findings[i].Listing.FetchedAt = fetched
		}
		if findings[i].Listing.Site == "" && page != nil {
			findings[i].Listing.Site = page.Task.Site
		}
	}
	return nil
}

// PutFindings stores findings in one transaction (ingestion of verdict
// lines; Put for crawled pages) and returns how many were new: a finding
// already stored for its (run, site, listing id) changes nothing. Findings
// without a listing id or run are rejected, and then nothing is written.
func (s *Store) PutFindings(ctx context.Context, findings []markwatch.Finding) (int, error) {
	return s.putFindings(ctx, findings, nil)
}

// putFindings is PutFindings that also records, in the same transaction,
// the pages the findings came from.
func (s *Store) putFindings(ctx context.Context, findings []markwatch.Finding, pages []runPage) (int, error) {
	if len(findings) == 0 {
		return 0, nil
	}
	for i, f := range findings {
		if strings.TrimSpace(f.Listing.ID) == "" {
			return 0, fmt.Errorf("%w: finding %d has no listing id", ErrInvalid, i)
		}
		if f.Run == "" {
			return 0, fmt.Errorf("%w: finding %d (listing %s) has no run", ErrInvalid, i, f.Listing.ID)
		}
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: put findings: %w", err)
	}
	defer tx.Rollback()
	w, err := newIngestTx(ctx, tx, s.now(), s.ingest)
	if err != nil {
		return 0, fmt.Errorf("store: put findings: %w", err)
	}
	defer w.close()
	written := 0
	for i := range findings {
		ok, err := w.put(ctx, &findings[i])
		if err != nil {
			return 0, fmt.Errorf("store: put finding (run %s, site %s, listing %s): %w",
				findings[i].Run, findings[i].Listing.Site, findings[i].Listing.ID, err)
		}
		if ok {
			written++
		}
	}
	for _, p := range pages {
		if _, err := w.insPage.ExecContext(ctx, p.run, p.page); err != nil {
			return 0, fmt.Errorf("store: put findings: a page of run %s: %w", p.run, err)
		}
	}
	if err := w.finish(ctx); err != nil {
		return 0, fmt.Errorf("store: put findings: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: put findings: %w", err)
	}
	s.metrics.FindingsWritten.Add(float64(written))
	return written, nil
}

// ingestTx holds the prepared statements of one ingestion transaction.
type ingestTx struct {
	tx       *sql.Tx
	prepared *ingestStatements // the statements as prepared on the connection (for setStatus)
	now      int64
	runs     map[string]*runCount // per-run counters, written once at the end
	tally    *tallyDeltas         // campaign tallies, written once at the end
	// Listings to (re)index for search at the end: new ones, and known
	// ones whose text changed.
	added, changed []int64
	ingestStatements
}

// ingestStatements are prepared once on the write connection and bound to
// each ingestion transaction.
type ingestStatements struct {
	setPhotos                                                                                                  *sql.Stmt
	selListing, insListing, updListing, seenOld, insHistory, insVerdict, insMark, insDecision, upRun, runCount *sql.Stmt
	// updStatus and addDecision serve setStatus everywhere: prepared once,
	// because preparing an UPDATE of listings compiles every trigger on it.
	updStatus, addDecision, addUndo *sql.Stmt
	insPage                         *sql.Stmt // run_pages
}

var ingestSQL = []struct {
	field func(*ingestStatements) **sql.Stmt
	sql   string
}{
	{func(s *ingestStatements) **sql.Stmt { return &s.selListing }, `SELECT id, title, price, status, status_at, last_seen,
			mark, kind, ship_from, sweep, last_run, seller, first_seen, suspect, description FROM listings WHERE site = ? AND listing_id = ?`},
	{func(s *ingestStatements) **sql.Stmt { return &s.insListing }, `INSERT INTO listings (site, listing_id, url, title, description, price, currency, seller, ship_from, category, image,
			first_seen, last_seen, last_run, sweep, suspect, score, mark, kind, reasons, evidence, fetched_at, status, status_at, signal_key, likelihood)
			VALUES (?,?,?,?,?,?,?,?,?,?,?, ?,?,?,?,?,?,?,?,?,?,?, 'new', ?, ?, coalesce((SELECT likelihood FROM calibration WHERE key = ?), -1)) RETURNING id`},
	{func(s *ingestStatements) **sql.Stmt { return &s.updListing }, `UPDATE listings SET url = ?, title = ?, description = ?, price = ?, currency = ?, seller = ?, ship_from = ?, category = ?, image = ?,
			last_seen = ?, last_run = ?, sweep = ?, suspect = ?, score = ?, mark = ?, kind = ?, reasons = ?,
			signal_key = ?, likelihood = coalesce((SELECT likelihood FROM calibration WHERE key = ?), -1),
			evidence = CASE WHEN ? <> '' THEN ? ELSE evidence END, fetched_at = ?,
			first_seen = min(first_seen, ?)
			WHERE id = ?`},
	{func(s *ingestStatements) **sql.Stmt { return &s.setPhotos }, `UPDATE listings SET ocr_text = ?, photos = ? WHERE id = ?`},
	{func(s *ingestStatements) **sql.Stmt { return &s.seenOld }, `UPDATE listings SET first_seen = min(first_seen, ?) WHERE id = ?`},
	{func(s *ingestStatements) **sql.Stmt { return &s.insHistory }, `INSERT INTO listing_history (listing, seen_at, run, title, price) VALUES (?,?,?,?,?)`},
	{func(s *ingestStatements) **sql.Stmt { return &s.insVerdict }, `INSERT INTO verdicts (run, listing, sweep, suspect, score, title, description, price, hits, signals, evidence, fetched_at, stored_at)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (run, listing) DO NOTHING`},
	{func(s *ingestStatements) **sql.Stmt { return &s.insMark }, `INSERT OR IGNORE INTO listing_marks (mark, listing, kind, suspect, status, score)
			SELECT ?, id, ?, suspect, status, score FROM listings WHERE id = ?`},
	{func(s *ingestStatements) **sql.Stmt { return &s.insDecision }, `INSERT INTO decisions (listing, from_status, to_status, actor, at, note, run) VALUES (?,?,?,?,?,?,?)`},
	{func(s *ingestStatements) **sql.Stmt { return &s.upRun }, `INSERT INTO runs (id, sweep, started_at) VALUES (?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET started_at = min(started_at, excluded.started_at),
			sweep = CASE WHEN sweep = '' THEN excluded.sweep ELSE sweep END`},
	{func(s *ingestStatements) **sql.Stmt { return &s.updStatus }, `UPDATE listings SET status = ?, status_at = ?, status_by = ?, note = ? WHERE id = ? AND status = ?`},
	{func(s *ingestStatements) **sql.Stmt { return &s.addDecision }, `INSERT INTO decisions (listing, from_status, to_status, actor, at, note, batch, run) VALUES (?,?,?,?,?,?,?,?)`},
	{func(s *ingestStatements) **sql.Stmt { return &s.addUndo }, `INSERT INTO decisions (listing, from_status, to_status, actor, at, note, undo_of) VALUES (?,?,?,?,?,?,?)`},
	{func(s *ingestStatements) **sql.Stmt { return &s.insPage }, `INSERT OR IGNORE INTO run_pages (run, page) VALUES (?, ?)`},
	{func(s *ingestStatements) **sql.Stmt { return &s.runCount }, `UPDATE runs SET findings = findings + ?, suspects = suspects + ?, reappeared = reappeared + ?,
			started_at = min(started_at, ?) WHERE id = ?`},
}

func prepareIngest(ctx context.Context, db *sql.DB) (*ingestStatements, error) {
	st := &ingestStatements{}
	for _, p := range ingestSQL {
		stmt, err := db.PrepareContext(ctx, p.sql)
		if err != nil {
			return nil, fmt.Errorf("store: prepare: %w", err)
		}
		*p.field(st) = stmt
	}
	return st, nil
}

func (st *ingestStatements) close() {
	for _, p := range ingestSQL {
		if s := *p.field(st); s != nil {
			s.Close()
		}
	}
}

func newIngestTx(ctx context.Context, tx *sql.Tx, now time.Time, prepared *ingestStatements) (*ingestTx, error) {
	w := &ingestTx{tx: tx, prepared: prepared, now: now.UnixMilli(), runs: map[string]*runCount{}, tally: newTallyDeltas()}
	for _, p := range ingestSQL {
		*p.field(&w.ingestStatements) = tx.StmtContext(ctx, *p.field(prepared))
	}
	return w, nil
}

func (w *ingestTx) close() { w.ingestStatements.close() }

// put writes one finding; it reports false for a finding already stored.
func (w *ingestTx) put(ctx context.Context, f *markwatch.Finding) (bool, error) {
	l := &f.Listing
	v := &f.Verdict
	site := l.Site
	if site == "" {
		site = "unknown"
	}
	seen := l.FetchedAt
	if seen.IsZero() {
		seen = time.UnixMilli(w.now)
	}
	seenMS := seen.UnixMilli()
	rc := w.runs[f.Run]
	if rc == nil {
		if _, err := w.upRun.ExecContext(ctx, f.Run, f.Sweep, seenMS); err != nil {
			return false, err
		}
		rc = &runCount{firstSeen: seenMS}
		w.runs[f.Run] = rc
	}
	mark, kind := strongest(v)
	reasons := Reasons(v)
	signalKey := SignalKey(v.Signals)
	price := nullPrice(l.Price)
	suspect := boolInt(v.Suspect)

	var (
		id       int64
		oldTitle string
		oldPrice sql.NullFloat64
		status   string
		statusAt int64
		lastSeen int64
		reappear int
		old      facts
		oldDesc  string
	)
	err := w.selListing.QueryRowContext(ctx, site, l.ID).Scan(&id, &oldTitle, &oldPrice, &status, &statusAt, &lastSeen,
		&old.mark, &old.kind, &old.shipFrom, &old.sweep, &old.run, &old.seller, &old.firstSeen, &old.suspect, &oldDesc)
	old.site, old.status = site, status
	switch {
	case errors.Is(err, sql.ErrNoRows):
		err = w.insListing.QueryRowContext(ctx, site, l.ID, l.URL, l.Title, l.Description, price, l.Currency, l.Seller, l.ShipFrom, l.Category, l.Image,
			seenMS, seenMS, f.Run, f.Sweep, suspect, v.Score, mark, kind, reasons, l.Evidence, ms(l.FetchedAt), w.now, signalKey, signalKey).Scan(&id)
		if err != nil {
			return false, err
		}
		if _, err := w.insHistory.ExecContext(ctx, id, seenMS, f.Run, l.Title, price); err != nil {
			return false, err
		}
		w.tally.add(+1, facts{mark: mark, kind: kind, site: site, shipFrom: l.ShipFrom, sweep: f.Sweep, run: f.Run,
			seller: l.Seller, status: string(New), firstSeen: seenMS, suspect: suspect})
		w.added = append(w.added, id)
	case err != nil:
		return false, err
	}

	hits, _ := json.Marshal(nonNil(v.Hits))
	signals, _ := json.Marshal(nonNil(v.Signals))
	res, err := w.insVerdict.ExecContext(ctx, f.Run, id, f.Sweep, suspect, v.Score, l.Title, l.Description, price,
		string(hits), string(signals), l.Evidence, seenMS, w.now)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil // this run's verdict on this listing is already stored
	}
	if len(l.Photos) > 0 { // the images step ran: its photos and their OCR text
		photos, _ := json.Marshal(l.Photos)
		text := strings.ReplaceAll(l.ImageText, markwatch.ImageTextSeparator, "\n")
		if _, err := w.setPhotos.ExecContext(ctx, text, string(photos), id); err != nil {
			return false, err
		}
		if status != "" && text != "" {
			w.changed = append(w.changed, id) // reindex ocr_text
		}
	}
	if status != "" { // an existing listing
		if seenMS >= lastSeen {
			if _, err := w.updListing.ExecContext(ctx, l.URL, l.Title, l.Description, price, l.Currency, l.Seller, l.ShipFrom, l.Category, l.Image,
				seenMS, f.Run, f.Sweep, suspect, v.Score, mark, kind, reasons, signalKey, signalKey, l.Evidence, l.Evidence, ms(l.FetchedAt), seenMS, id); err != nil {
				return false, err
			}
			now := facts{mark: mark, kind: kind, site: site, shipFrom: l.ShipFrom, sweep: f.Sweep, run: f.Run,
				seller: l.Seller, status: status, firstSeen: min(old.firstSeen, seenMS), suspect: suspect}
			w.tally.move(old, now)
			if oldTitle != l.Title || oldDesc != l.Description || old.seller != l.Seller {
				w.changed = append(w.changed, id)
			}
			if oldTitle != l.Title || !samePrice(oldPrice, price) {
				if _, err := w.insHistory.ExecContext(ctx, id, seenMS, f.Run, l.Title, price); err != nil {
					return false, err
				}
			}
		} else {
			if _, err := w.seenOld.ExecContext(ctx, seenMS, id); err != nil {
				return false, err
			}
			now := old
			now.firstSeen = min(old.firstSeen, seenMS)
			w.tally.move(old, now)
		}
		// Only a sighting after the removal was recorded counts: a late
		// redelivery of an older page is not a reappearance.
		if Status(status) == Removed && seenMS > statusAt {
			if err := setStatus(ctx, w.tx, w.prepared, id, Removed, Reappeared, SystemActor, "seen again in run "+f.Run, w.now, 0, f.Run); err != nil {
				return false, err
			}
			reappear = 1
		}
	}
	for _, h := range v.Hits {
		if h.Descriptive || h.Mark == "" {
			continue
		}
		if _, err := w.insMark.ExecContext(ctx, h.Mark, string(h.Kind), id); err != nil {
			return false, err
		}
	}
	rc.findings++
	rc.suspects += suspect
	rc.reappeared += reappear
	rc.firstSeen = min(rc.firstSeen, seenMS)
	return true, nil
}

type runCount struct {
	findings, suspects, reappeared int
	firstSeen                      int64 // a run starts with its earliest fetch
}

// finish writes the per-run counters and the campaign tallies.
func (w *ingestTx) finish(ctx context.Context) error {
	if err := w.tally.write(ctx, w.tx); err != nil {
		return err
	}
	if err := reindex(ctx, w.tx, w.added, false); err != nil {
		return err
	}
	if err := reindex(ctx, w.tx, w.changed, true); err != nil {
		return err
	}
	for run, rc := range w.runs {
		if rc.findings == 0 {
			continue
		}
		if _, err := w.runCount.ExecContext(ctx, rc.findings, rc.suspects, rc.reappeared, rc.firstSeen, run); err != nil {
			return err
		}
	}
	return nil
}

// setStatus changes a listing's status and records the decision.
func setStatus(ctx context.Context, tx *sql.Tx, st *ingestStatements, id int64, from, to Status, actor, note string, at int64, batch int64, run string) error {
	res, err := tx.StmtContext(ctx, st.updStatus).ExecContext(ctx, string(to), at, actor, note, id, string(from))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("%w: listing %d is no longer %s", ErrTransition, id, from)
	}
	var b any
	if batch > 0 {
		b = batch
	}
	_, err = tx.StmtContext(ctx, st.addDecision).ExecContext(ctx, id, string(from), string(to), actor, at, note, b, run)
	return err
}

// strongest picks the mark and kind a verdict is filed under: the first
// non-descriptive hit whose mark a signal names, else the first
// non-descriptive hit, else the first hit.
func strongest(v *markwatch.Verdict) (mark, kind string) {
	named := map[string]bool{}
	for _, sg := range v.Signals {
		if sg.Mark != "" {
			named[sg.Mark] = true
		}
	}
	var first, any *markwatch.Hit
	for i := range v.Hits {
		h := &v.Hits[i]
		if any == nil {
			any = h
		}
		if h.Descriptive {
			continue
		}
		if first == nil {
			first = h
		}
		if named[h.Mark] {
			return h.Mark, string(h.Kind)
		}
	}
	if first != nil {
		return first.Mark, string(first.Kind)
	}
	if any != nil {
		return any.Mark, string(any.Kind)
	}
	return "", ""
}

// Reasons summarises a verdict in one line of plain words: its signals'
// details, or the marks mentioned when there is no signal.
func Reasons(v *markwatch.Verdict) string {
	var parts []string
	for _, sg := range v.Signals {
		d := strings.TrimSpace(sg.Detail)
		if d == "" {
			d = sg.Type
		}
		parts = append(parts, d)
	}
	if len(parts) == 0 {
		if marks := v.Marks(); len(marks) > 0 {
			parts = append(parts, "mentions "+strings.Join(marks, ", "))
		}
	}
	out := strings.Join(parts, "; ")
	if r := []rune(out); len(r) > 500 {
		out = string(r[:500]) + "…"
	}
	return out
}

func nullPrice(p *float64) any {
	if p == nil || math.IsNaN(*p) || math.IsInf(*p, 0) {
		return nil
	}
	return *p
}

func samePrice(old sql.NullFloat64, now any) bool {
	f, ok := now.(float64)
	if !old.Valid || !ok {
		return old.Valid == ok
	}
	return old.Float64 == f
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
