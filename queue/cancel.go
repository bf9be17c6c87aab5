package queue

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Cancellation: an operator stops a sweep run (`markwatch sweep cancel`).
// The run's queued and delayed tasks are dropped and counted in
// RunStats.Cancelled; its leased tasks are left to finish (their acks count
// as done as usual), so the run is finished once they are acked. From then
// on the run takes no new work: Add drops its tasks (the next search pages
// and item pages its leased tasks discover), and a leased task that is
// released, recovered after its lease expired, or nacked for a retry is
// dropped instead of being queued again. Dead letters of the run stay
// dead; Requeue leaves them.
//
// A run spans sites and every script is single-slot, so CancelRun first
// marks the run cancelled in its own slot (mw:{r:RUN}:meta, field
// "cancelled"), then runs cancelScript on each of the run's sites: it sets
// RUN·cancelled in the site's runs hash, which every script that queues a
// task checks, and removes the run's undelivered stream entries and
// delayed members a bounded slice per call (so that a huge run does not
// block Redis). Two races are closed:
//
//   - A task added to a site between the flag and the sweep of that site's
//     stream is dropped by the lease script when it meets it.
//   - An Add on a site the run did not have yet: Add registers the site in
//     mw:{r:RUN}:sites and reads the meta's "cancelled" in one pipeline on
//     the run's slot. Either the registration came first, and CancelRun
//     (which marks the meta, then lists the sites) flags that site, or it
//     came after the mark, and Add sees it and drops the tasks itself.

// cancelBudget bounds the entries one cancelScript call looks at (about
// 5 ms of Redis time); Redis.cancelBudget is it, changed only by tests.
const cancelBudget = 5000

// cancelDone is cancelScript's last step.
const cancelDone = 17

// CancelRun drops the queued and delayed tasks of run and stops it taking
// new ones; leased tasks finish. It returns how many tasks it dropped.
// Cancelling a run again, or a run the frontier does not know, drops
// nothing and is not an error (the run is refused from then on).
func (r *Redis) CancelRun(ctx context.Context, run string) (int, error) {
	if err := checkName("run", run); err != nil {
		return 0, fmt.Errorf("queue: cancel run: %w", err)
	}
	now := ms(r.opts.Now())
	meta := runMetaKey(run)
	var sites *redis.StringSliceCmd
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HSetNX(ctx, meta, "cancelled", now)
		p.PExpire(ctx, meta, r.opts.RunTTL)
		sites = p.SMembers(ctx, runSitesKey(run))
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("queue: cancel run %s: %w", run, err)
	}
	r.mu.Lock()
	r.cancelled[run] = true
	r.mu.Unlock()
	total := 0
	for _, site := range sites.Val() {
		k := r.siteKeys(site)
		keys := append([]string{k.runs, k.delayed}, k.allStreams()...)
		step, cursor := 0, ""
		for step < cancelDone {
			res, err := cancelScript.Run(ctx, r.client, keys, now, run, step, cursor, r.cancelBudget).Slice()
			if err != nil {
				return total, fmt.Errorf("queue: cancel run %s on site %s: %w", run, site, err)
			}
			if len(res) != 3 {
				return total, fmt.Errorf("queue: cancel run %s on site %s: reply %v", run, site, res)
			}
			n, _ := res[0].(int64)
			next, _ := res[1].(int64)
			cursor, _ = res[2].(string)
			total += int(n)
			step = int(next)
		}
	}
	r.opts.Logger.Info("run cancelled", "run", run, "sites", len(sites.Val()), "dropped", total)
	return total, nil
}
