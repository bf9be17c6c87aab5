package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Generate fills the store with n synthetic listings (deterministic from
// seed) in one bulk transaction: for load tests and benchmarks of the queue
// at realistic sizes. Listings spread over 6 sites, 40 marks of all kinds,
// 20,000 sellers, 4 sweeps and 60 days, with review statuses in plausible
// proportions. It runs ANALYZE at the end so that the query planner knows
// the data's shape.
func Generate(ctx context.Context, s *Store, n int, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	sites := []string{"examplemart", "gbkmart", "jsonmart", "taobao", "jd", "pinduoduo"}
	kinds := []string{"trademark", "special", "gi", "patent"}
	sweeps := []string{"national-day", "double-11", "mid-autumn", "may-day"}
	type status struct {
		s Status
		p float64
	}
	statuses := []status{{New, .70}, {Confirmed, .10}, {Dismissed, .10}, {TakedownRequested, .05}, {Removed, .03}, {Reappeared, .02}}
	now := s.now().UnixMilli()
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: generate: %w", err)
	}
	defer conn.Close()
	exec := func(q string, args ...any) error {
		_, err := conn.ExecContext(ctx, q, args...)
		return err
	}

	// Bulk loading is much faster without the secondary indexes and the
	// counting triggers: drop them, load, rebuild them, recount.
	var schema []string
	rows, err := conn.QueryContext(ctx, `SELECT name, sql FROM sqlite_master
		WHERE type IN ('index', 'trigger') AND tbl_name IN ('listings', 'listing_marks') AND sql IS NOT NULL`)
	if err != nil {
		return fmt.Errorf("store: generate: %w", err)
	}
	var drops []string
	for rows.Next() {
		var name, sql string
		if err := rows.Scan(&name, &sql); err != nil {
			rows.Close()
			return fmt.Errorf("store: generate: %w", err)
		}
		schema = append(schema, sql)
		kind := "INDEX"
		if len(sql) > 14 && sql[:14] == "CREATE TRIGGER" {
			kind = "TRIGGER"
		}
		drops = append(drops, "DROP "+kind+" "+name)
	}
	rows.Close()
	for _, d := range drops {
		if err := exec(d); err != nil {
			return fmt.Errorf("store: generate: %s: %w", d, err)
		}
	}
	restore := func() error {
		for _, q := range schema {
			if err := exec(q); err != nil {
				return fmt.Errorf("store: generate: restore %q: %w", q, err)
			}
		}
		return exec(`UPDATE status_counts SET n = (SELECT count(*) FROM listings l
			WHERE l.status = status_counts.status AND l.suspect = status_counts.suspect)`)
	}

	const chunk = 50 // rows per INSERT statement
	const perTx = 50000
	listingSQL := `INSERT INTO listings (id, site, listing_id, url, title, price, seller, ship_from,
		first_seen, last_seen, last_run, sweep, suspect, score, mark, kind, reasons, status, status_at) VALUES `
	markSQL := `INSERT OR IGNORE INTO listing_marks (mark, listing, kind, suspect, status, score) VALUES `
	var nextID int64
	if err := conn.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) + 1 FROM listings`).Scan(&nextID); err != nil {
		return fmt.Errorf("store: generate: %w", err)
	}
	runs := map[[2]string]bool{}
	var lArgs, mArgs []any
	flush := func() error {
		if len(lArgs) == 0 {
			return nil
		}
		k := len(lArgs) / 19
		if err := exec(listingSQL+placeholders(k, 19), lArgs...); err != nil {
			return err
		}
		if err := exec(markSQL+placeholders(k, 6), mArgs...); err != nil {
			return err
		}
		lArgs, mArgs = lArgs[:0], mArgs[:0]
		return nil
	}
	if err := exec(`BEGIN IMMEDIATE`); err != nil {
		return fmt.Errorf("store: generate: %w", err)
	}
	for i := 0; i < n; i++ {
		site := sites[rng.IntN(len(sites))]
		m := rng.IntN(40)
		mark := fmt.Sprintf("mark-%02d", m)
		kind := kinds[m%len(kinds)]
		sweep := sweeps[rng.IntN(len(sweeps))]
		day := rng.IntN(60)
		run := fmt.Sprintf("%s-%02d", sweep, day/15)
		runs[[2]string{run, sweep}] = true
		const dayMS = int64(24 * time.Hour / time.Millisecond)
		seen := now - int64(day)*dayMS - rng.Int64N(dayMS)
		x := rng.Float64()
		st := New
		for _, c := range statuses {
			if x < c.p {
				st = c.s
				break
			}
			x -= c.p
		}
		suspect := 0
		if rng.Float64() < .8 {
			suspect = 1
		}
		id := fmt.Sprintf("g%08d", i)
		rowID := nextID + int64(i)
		score := float64(rng.IntN(1000)) / 1000
		lArgs = append(lArgs, rowID, site, id, "https://"+site+".example/item/"+id,
			fmt.Sprintf("高仿 %s 正品 1:1 商品 %d", mark, i), float64(rng.IntN(2000))+0.9, fmt.Sprintf("shop-%05d", rng.IntN(20000)), "广东",
			seen-int64(rng.IntN(30))*dayMS, seen, run, sweep, suspect, score, mark, kind,
			"synthetic listing", string(st), seen)
		mArgs = append(mArgs, mark, rowID, kind, suspect, string(st), score)
		if (i+1)%chunk == 0 {
			if err := flush(); err != nil {
				exec(`ROLLBACK`)
				return fmt.Errorf("store: generate: %w", err)
			}
		}
		if (i+1)%perTx == 0 {
			if ctx.Err() != nil {
				exec(`ROLLBACK`)
				return ctx.Err()
			}
			if err := exec(`COMMIT`); err != nil {
				return fmt.Errorf("store: generate: %w", err)
			}
			if err := exec(`BEGIN IMMEDIATE`); err != nil {
				return fmt.Errorf("store: generate: %w", err)
			}
		}
	}
	if err := flush(); err != nil {
		exec(`ROLLBACK`)
		return fmt.Errorf("store: generate: %w", err)
	}
	for r := range runs {
		if err := exec(`INSERT OR IGNORE INTO runs (id, sweep, started_at) VALUES (?,?,?)`, r[0], r[1], now); err != nil {
			exec(`ROLLBACK`)
			return fmt.Errorf("store: generate: %w", err)
		}
	}
	if err := exec(`COMMIT`); err != nil {
		return fmt.Errorf("store: generate: %w", err)
	}
	if err := restore(); err != nil {
		return err
	}
	if err := exec(`ANALYZE`); err != nil {
		return fmt.Errorf("store: generate: analyze: %w", err)
	}
	return exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
}

func placeholders(rows, cols int) string {
	one := "(?" + strings.Repeat(",?", cols-1) + ")"
	return one + strings.Repeat(","+one, rows-1)
}
