package store

import (
	"context"
	"fmt"
)

// SellerListing is a listing with the text seller linking reads.
type SellerListing struct {
	Row
	Description string
	OCRText     string
}

// SellerListings lists up to limit listings that have a seller and were
// suspect or reviewed (the ones worth linking), newest first. limit 0:
// 50000; below 0: all of them.
func (s *Store) SellerListings(ctx context.Context, limit int) ([]SellerListing, error) {
	if limit == 0 {
		limit = 50000
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+rowColumns+`, l.description, l.ocr_text FROM listings l
		WHERE `+linkable+` ORDER BY l.id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: seller listings: %w", err)
	}
	defer rows.Close()
	var out []SellerListing
	for rows.Next() {
		var sl SellerListing
		var dest []any
		r, err := scanRow(scanFunc(func(args ...any) error {
			dest = append(args, &sl.Description, &sl.OCRText)
			return rows.Scan(dest...)
		}))
		if err != nil {
			return nil, fmt.Errorf("store: seller listings: %w", err)
		}
		sl.Row = r
		out = append(out, sl)
	}
	return out, rows.Err()
}

type scanFunc func(...any) error

func (f scanFunc) Scan(args ...any) error { return f(args...) }
