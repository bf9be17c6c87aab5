package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
)

// reindex writes the search entries (trigram and bigram tables) of the
// listings ids from their current text, replacing old entries when
// replace. One statement per table for the whole batch: FTS5 flushes its
// buffer at every statement, so per-row writes (triggers) cost a segment
// per listing. Every writer of title, description, seller or ocr_text
// calls it in the same transaction.
func reindex(ctx context.Context, tx *sql.Tx, ids []int64, replace bool) error {
	if len(ids) == 0 {
		return nil
	}
	list, _ := json.Marshal(ids)
	var stmts []string
	if replace {
		stmts = append(stmts,
			`DELETE FROM listings_fts WHERE rowid IN (SELECT value FROM json_each(?))`,
			`DELETE FROM listings_grams WHERE rowid IN (SELECT value FROM json_each(?))`)
	}
	stmts = append(stmts,
		`INSERT INTO listings_fts (rowid, title, description, seller, ocr_text)
			SELECT id, title, description, seller, ocr_text FROM listings WHERE id IN (SELECT value FROM json_each(?))`,
		`INSERT INTO listings_grams (rowid, title, seller)
			SELECT id, markwatch_grams(title), markwatch_grams(seller) FROM listings WHERE id IN (SELECT value FROM json_each(?))`)
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q, string(list)); err != nil {
			return err
		}
	}
	return nil
}

// SetOCRText stores the text read from a listing's images (the images
// stage) and reindexes the listing, so that search finds it by that text.
func (s *Store) SetOCRText(ctx context.Context, listing int64, text string) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: ocr text: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE listings SET ocr_text = ? WHERE id = ?`, clip(text, 20000), listing)
	if err != nil {
		return fmt.Errorf("store: ocr text: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: listing %d", ErrNotFound, listing)
	}
	if err := reindex(ctx, tx, []int64{listing}, true); err != nil {
		return fmt.Errorf("store: ocr text: %w", err)
	}
	return tx.Commit()
}
