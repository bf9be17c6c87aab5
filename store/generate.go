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
// 20,000 sellers, 10 provinces, 4 sweeps and 400 days, with review statuses in plausible
// proportions. It runs ANALYZE at the end so that the query planner knows
// the data's shape.
func Generate(ctx context.Context, s *Store, n int, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	// 400 days: this year's holiday sweeps and last year's.
	const days = 400
	sites := []string{"examplemart", "gbkmart", "jsonmart", "taobao", "jd", "pinduoduo"}
	kinds := []string{"trademark", "special", "gi", "patent"}
	sweeps := []string{"national-day", "double-11", "mid-autumn", "may-day"}
	type status struct {
		s Status
		p float64
	}
	statuses := []status{{New, .70}, {Confirmed, .10}, {Dismissed, .10}, {TakedownRequested, .05}, {Removed, .03}, {Reappeared, .02}}
	// Titles from a small vocabulary, so that searches hit realistic
	// fractions: a brand word per mark, a product, a colour, slang.
	brands := []string{"耐克", "阿迪达斯", "劳力士", "香奈儿", "爱马仕", "古驰", "路易威登", "普拉达", "欧米茄", "卡地亚",
		"茅台", "五粮液", "阳澄湖", "西湖龙井", "安溪铁观音", "库尔勒", "赣南", "五常", "杭州亚运", "中国航天"}
	products := []string{"运动鞋", "手表", "皮包", "香水", "围巾", "墨镜", "钱包", "腰带", "外套", "大闸蟹", "绿茶", "香梨",
		"脐橙", "大米", "白酒", "吉祥物", "徽章", "T恤", "帽子", "手机壳"}
	colours := []string{"黑色", "白色", "红色", "金色", "银色", "蓝色", "棕色", "粉色"}
	slangs := []string{"高仿", "原单", "1:1", "精仿", "A货", "正品", "专柜", "特价"}
	provinces := []string{"广东 莆田", "广东 广州", "福建 莆田", "浙江 义乌", "江苏 苏州", "上海", "北京", "山东 临沂", "河北 白沟", "四川 成都"}
	signalKeys := []string{"slang", "price", "price,slang", "region", "seller", "seller,slang", "patent", "special", ""}
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
	var firstID int64
	restore := func() error {
		for _, q := range schema {
			if err := exec(q); err != nil {
				return fmt.Errorf("store: generate: restore %q: %w", q, err)
			}
		}
		if err := exec(`UPDATE status_counts SET n = (SELECT count(*) FROM listings l
			WHERE l.status = status_counts.status AND l.suspect = status_counts.suspect)`); err != nil {
			return fmt.Errorf("store: generate: recount: %w", err)
		}
		if err := exec(`DELETE FROM key_decisions`); err != nil {
			return fmt.Errorf("store: generate: recount: %w", err)
		}
		if err := exec(`INSERT INTO key_decisions (key, confirmed, dismissed)
			SELECT signal_key, sum(status IN (` + confirmedStatuses + `)), sum(status = 'dismissed')
			FROM listings WHERE status IN (` + confirmedStatuses + `, 'dismissed') GROUP BY signal_key`); err != nil {
			return fmt.Errorf("store: generate: recount: %w", err)
		}
		// The search indexes and the campaign tallies, for the new rows.
		for _, q := range []string{
			`INSERT INTO listings_fts (rowid, title, description, seller, ocr_text) SELECT id, title, description, seller, ocr_text FROM listings WHERE id >= ?`,
			`INSERT INTO listings_grams (rowid, title, seller) SELECT id, markwatch_grams(title), markwatch_grams(seller) FROM listings WHERE id >= ?`,
			`INSERT INTO tallies (dim, value, day, sweep, listings, suspects, confirmed, dismissed, requested, removed)
			SELECT d.dim, CASE d.dim WHEN 'all' THEN '' WHEN 'mark' THEN l.mark WHEN 'kind' THEN l.kind WHEN 'site' THEN l.site
				ELSE markwatch_province(l.ship_from) END,
				l.first_seen / 86400000, l.sweep, count(*), sum(l.suspect),
				sum(l.status IN ('confirmed','takedown_requested','removed','reappeared')), sum(l.status = 'dismissed'),
				sum(l.status IN ('takedown_requested','removed','reappeared')), sum(l.status = 'removed')
			FROM listings l, (SELECT 'all' AS dim UNION ALL SELECT 'mark' UNION ALL SELECT 'kind' UNION ALL SELECT 'site'
				UNION ALL SELECT 'province') d WHERE l.id >= ?
			GROUP BY 1, 2, 3, 4
			ON CONFLICT DO UPDATE SET listings = listings + excluded.listings, suspects = suspects + excluded.suspects,
				confirmed = confirmed + excluded.confirmed, dismissed = dismissed + excluded.dismissed,
				requested = requested + excluded.requested, removed = removed + excluded.removed`,
			`INSERT INTO run_tallies (dim, value, run, listings, suspects, confirmed, dismissed, requested, removed)
			SELECT d.dim, CASE d.dim WHEN 'all' THEN '' WHEN 'mark' THEN l.mark WHEN 'kind' THEN l.kind WHEN 'site' THEN l.site
				ELSE markwatch_province(l.ship_from) END,
				l.last_run, count(*), sum(l.suspect),
				sum(l.status IN ('confirmed','takedown_requested','removed','reappeared')), sum(l.status = 'dismissed'),
				sum(l.status IN ('takedown_requested','removed','reappeared')), sum(l.status = 'removed')
			FROM listings l, (SELECT 'all' AS dim UNION ALL SELECT 'mark' UNION ALL SELECT 'kind' UNION ALL SELECT 'site'
				UNION ALL SELECT 'province') d WHERE l.id >= ?
			GROUP BY 1, 2, 3
			ON CONFLICT DO UPDATE SET listings = listings + excluded.listings, suspects = suspects + excluded.suspects,
				confirmed = confirmed + excluded.confirmed, dismissed = dismissed + excluded.dismissed,
				requested = requested + excluded.requested, removed = removed + excluded.removed`,
			`INSERT INTO seller_counts (seller, suspects) SELECT seller, sum(suspect) FROM listings WHERE id >= ? AND seller <> '' GROUP BY seller
			ON CONFLICT DO UPDATE SET suspects = suspects + excluded.suspects`,
		} {
			args := []any{}
			if strings.Contains(q, "?") {
				args = append(args, firstID)
			}
			if err := exec(q, args...); err != nil {
				return fmt.Errorf("store: generate: %w", err)
			}
		}
		return nil
	}

	const chunk = 50 // rows per INSERT statement
	const perTx = 50000
	listingSQL := `INSERT INTO listings (id, site, listing_id, url, title, price, seller, ship_from,
		first_seen, last_seen, last_run, sweep, suspect, score, mark, kind, reasons, status, status_at, signal_key) VALUES `
	markSQL := `INSERT OR IGNORE INTO listing_marks (mark, listing, kind, suspect, status, score) VALUES `
	var nextID int64
	if err := conn.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) + 1 FROM listings`).Scan(&nextID); err != nil {
		return fmt.Errorf("store: generate: %w", err)
	}
	firstID = nextID
	runs := map[[2]string]bool{}
	var lArgs, mArgs []any
	flush := func() error {
		if len(lArgs) == 0 {
			return nil
		}
		k := len(lArgs) / 20
		if err := exec(listingSQL+placeholders(k, 20), lArgs...); err != nil {
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
		day := rng.IntN(days)
		run := fmt.Sprintf("%s-%03d", sweep, day/15)
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
			fmt.Sprintf("%s %s%s %s %s g%d", slangs[rng.IntN(len(slangs))], brands[m%len(brands)], products[rng.IntN(len(products))],
				colours[rng.IntN(len(colours))], mark, i), float64(rng.IntN(2000))+0.9, fmt.Sprintf("shop-%05d", rng.IntN(20000)),
			provinces[rng.IntN(len(provinces))], seen-int64(rng.IntN(30))*dayMS, seen, run, sweep, suspect, score, mark, kind,
			"synthetic listing", string(st), seen, signalKeys[rng.IntN(len(signalKeys))])
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
