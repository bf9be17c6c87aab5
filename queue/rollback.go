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
// keeps what it has seen (the distinct pages whose findings it stored, the
// highest done it read), checks each run against that (RollbackOf) and,
// when the frontier accounts for less than it already saw, writes a
// Rollback marker here (SetRollback). Stats reports the marker, and a
// marked run is not finished. The store writes the marker again on every
// check while the shortfall lasts, so a marker lost in a later rollback
// comes back, and clears it once the run accounts for what was seen
// (seeded again and crawled through).
//
//	mw:{r:RUN}:rollback   string  JSON Rollback; expires with the run

// Rollback says that a run's accounting went backwards.
type Rollback struct {
	// Done is the frontier's done when the store checked (done + dead +
	// cancelled when compared with Stored).
	Done int64 `json:"done"`
	// SeenDone, when above Done, is the highest done the store saw
	// before: done never decreases otherwise.
	SeenDone int64 `json:"seen_done,omitempty"`
	// Stored is the distinct pages whose findings the store holds for the
	// run (compared only once nothing is queued or leased).
	Stored int64 `json:"stored"`
	// At is when the store last checked (its clock).
	At time.Time `json:"at"`
}

// RollbackOf compares a run's accounting with what the findings store saw
// of it: seenDone, the highest done it saw before, and stored, the
// distinct pages whose findings it holds (negative: not counted). A run
// whose done is below seenDone went back; so did a run with nothing
// queued or leased whose done + dead + cancelled is below stored (each
// stored page was a task of the run, queued once per run: dedup); a run
// already marked stays so, seeded again or not, until it accounts for
// stored. It returns nil when none holds. (Pages without findings are never
// stored, so the second check only sees a rollback of more pages with
// findings than the run has settled pages without.)
func RollbackOf(st RunStats, seenDone, stored int64) *Rollback {
	if st.Done < seenDone {
		return &Rollback{Done: st.Done, SeenDone: seenDone, Stored: max(stored, 0)}
	}
	settledRun := st.Queued <= 0 && st.Leased <= 0
	if settled := st.Done + st.Dead + st.Cancelled; (settledRun || st.RolledBack != nil) && settled < stored {
		return &Rollback{Done: settled, Stored: stored}
	}
	return nil
}

// String is the line `queue stats` prints.
func (b Rollback) String() string {
	if b.SeenDone > b.Done {
		return fmt.Sprintf("rolled back: frontier done %d < %d seen by serve before (seed the run again)", b.Done, b.SeenDone)
	}
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
