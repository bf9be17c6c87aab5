package store

import (
	"context"
	"fmt"
	"math/rand/v2"
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
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: generate: %w", err)
	}
	defer tx.Rollback()
	insListing, err := tx.PrepareContext(ctx, `INSERT INTO listings (site, listing_id, url, title, price, seller, ship_from,
		first_seen, last_seen, last_run, sweep, suspect, score, mark, kind, reasons, status, status_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		return fmt.Errorf("store: generate: %w", err)
	}
	defer insListing.Close()
	insMark, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO listing_marks (mark, listing, kind) VALUES (?,?,?)`)
	if err != nil {
		return fmt.Errorf("store: generate: %w", err)
	}
	defer insMark.Close()
	runs := map[string]bool{}
	for i := 0; i < n; i++ {
		if i%10000 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		site := sites[rng.IntN(len(sites))]
		m := rng.IntN(40)
		mark := fmt.Sprintf("mark-%02d", m)
		kind := kinds[m%len(kinds)]
		sweep := sweeps[rng.IntN(len(sweeps))]
		day := rng.IntN(60)
		run := fmt.Sprintf("%s-%02d", sweep, day/15)
		runs[run+"\x00"+sweep] = true
		seen := now - int64(day)*int64(24*time.Hour/time.Millisecond) - rng.Int64N(int64(24*time.Hour/time.Millisecond))
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
		res, err := insListing.ExecContext(ctx, site, id, "https://"+site+".example/item/"+id,
			fmt.Sprintf("高仿 %s 正品 1:1 商品 %d", mark, i), float64(rng.IntN(2000))+0.9, fmt.Sprintf("shop-%05d", rng.IntN(20000)), "广东",
			seen-int64(rng.IntN(30))*86400000, seen, run, sweep, suspect, float64(rng.IntN(1000))/1000, mark, kind,
			"synthetic listing", string(st), seen)
		if err != nil {
			return fmt.Errorf("store: generate: %w", err)
		}
		rowID, _ := res.LastInsertId()
		if _, err := insMark.ExecContext(ctx, mark, rowID, kind); err != nil {
			return fmt.Errorf("store: generate: %w", err)
		}
	}
	for key := range runs {
		var run, sweep string
		fmt.Sscanf(key, "%s", &run)
		for i := range key {
			if key[i] == 0 {
				run, sweep = key[:i], key[i+1:]
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO runs (id, sweep, started_at) VALUES (?,?,?)`, run, sweep, now); err != nil {
			return fmt.Errorf("store: generate: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: generate: %w", err)
	}
	if _, err := s.write.ExecContext(ctx, `ANALYZE`); err != nil {
		return fmt.Errorf("store: generate: analyze: %w", err)
	}
	return nil
}
