package store

import (
	"context"
	"database/sql"
)

// Campaign tallies written by ingestion: a batch of findings adds and
// moves listings in the tallies tables once per distinct key, at the end of
// its transaction, instead of a trigger doing it for every listing (which
// halved the ingest rate). Status changes go through the tallies_update
// trigger (migration 0003).

// facts are what a listing is tallied by.
type facts struct {
	mark, kind, site, shipFrom, sweep, run, seller, status string
	firstSeen                                              int64
	suspect                                                int
}

type tallyKey struct {
	run          bool // run_tallies (else tallies)
	dim, value   string
	day          int64
	sweep, runID string
}

type tallyCounts struct{ listings, suspects, confirmed, dismissed, requested, removed int }

type tallyDeltas struct {
	tallies map[tallyKey]*tallyCounts
	sellers map[string]int // suspects
}

func newTallyDeltas() *tallyDeltas {
	return &tallyDeltas{tallies: map[tallyKey]*tallyCounts{}, sellers: map[string]int{}}
}

// add counts a listing in (sign +1) or out of (-1) its tallies.
func (d *tallyDeltas) add(sign int, f facts) {
	c := tallyCounts{listings: 1, suspects: f.suspect}
	switch Status(f.status) {
	case Confirmed:
		c.confirmed = 1
	case Dismissed:
		c.dismissed = 1
	case TakedownRequested, Reappeared:
		c.confirmed, c.requested = 1, 1
	case Removed:
		c.confirmed, c.requested, c.removed = 1, 1, 1
	}
	day := f.firstSeen / dayMS
	for _, dv := range [][2]string{{"all", ""}, {"mark", f.mark}, {"kind", f.kind}, {"site", f.site}, {"province", Province(f.shipFrom)}} {
		for _, k := range []tallyKey{
			{dim: dv[0], value: dv[1], day: day, sweep: f.sweep},
			{run: true, dim: dv[0], value: dv[1], runID: f.run},
		} {
			t := d.tallies[k]
			if t == nil {
				t = &tallyCounts{}
				d.tallies[k] = t
			}
			t.listings += sign * c.listings
			t.suspects += sign * c.suspects
			t.confirmed += sign * c.confirmed
			t.dismissed += sign * c.dismissed
			t.requested += sign * c.requested
			t.removed += sign * c.removed
		}
	}
	if f.seller != "" {
		d.sellers[f.seller] += sign * f.suspect
	}
}

// move counts a listing out with its old facts and in with its new ones,
// when anything it is tallied by changed.
func (d *tallyDeltas) move(old, now facts) {
	if old == now {
		return
	}
	d.add(-1, old)
	d.add(+1, now)
}

const tallyUpsert = ` ON CONFLICT DO UPDATE SET listings = listings + excluded.listings, suspects = suspects + excluded.suspects,
	confirmed = confirmed + excluded.confirmed, dismissed = dismissed + excluded.dismissed,
	requested = requested + excluded.requested, removed = removed + excluded.removed`

// write applies the deltas in tx.
func (d *tallyDeltas) write(ctx context.Context, tx *sql.Tx) error {
	if len(d.tallies) == 0 && len(d.sellers) == 0 {
		return nil
	}
	day, err := tx.PrepareContext(ctx, `INSERT INTO tallies (dim, value, day, sweep, listings, suspects, confirmed, dismissed, requested, removed)
		VALUES (?,?,?,?,?,?,?,?,?,?)`+tallyUpsert)
	if err != nil {
		return err
	}
	defer day.Close()
	run, err := tx.PrepareContext(ctx, `INSERT INTO run_tallies (dim, value, run, listings, suspects, confirmed, dismissed, requested, removed)
		VALUES (?,?,?,?,?,?,?,?,?)`+tallyUpsert)
	if err != nil {
		return err
	}
	defer run.Close()
	for k, c := range d.tallies {
		if *c == (tallyCounts{}) {
			continue
		}
		if k.run {
			_, err = run.ExecContext(ctx, k.dim, k.value, k.runID, c.listings, c.suspects, c.confirmed, c.dismissed, c.requested, c.removed)
		} else {
			_, err = day.ExecContext(ctx, k.dim, k.value, k.day, k.sweep, c.listings, c.suspects, c.confirmed, c.dismissed, c.requested, c.removed)
		}
		if err != nil {
			return err
		}
	}
	for seller, n := range d.sellers {
		if _, err := tx.ExecContext(ctx, `INSERT INTO seller_counts (seller, suspects) VALUES (?, ?)
			ON CONFLICT DO UPDATE SET suspects = suspects + excluded.suspects`, seller, n); err != nil {
			return err
		}
	}
	return nil
}
