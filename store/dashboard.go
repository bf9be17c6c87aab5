package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// DashboardFilter scopes the campaign dashboard. Zero fields do not filter.
type DashboardFilter struct {
	Sweep string
	Run   string
	// From and To bound the first-seen day, [From, To) (UTC days).
	From, To time.Time
}

// Tally counts a group of listings by outcome.
type Tally struct {
	Value     string `json:"value"`
	Listings  int    `json:"listings"`
	Suspects  int    `json:"suspects"`
	Confirmed int    `json:"confirmed"` // confirmed, takedown requested, removed or reappeared
	Dismissed int    `json:"dismissed"`
	Requested int    `json:"takedowns_requested"` // takedown requested, removed or reappeared
	Removed   int    `json:"removed"`             // removed (and not seen again)
}

// Dashboard is a campaign's summary.
type Dashboard struct {
	Filter DashboardFilter `json:"-"`
	Totals Tally           `json:"totals"`
	ByMark []Tally         `json:"by_mark"`
	ByKind []Tally         `json:"by_kind"`
	BySite []Tally         `json:"by_site"`
	// BySeller: the 20 sellers with the most suspects in scope among the
	// SellerCandidates with the most suspects overall (exact counts).
	BySeller   []Tally `json:"by_seller"`
	ByProvince []Tally `json:"by_province"`
	ByDay      []Tally `json:"by_day"` // Value is the date, oldest first
	// Takedown speed: median days from first sighting to the takedown
	// request, and from the request to the removal, over the listings in
	// scope that got that far (0 when none did).
	DaysToRequest float64 `json:"median_days_to_request"`
	DaysToRemoval float64 `json:"median_days_to_removal"`
}

const dayMS = int64(24 * time.Hour / time.Millisecond)

// dashboardLimits: how many groups each table keeps (largest first).
var dashboardLimits = map[string]int{"mark": 50, "kind": 10, "site": 50, "seller": 20, "province": 40}

// Dashboard summarises the listings in scope from the tallies table (kept by
// triggers), so that it reads summary rows, not listings.
func (s *Store) Dashboard(ctx context.Context, f DashboardFilter) (*Dashboard, error) {
	d := &Dashboard{Filter: f}
	scan := func(q string, args []any) ([]Tally, error) {
		rows, err := s.read.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("store: dashboard: %w", err)
		}
		defer rows.Close()
		var out []Tally
		for rows.Next() {
			var t Tally
			if err := rows.Scan(&t.Value, &t.Listings, &t.Suspects, &t.Confirmed, &t.Dismissed, &t.Requested, &t.Removed); err != nil {
				return nil, fmt.Errorf("store: dashboard: %w", err)
			}
			out = append(out, t)
		}
		return out, rows.Err()
	}
	// Three sources, cheapest first: the day tallies (no run filter), the
	// run tallies (a run, no dates), the listings themselves (a run and
	// dates: a run's listings are few).
	const tallySums = `sum(listings), sum(suspects), sum(confirmed), sum(dismissed), sum(requested), sum(removed)`
	const listingSums = `count(*), sum(l.suspect), sum(l.status IN (` + confirmedStatuses + `)), sum(l.status = 'dismissed'),
		sum(l.status IN ('takedown_requested','removed','reappeared')), sum(l.status = 'removed')`
	listingWhere, listingArgs := f.listingWhere()
	var byDay, byDim func(dim string) (string, []any)
	switch {
	case f.Run == "":
		where, args := f.where()
		byDay = func(string) (string, []any) {
			return `SELECT day, ` + tallySums + ` FROM tallies WHERE dim = 'all'` + where + ` GROUP BY day ORDER BY day`, args
		}
		byDim = func(dim string) (string, []any) {
			return `SELECT value, ` + tallySums + ` FROM tallies WHERE dim = ?` + where + ` GROUP BY value`, append([]any{dim}, args...)
		}
	default:
		byDay = func(string) (string, []any) {
			return `SELECT l.first_seen / 86400000, ` + listingSums + ` FROM listings l WHERE 1` + listingWhere + ` GROUP BY 1 ORDER BY 1`, listingArgs
		}
		byDim = func(dim string) (string, []any) {
			expr := map[string]string{"mark": "l.mark", "kind": "l.kind", "site": "l.site", "province": "markwatch_province(l.ship_from)"}[dim]
			return `SELECT ` + expr + `, ` + listingSums + ` FROM listings l WHERE 1` + listingWhere + ` GROUP BY 1`, listingArgs
		}
		if f.From.IsZero() && f.To.IsZero() {
			byDim = func(dim string) (string, []any) {
				q := `SELECT value, ` + tallySums + ` FROM run_tallies WHERE dim = ? AND run = ?`
				args := []any{dim, f.Run}
				if f.Sweep != "" {
					q += ` AND EXISTS (SELECT 1 FROM runs WHERE id = ? AND sweep = ?)`
					args = append(args, f.Run, f.Sweep)
				}
				return q + ` GROUP BY value`, args
			}
		}
	}
	q, args := byDay("")
	days, err := scan(q, args)
	if err != nil {
		return nil, err
	}
	for i := range days {
		var day int64
		fmt.Sscan(days[i].Value, &day)
		days[i].Value = time.UnixMilli(day * dayMS).UTC().Format(time.DateOnly)
		t := &d.Totals
		t.Listings += days[i].Listings
		t.Suspects += days[i].Suspects
		t.Confirmed += days[i].Confirmed
		t.Dismissed += days[i].Dismissed
		t.Requested += days[i].Requested
		t.Removed += days[i].Removed
	}
	d.ByDay = days
	for _, dim := range []struct {
		name string
		dst  *[]Tally
	}{{"mark", &d.ByMark}, {"kind", &d.ByKind}, {"site", &d.BySite}, {"province", &d.ByProvince}} {
		q, args := byDim(dim.name)
		q = `SELECT * FROM (` + q + `) ORDER BY 3 DESC, 2 DESC, 1 LIMIT ?`
		rows, err := scan(q, append(args, dashboardLimits[dim.name]))
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if r.Listings > 0 {
				*dim.dst = append(*dim.dst, r)
			}
		}
	}
	if d.BySeller, err = s.topSellers(ctx, f); err != nil {
		return nil, err
	}
	if d.DaysToRequest, d.DaysToRemoval, err = s.takedownSpeed(ctx, f); err != nil {
		return nil, err
	}
	return d, nil
}

// where restricts the day tallies to the filter (sweep, days).
func (f DashboardFilter) where() (string, []any) {
	var conds []string
	var args []any
	if f.Sweep != "" {
		conds = append(conds, "sweep = ?")
		args = append(args, f.Sweep)
	}
	if !f.From.IsZero() {
		conds = append(conds, "day >= ?")
		args = append(args, f.From.UnixMilli()/dayMS)
	}
	if !f.To.IsZero() {
		conds = append(conds, "day < ?")
		args = append(args, (f.To.UnixMilli()+dayMS-1)/dayMS)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " AND " + strings.Join(conds, " AND "), args
}

// SellerCandidates bounds the sellers the dashboard counts in scope: the
// ones with the most suspects over all time.
const SellerCandidates = 200

// topSellers counts the candidate sellers' listings in scope exactly, by
// the seller index.
func (s *Store) topSellers(ctx context.Context, f DashboardFilter) ([]Tally, error) {
	where, args := f.listingWhere()
	rows, err := s.read.QueryContext(ctx, `SELECT l.seller, count(*), sum(l.suspect),
		sum(l.status IN (`+confirmedStatuses+`)), sum(l.status = 'dismissed'),
		sum(l.status IN ('takedown_requested','removed','reappeared')), sum(l.status = 'removed')
		FROM listings l WHERE l.seller IN (SELECT seller FROM seller_counts ORDER BY suspects DESC, seller LIMIT ?)`+where+`
		GROUP BY l.seller HAVING sum(l.suspect) > 0 ORDER BY 3 DESC, 2 DESC, l.seller LIMIT ?`,
		append(append([]any{SellerCandidates}, args...), dashboardLimits["seller"])...)
	if err != nil {
		return nil, fmt.Errorf("store: dashboard sellers: %w", err)
	}
	defer rows.Close()
	var out []Tally
	for rows.Next() {
		var t Tally
		if err := rows.Scan(&t.Value, &t.Listings, &t.Suspects, &t.Confirmed, &t.Dismissed, &t.Requested, &t.Removed); err != nil {
			return nil, fmt.Errorf("store: dashboard sellers: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// listingWhere is the filter on listings (alias l).
func (f DashboardFilter) listingWhere() (string, []any) {
	var conds []string
	var args []any
	if f.Run != "" {
		conds = append(conds, "l.last_run = ?")
		args = append(args, f.Run)
	}
	if f.Sweep != "" {
		conds = append(conds, "l.sweep = ?")
		args = append(args, f.Sweep)
	}
	if !f.From.IsZero() {
		conds = append(conds, "l.first_seen >= ?")
		args = append(args, f.From.UnixMilli()/dayMS*dayMS)
	}
	if !f.To.IsZero() {
		conds = append(conds, "l.first_seen < ?")
		args = append(args, (f.To.UnixMilli()+dayMS-1)/dayMS*dayMS)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " AND " + strings.Join(conds, " AND "), args
}

// takedownSpeed reads the takedown requests and removals recorded in the
// decisions of listings in scope.
func (s *Store) takedownSpeed(ctx context.Context, f DashboardFilter) (toRequest, toRemoval float64, err error) {
	where, args := f.listingWhere()
	// The first request per listing, and the first removal after it.
	q := `SELECT min(r.at) - l.first_seen,
		(SELECT min(m.at) FROM decisions m WHERE m.listing = l.id AND m.to_status = 'removed') - min(r.at)
		FROM decisions r JOIN listings l ON l.id = r.listing
		WHERE r.to_status = 'takedown_requested'` + where + ` GROUP BY l.id LIMIT 100000`
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, 0, fmt.Errorf("store: takedown speed: %w", err)
	}
	defer rows.Close()
	var req, rem []float64
	for rows.Next() {
		var a int64
		var b *int64
		if err := rows.Scan(&a, &b); err != nil {
			return 0, 0, fmt.Errorf("store: takedown speed: %w", err)
		}
		req = append(req, float64(a)/float64(dayMS))
		if b != nil && *b >= 0 {
			rem = append(rem, float64(*b)/float64(dayMS))
		}
	}
	return median(req), median(rem), rows.Err()
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}
