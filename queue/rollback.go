package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Counters that cannot silently roll back. On one Redis server, or under
// Sentinel, a failover to a lagging replica (or a restart from an old
// snapshot) takes a run's accounting back together with its queue, its
// seeds record and the findings stream, so nothing inside Redis can tell:
// the run may then look finished with work that was done and stored
// missing from its counters (e.g. seeds added and crawled after the point
// it went back to). The findings consumer's store is outside Redis and
// keeps what it has seen (the distinct tasks whose findings it stored), so
// it checks a run that looks finished against that and, when the frontier
// accounts for fewer tasks than the store already holds, writes a
// Rollback marker here (SetRollback). Stats reports the marker and a
// marked run is not finished. The store re-writes the marker on every
// check while the shortfall lasts, so a marker lost in a later rollback
// comes back, and clears it once the run accounts for what was stored
// (seeded again and crawled through).
//
//	mw:{r:RUN}:rollback   string  JSON Rollback; expires with the run

// Rollback says that a run's accounting went backwards.
type Rollback struct {
	// Done is the frontier's settled tasks (done + dead + cancelled) when
	// the store checked; Stored is the distinct tasks whose findings the
	// store already holds for the run.
	Done   int64 `json:"done"`
	Stored int64 `json:"stored"`
	// At is when the store last checked (its clock).
	At time.Time `json:"at"`
}

// String is the line `queue stats` prints.
func (b Rollback) String() string {
	return fmt.Sprintf("rolled back: frontier done %d < %d pages already stored by serve (seed the run again)", b.Done, b.Stored)
}

func runRollbackKey(run string) string { return keyPrefix + "{r:" + run + "}:rollback" }

// SetRollback writes (b non-nil) or clears (b nil) the rollback marker of
// run.
func (r *Redis) SetRollback(ctx context.Context, run string, b *Rollback) error {
	key := runRollbackKey(run)
	if b == nil {
		if err := r.client.Del(ctx, key).Err(); err != nil {
			return fmt.Errorf("queue: clear the rollback marker of run %s: %w", run, err)
		}
		return nil
	}
	v, err := json.Marshal(b)
	if err != nil {
		return err
	}
	if err := r.client.Set(ctx, key, v, r.opts.RunTTL).Err(); err != nil {
		return fmt.Errorf("queue: mark run %s rolled back: %w", run, err)
	}
	return nil
}

// rollback reads the rollback marker of run (nil: none).
func (r *Redis) rollback(ctx context.Context, run string) (*Rollback, error) {
	v, err := r.client.Get(ctx, runRollbackKey(run)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("queue: rollback marker of run %s: %w", run, err)
	}
	var b Rollback
	if err := json.Unmarshal(v, &b); err != nil {
		return nil, fmt.Errorf("queue: rollback marker of run %s: %w", run, err)
	}
	return &b, nil
}
