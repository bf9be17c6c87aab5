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
	// Enough: at least MinDecided decided listings, MinEach of each kind;
	// the queue's default order is then the likelihood.
	Enough  bool        `json:"enough"`
	Signals []Precision `json:"signals"` // by signal type (a listing counts for each of its types)
	Keys    []Precision `json:"keys"`    // by combination of signal types ("" = none)
	Bands   []Precision `json:"bands"`   // by score band: "0.9–1.0" …
	// Ranking is every signal combination in the store by likelihood, most
	// likely first: the queue's order (live, from every decision so far).
	Ranking []KeyLikelihood `json:"ranking"`
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

// KeyLikelihood is the likelihood of a signal combination.
type KeyLikelihood struct {
	Key        string  `json:"key"`
	Likelihood float64 `json:"likelihood"`
}

const (
	// MinDecided and MinEach: calibration is trusted (and orders the queue by default)
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
	c, err := s.calibrationFrom(ctx, `SELECT signal_key, max(min(CAST(score * 10 AS INTEGER), 9), 0),
		sum(status IN (`+confirmedStatuses+`)), sum(status = 'dismissed')
		FROM listings WHERE status IN (`+confirmedStatuses+`, 'dismissed') GROUP BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("store: calibrate: %w", err)
	}
	return c, nil
}

// calibrationFrom computes a calibration, with the ranking of every
// signal combination in the store, from decision counts: rows of signal
// combination, score band (-1 for none), confirmed and dismissed.
func (s *Store) calibrationFrom(ctx context.Context, q string) (*Calibration, error) {
	rows, err := s.read.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var counts []keyCount
	for rows.Next() {
		var k keyCount
		if err := rows.Scan(&k.key, &k.band, &k.yes, &k.no); err != nil {
			return nil, err
		}
		counts = append(counts, k)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	c := calibrationOf(counts)
	keys, err := s.signalKeys(ctx)
	if err != nil {
		return nil, err
	}
	c.Ranking = c.rank(keys)
	return c, nil
}

// keyCount is the decided listings of one signal combination (and score
// band; -1 for none).
type keyCount struct {
	key     string
	band    int
	yes, no int
}

// calibrationOf computes precisions and likelihoods from decision counts.
func calibrationOf(counts []keyCount) *Calibration {
	c := &Calibration{}
	keys, types, bands := map[string]*Precision{}, map[string]*Precision{}, map[string]*Precision{}
	get := func(m map[string]*Precision, g string) *Precision {
		if m[g] == nil {
			m[g] = &Precision{Group: g}
		}
		return m[g]
	}
	for _, k := range counts {
		c.Confirmed += k.yes
		c.Dismissed += k.no
		groups := []*Precision{get(keys, k.key)}
		if k.band >= 0 {
			groups = append(groups, get(bands, fmt.Sprintf("%.1f–%.1f", float64(k.band)/10, float64(k.band+1)/10)))
		}
		if k.key != "" {
			for _, t := range strings.Split(k.key, ",") {
				groups = append(groups, get(types, t))
			}
		}
		for _, p := range groups {
			p.Confirmed += k.yes
			p.Dismissed += k.no
		}
	}
	if n := c.Confirmed + c.Dismissed; n > 0 {
		c.Prior = float64(c.Confirmed) / float64(n)
	}
	c.Enough = c.Confirmed+c.Dismissed >= MinDecided && c.Confirmed >= MinEach && c.Dismissed >= MinEach
	list := func(m map[string]*Precision, byGroup bool) []Precision {
		out := make([]Precision, 0, len(m))
		for _, p := range m {
			if p.Confirmed+p.Dismissed <= 0 {
				continue // counted once, undone since
			}
			p.Precision = float64(p.Confirmed) / float64(p.Confirmed+p.Dismissed)
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
	return c
}

// rank orders signal combinations by likelihood, most likely first (the
// combination's name breaks ties, so the order is total).
func (c *Calibration) rank(keys []string) []KeyLikelihood {
	out := make([]KeyLikelihood, 0, len(keys))
	for _, k := range keys {
		out = append(out, KeyLikelihood{Key: k, Likelihood: c.keyLikelihood(k)})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Likelihood > out[j].Likelihood || out[i].Likelihood == out[j].Likelihood && out[i].Key < out[j].Key
	})
	return out
}

// Ranking is the live calibration the queue ranks by: from the decision
// counts per signal combination that the store keeps as decisions are made
// (table key_decisions), so it costs one small read per request whatever
// the number of listings.
type Ranking struct {
	Confirmed, Dismissed int
	// Enough: the default queue order is the likelihood (else the shipped
	// score).
	Enough bool
	// Keys is every signal combination in the store, most likely first.
	Keys []KeyLikelihood
}

// Ranking returns the live ranking of signal combinations.
func (s *Store) Ranking(ctx context.Context) (*Ranking, error) {
	c, err := s.calibrationFrom(ctx, `SELECT key, -1, confirmed, dismissed FROM key_decisions WHERE confirmed + dismissed > 0`)
	if err != nil {
		return nil, fmt.Errorf("store: ranking: %w", err)
	}
	return &Ranking{Confirmed: c.Confirmed, Dismissed: c.Dismissed, Enough: c.Enough, Keys: c.Ranking}, nil
}

// maxSignalKeys bounds the signal combinations read (types of signal are
// few, so their combinations in real findings are too).
const maxSignalKeys = 4096

// signalKeys lists the distinct signal combinations of the listings: a
// loose scan of the listings_key_queue index, one seek per combination.
func (s *Store) signalKeys(ctx context.Context) ([]string, error) {
	keys, err := s.strings(ctx, `WITH RECURSIVE v(x) AS (SELECT min(signal_key) FROM listings
		UNION ALL SELECT (SELECT min(signal_key) FROM listings WHERE signal_key > v.x) FROM v WHERE v.x IS NOT NULL)
		SELECT x FROM v WHERE x IS NOT NULL LIMIT ?`, maxSignalKeys)
	if err != nil {
		return nil, fmt.Errorf("store: signal keys: %w", err)
	}
	return keys, nil
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
