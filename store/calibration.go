package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// Calibration is what the team's own decisions say about the verdicts:
// the precision (share confirmed among confirmed + dismissed) of every
// signal, every combination of signals, and every score band.
type Calibration struct {
	Confirmed int `json:"confirmed"` // confirmed, takedown requested, removed or reappeared
	Dismissed int `json:"dismissed"`
	// Prior is the overall precision.
	Prior float64 `json:"prior"`
	// Enough: at least MinDecided decided listings, MinEach of each kind.
	Enough  bool         `json:"enough"`
	Signals []Precision  `json:"signals"` // by signal type (a listing counts for each of its types)
	Keys    []Precision  `json:"keys"`    // by combination of signal types ("" = none)
	Bands   []Precision  `json:"bands"`   // by score band: "0.9–1.0" …
	Applied []AppliedKey `json:"applied,omitempty"`
}

// Precision is one group's decisions.
type Precision struct {
	Group     string  `json:"group"`
	Confirmed int     `json:"confirmed"`
	Dismissed int     `json:"dismissed"`
	Precision float64 `json:"precision"` // Confirmed / (Confirmed + Dismissed); 0 with no decision
	// Likelihood is the precision smoothed toward the prior (a Beta prior
	// worth Smoothing decisions), what the queue ranks by.
	Likelihood float64 `json:"likelihood"`
}

// AppliedKey is a likelihood the queue currently ranks by.
type AppliedKey struct {
	Key        string  `json:"key"`
	Likelihood float64 `json:"likelihood"`
}

const (
	// MinDecided and MinEach: calibration is trusted (and may be applied)
	// once the team has decided this many listings, with at least MinEach
	// confirmed and MinEach dismissed.
	MinDecided = 50
	MinEach    = 10
	// Smoothing is the weight of the prior, in decisions.
	Smoothing = 5.0
)

const confirmedStatuses = `'confirmed','takedown_requested','removed','reappeared'`

// Calibrate computes the calibration from every decided listing.
func (s *Store) Calibrate(ctx context.Context) (*Calibration, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT signal_key, min(CAST(score * 10 AS INTEGER), 9),
		sum(status IN (`+confirmedStatuses+`)), sum(status = 'dismissed')
		FROM listings WHERE status IN (`+confirmedStatuses+`, 'dismissed') GROUP BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("store: calibrate: %w", err)
	}
	defer rows.Close()
	c := &Calibration{}
	keys, types, bands := map[string]*Precision{}, map[string]*Precision{}, map[string]*Precision{}
	get := func(m map[string]*Precision, g string) *Precision {
		if m[g] == nil {
			m[g] = &Precision{Group: g}
		}
		return m[g]
	}
	for rows.Next() {
		var key string
		var band, yes, no int
		if err := rows.Scan(&key, &band, &yes, &no); err != nil {
			return nil, fmt.Errorf("store: calibrate: %w", err)
		}
		c.Confirmed += yes
		c.Dismissed += no
		for _, p := range []*Precision{get(keys, key), get(bands, fmt.Sprintf("%.1f–%.1f", float64(max(band, 0))/10, float64(max(band, 0)+1)/10))} {
			p.Confirmed += yes
			p.Dismissed += no
		}
		if key != "" {
			for _, t := range strings.Split(key, ",") {
				p := get(types, t)
				p.Confirmed += yes
				p.Dismissed += no
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: calibrate: %w", err)
	}
	if n := c.Confirmed + c.Dismissed; n > 0 {
		c.Prior = float64(c.Confirmed) / float64(n)
	}
	c.Enough = c.Confirmed+c.Dismissed >= MinDecided && c.Confirmed >= MinEach && c.Dismissed >= MinEach
	list := func(m map[string]*Precision, byGroup bool) []Precision {
		out := make([]Precision, 0, len(m))
		for _, p := range m {
			if n := p.Confirmed + p.Dismissed; n > 0 {
				p.Precision = float64(p.Confirmed) / float64(n)
			}
			p.Likelihood = (float64(p.Confirmed) + Smoothing*c.Prior) / (float64(p.Confirmed+p.Dismissed) + Smoothing)
			out = append(out, *p)
		}
		sort.Slice(out, func(i, j int) bool {
			if byGroup {
				return out[i].Group > out[j].Group
			}
			return out[i].Likelihood > out[j].Likelihood || out[i].Likelihood == out[j].Likelihood && out[i].Group < out[j].Group
		})
		return out
	}
	c.Signals, c.Keys, c.Bands = list(types, false), list(keys, false), list(bands, true)
	arows, err := s.read.QueryContext(ctx, `SELECT key, likelihood FROM calibration ORDER BY likelihood DESC, key`)
	if err != nil {
		return nil, fmt.Errorf("store: calibrate: %w", err)
	}
	defer arows.Close()
	for arows.Next() {
		var a AppliedKey
		if err := arows.Scan(&a.Key, &a.Likelihood); err != nil {
			return nil, fmt.Errorf("store: calibrate: %w", err)
		}
		c.Applied = append(c.Applied, a)
	}
	return c, arows.Err()
}

// keyLikelihood is the likelihood of a signal combination: its own
// smoothed precision when the team decided some of it, else the best of its
// signals' (a combination is at least as telling as its strongest part),
// else the prior.
func (c *Calibration) keyLikelihood(key string) float64 {
	for _, p := range c.Keys {
		if p.Group == key && p.Confirmed+p.Dismissed > 0 {
			return p.Likelihood
		}
	}
	best, found := 0.0, false
	for _, t := range strings.Split(key, ",") {
		for _, p := range c.Signals {
			if p.Group == t {
				best, found = max(best, p.Likelihood), true
			}
		}
	}
	if found {
		return best
	}
	return c.Prior
}

// ApplyCalibration stores the likelihood of every signal combination in
// the store and re-ranks every listing by it: the queue then orders by
// calibrated likelihood (score breaking ties). It refuses while the team
// has decided too few listings. Audited.
func (s *Store) ApplyCalibration(ctx context.Context, actor string) (*Calibration, error) {
	c, err := s.Calibrate(ctx)
	if err != nil {
		return nil, err
	}
	if !c.Enough {
		return nil, fmt.Errorf("%w: calibration needs %d decided listings, %d confirmed and %d dismissed at least (have %d and %d)",
			ErrInvalid, MinDecided, MinEach, MinEach, c.Confirmed, c.Dismissed)
	}
	keys, err := s.strings(ctx, `SELECT DISTINCT signal_key FROM listings`)
	if err != nil {
		return nil, err
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: apply calibration: %w", err)
	}
	defer tx.Rollback()
	now := s.now().UnixMilli()
	if _, err := tx.ExecContext(ctx, `DELETE FROM calibration`); err != nil {
		return nil, fmt.Errorf("store: apply calibration: %w", err)
	}
	var detail []string
	for _, key := range keys {
		var yes, no int
		for _, p := range c.Keys {
			if p.Group == key {
				yes, no = p.Confirmed, p.Dismissed
			}
		}
		l := c.keyLikelihood(key)
		if _, err := tx.ExecContext(ctx, `INSERT INTO calibration (key, likelihood, confirmed, dismissed, applied_at) VALUES (?,?,?,?,?)`,
			key, l, yes, no, now); err != nil {
			return nil, fmt.Errorf("store: apply calibration: %w", err)
		}
		detail = append(detail, fmt.Sprintf("%q=%.3f", key, l))
	}
	if _, err := tx.ExecContext(ctx, `UPDATE listings SET likelihood = coalesce((SELECT likelihood FROM calibration c WHERE c.key = listings.signal_key), -1)`); err != nil {
		return nil, fmt.Errorf("store: apply calibration: %w", err)
	}
	if err := audit(ctx, tx, now, actor, "apply_calibration", fmt.Sprintf("%d signal combinations", len(keys)),
		fmt.Sprintf("from %d confirmed, %d dismissed: %s", c.Confirmed, c.Dismissed, strings.Join(detail, " "))); err != nil {
		return nil, fmt.Errorf("store: apply calibration: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: apply calibration: %w", err)
	}
	return s.Calibrate(ctx)
}
