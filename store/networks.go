package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// NetworkLink is one stored reason two sellers of a network are linked.
type NetworkLink struct {
	A, B     [2]string // {site, seller}
	Via      string    // wechat, qq, phone, shop, image, name
	Value    string    // the shared handle, image hash or normalised name
	Listings [2]string // the listing ids that show it
	Texts    [2]string // what each listing said
}

// StoredNetwork is a seller network to store: its id, its sellers
// ({site, seller}, sorted), its links and its record at build time
// (Listings, Confirmed, Removed, FirstSeen, LastSeen of Summary).
type StoredNetwork struct {
	ID      string
	Sellers [][2]string
	Links   []NetworkLink
	Summary NetworkSummary
}

// networkPreview is how many sellers the network list shows per network.
const networkPreview = 6

// NetworkSummary is a stored network with its listings' record (the
// linkable ones: with a seller, suspect or reviewed).
type NetworkSummary struct {
	ID string
	// Sellers are {site, seller}, sorted: all of them for one network,
	// the first few in a list of networks (SellerCount has them all).
	Sellers     [][2]string
	SellerCount int
	Sites       []string
	Listings    int
	Confirmed   int // confirmed, takedown requested, removed or reappeared
	Removed     int
	FirstSeen   time.Time
	LastSeen    time.Time
}

// NetworksBuild describes the stored networks' last build.
type NetworksBuild struct {
	BuiltAt  time.Time
	Version  string // LinkableVersion when it was built
	Listings int    // listings read
	Networks int
}

// linkable is the condition on listings l that seller linking reads.
const linkable = `l.seller != '' AND (l.suspect = 1 OR l.status != 'new')`

// LinkableVersion changes whenever a listing is added, a verdict stored
// (a listing seen again, its text perhaps changed) or a status changed
// (every change is a decision row): the networks job rebuilds only when it
// differs from the last build's. Three index lookups, whatever the size.
func (s *Store) LinkableVersion(ctx context.Context) (string, error) {
	var listings, verdicts, decisions int64
	err := s.read.QueryRowContext(ctx, `SELECT (SELECT coalesce(max(rowid), 0) FROM listings),
		(SELECT coalesce(max(rowid), 0) FROM verdicts), (SELECT coalesce(max(id), 0) FROM decisions)`).Scan(&listings, &verdicts, &decisions)
	if err != nil {
		return "", fmt.Errorf("store: linkable version: %w", err)
	}
	return fmt.Sprintf("%d/%d/%d", listings, verdicts, decisions), nil
}

// ReplaceSellerNetworks stores nets as the current networks, replacing the
// previous build in one transaction (readers see the old or the new set).
func (s *Store) ReplaceSellerNetworks(ctx context.Context, nets []StoredNetwork, b NetworksBuild) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: replace seller networks: %w", err)
	}
	defer tx.Rollback()
	for _, q := range []string{`DELETE FROM seller_networks`, `DELETE FROM seller_network_links`, `DELETE FROM seller_network_summaries`} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("store: replace seller networks: %w", err)
		}
	}
	member, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO seller_networks (site, seller, network) VALUES (?,?,?)`)
	if err != nil {
		return fmt.Errorf("store: replace seller networks: %w", err)
	}
	defer member.Close()
	link, err := tx.PrepareContext(ctx, `INSERT INTO seller_network_links (network, a_site, a_seller, b_site, b_seller, via, value,
		a_listing, b_listing, a_text, b_text) VALUES (?,?,?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		return fmt.Errorf("store: replace seller networks: %w", err)
	}
	defer link.Close()
	summary, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO seller_network_summaries (network, sellers, sites, preview, listings,
		confirmed, removed, first_seen, last_seen) VALUES (?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		return fmt.Errorf("store: replace seller networks: %w", err)
	}
	defer summary.Close()
	for _, n := range nets {
		var sites []string
		for _, k := range n.Sellers {
			if !slices.Contains(sites, k[0]) {
				sites = append(sites, k[0])
			}
		}
		slices.Sort(sites)
		sitesJSON, _ := json.Marshal(sites)
		preview, _ := json.Marshal(n.Sellers[:min(len(n.Sellers), networkPreview)])
		sum := n.Summary
		if _, err := summary.ExecContext(ctx, n.ID, len(n.Sellers), string(sitesJSON), string(preview), sum.Listings, sum.Confirmed, sum.Removed,
			sum.FirstSeen.UnixMilli(), sum.LastSeen.UnixMilli()); err != nil {
			return fmt.Errorf("store: replace seller networks: %w", err)
		}
		for _, k := range n.Sellers {
			if _, err := member.ExecContext(ctx, k[0], k[1], n.ID); err != nil {
				return fmt.Errorf("store: replace seller networks: %w", err)
			}
		}
		for _, l := range n.Links {
			if _, err := link.ExecContext(ctx, n.ID, l.A[0], l.A[1], l.B[0], l.B[1], l.Via, l.Value, l.Listings[0], l.Listings[1],
				clip(l.Texts[0], 500), clip(l.Texts[1], 500)); err != nil {
				return fmt.Errorf("store: replace seller networks: %w", err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO seller_networks_build (id, built_at, version, listings, networks) VALUES (1,?,?,?,?)`,
		b.BuiltAt.UnixMilli(), b.Version, b.Listings, len(nets)); err != nil {
		return fmt.Errorf("store: replace seller networks: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: replace seller networks: %w", err)
	}
	return nil
}

// SellerNetworksBuild is the last build (zero BuiltAt: never built).
func (s *Store) SellerNetworksBuild(ctx context.Context) (NetworksBuild, error) {
	var b NetworksBuild
	var at int64
	err := s.read.QueryRowContext(ctx, `SELECT built_at, version, listings, networks FROM seller_networks_build WHERE id = 1`).
		Scan(&at, &b.Version, &b.Listings, &b.Networks)
	if errors.Is(err, sql.ErrNoRows) {
		return NetworksBuild{}, nil
	}
	if err != nil {
		return b, fmt.Errorf("store: seller networks build: %w", err)
	}
	b.BuiltAt = fromMS(at)
	return b, nil
}

// SellerNetworkPage lists stored networks as of their build, repeat
// offenders (by confirmed listings) first, then the larger ones: those
// with at least minConfirmed confirmed listings, limit from offset. It
// returns the page and how many networks qualify.
func (s *Store) SellerNetworkPage(ctx context.Context, minConfirmed, limit, offset int) ([]NetworkSummary, int, error) {
	var total int
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM seller_network_summaries WHERE confirmed >= ?`, minConfirmed).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: seller networks: %w", err)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT network, sellers, sites, preview, listings, confirmed, removed, first_seen, last_seen
		FROM seller_network_summaries WHERE confirmed >= ? ORDER BY confirmed DESC, sellers DESC, network LIMIT ? OFFSET ?`,
		minConfirmed, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("store: seller networks: %w", err)
	}
	defer rows.Close()
	var out []NetworkSummary
	for rows.Next() {
		var n NetworkSummary
		var sites, preview string
		var first, last int64
		if err := rows.Scan(&n.ID, &n.SellerCount, &sites, &preview, &n.Listings, &n.Confirmed, &n.Removed, &first, &last); err != nil {
			return nil, 0, fmt.Errorf("store: seller networks: %w", err)
		}
		if err := errors.Join(json.Unmarshal([]byte(sites), &n.Sites), json.Unmarshal([]byte(preview), &n.Sellers)); err != nil {
			return nil, 0, fmt.Errorf("store: seller network %s: %w", n.ID, err)
		}
		n.FirstSeen, n.LastSeen = fromMS(first), fromMS(last)
		out = append(out, n)
	}
	return out, total, rows.Err()
}

// SellerNetwork reads stored network id with all its sellers and its
// listings' record counted now. ok is false when there is no such network.
func (s *Store) SellerNetwork(ctx context.Context, id string) (n NetworkSummary, ok bool, err error) {
	n.ID = id
	rows, err := s.read.QueryContext(ctx, `SELECT site, seller FROM seller_networks WHERE network = ? ORDER BY site, seller`, id)
	if err != nil {
		return n, false, fmt.Errorf("store: seller network: %w", err)
	}
	for rows.Next() {
		var site, seller string
		if err := rows.Scan(&site, &seller); err != nil {
			rows.Close()
			return n, false, fmt.Errorf("store: seller network: %w", err)
		}
		n.Sellers = append(n.Sellers, [2]string{site, seller})
		if len(n.Sites) == 0 || n.Sites[len(n.Sites)-1] != site {
			n.Sites = append(n.Sites, site)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return n, false, fmt.Errorf("store: seller network: %w", err)
	}
	if len(n.Sellers) == 0 {
		return n, false, nil
	}
	n.SellerCount = len(n.Sellers)
	var first, last int64
	err = s.read.QueryRowContext(ctx, `SELECT count(*),
		coalesce(sum(l.status IN ('confirmed', 'takedown_requested', 'removed', 'reappeared')), 0), coalesce(sum(l.status = 'removed'), 0),
		coalesce(min(l.first_seen), 0), coalesce(max(l.last_seen), 0)
		FROM seller_networks n JOIN listings l ON l.seller = n.seller AND l.site = n.site
		WHERE n.network = ? AND `+linkable, id).Scan(&n.Listings, &n.Confirmed, &n.Removed, &first, &last)
	if err != nil {
		return n, false, fmt.Errorf("store: seller network: %w", err)
	}
	n.FirstSeen, n.LastSeen = fromMS(first), fromMS(last)
	return n, true, nil
}

// SellerNetworkLinks lists the stored links of network id.
func (s *Store) SellerNetworkLinks(ctx context.Context, id string) ([]NetworkLink, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT a_site, a_seller, b_site, b_seller, via, value, a_listing, b_listing, a_text, b_text
		FROM seller_network_links WHERE network = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("store: seller network links: %w", err)
	}
	defer rows.Close()
	var out []NetworkLink
	for rows.Next() {
		var l NetworkLink
		if err := rows.Scan(&l.A[0], &l.A[1], &l.B[0], &l.B[1], &l.Via, &l.Value, &l.Listings[0], &l.Listings[1], &l.Texts[0], &l.Texts[1]); err != nil {
			return nil, fmt.Errorf("store: seller network links: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// NetworkListings lists up to limit linkable listings of network id's
// sellers, highest score first.
func (s *Store) NetworkListings(ctx context.Context, id string, limit int) ([]Row, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+rowColumns+` FROM seller_networks n
		JOIN listings l ON l.seller = n.seller AND l.site = n.site
		WHERE n.network = ? AND `+linkable+` ORDER BY l.score DESC, l.id DESC LIMIT ?`, id, limit)
	if err != nil {
		return nil, fmt.Errorf("store: network listings: %w", err)
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return nil, fmt.Errorf("store: network listings: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
