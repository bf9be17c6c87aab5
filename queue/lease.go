package queue

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/redis/go-redis/v9"
)

// Leasing: Lease walks the known sites (highest priority band first, equal
// sites in a random rotation) and runs leaseScript on each until it has
// enough tasks. leaseScript (scripts.go) forwards the site's due delayed
// tasks, takes tokens from the site's fleet-wide bucket and reads new
// entries with XREADGROUP, highest band first, in one atomic step. A site
// whose bucket is empty is skipped (and counted in
// markwatch_queue_rate_limited_total), so the worker gets another site's
// work instead of waiting with a task it may not fetch yet.

// noteSites makes the next Lease reload the site list when a site is new to
// this process.
func (r *Redis) noteSites(site string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.sites {
		if s.name == site {
			return
		}
	}
	r.sitesAt = time.Time{}
}

// siteList returns the known sites, highest band first, ties in a random
// rotation so that workers spread over equal sites. It is reloaded from
// Redis at most once a second.
func (r *Redis) siteList(ctx context.Context) ([]siteOrder, error) {
	r.mu.Lock()
	fresh := time.Since(r.sitesAt) < time.Second
	sites := r.sites
	r.mu.Unlock()
	if !fresh {
		zs, err := r.client.ZRangeWithScores(ctx, sitesKey, 0, -1).Result()
		if err != nil {
			return nil, fmt.Errorf("queue: list sites: %w", err)
		}
		sites = make([]siteOrder, len(zs))
		for i, z := range zs {
			sites[i] = siteOrder{name: z.Member.(string), band: int(z.Score)}
		}
		r.mu.Lock()
		r.sites, r.sitesAt = sites, time.Now()
		r.mu.Unlock()
	}
	out := append([]siteOrder(nil), sites...)
	if len(out) > 1 {
		shift := rand.IntN(len(out))
		out = append(out[shift:], out[:shift]...)
		sort.SliceStable(out, func(i, j int) bool { return out[i].band > out[j].band })
	}
	return out, nil
}

// Lease implements Frontier. Sites are tried in order (see siteList); a
// site whose token bucket is empty is skipped, so the caller gets other
// sites' work instead of waiting with a task it may not fetch yet.
func (r *Redis) Lease(ctx context.Context, want int) ([]markwatch.Task, error) {
	if want <= 0 {
		return nil, nil
	}
	if err := r.maybeRecover(ctx); err != nil {
		r.opts.Logger.Warn("recover expired leases", "err", err)
	}
	sites, err := r.siteList(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]markwatch.Task, 0, min(want, 1024))
	now := r.opts.Now()
	for _, s := range sites {
		if len(out) >= want {
			break
		}
		if r.skipping(s.name) {
			continue
		}
		before := len(out)
		var wait time.Duration
		var err error
		out, wait, err = r.leaseSite(ctx, out, s.name, want-len(out), now)
		if err != nil {
			return out, err
		}
		switch {
		case wait > 0:
			r.skip(s.name, wait)
		case len(out) == before:
			r.skip(s.name, emptySkip)
		}
	}
	return out, nil
}

// emptySkip is how long this process skips a site that had nothing ready,
// so that a fleet leasing from many mostly idle sites does not run a
// script per site per Lease. Work this process adds, nacks, releases or
// recovers on the site ends the skip at once; other processes' work is
// seen at most emptySkip later.
const emptySkip = 100 * time.Millisecond

func (r *Redis) skipping(site string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return time.Now().Before(r.skipUntil[site])
}

func (r *Redis) skip(site string, d time.Duration) {
	r.mu.Lock()
	r.skipUntil[site] = time.Now().Add(d)
	r.mu.Unlock()
}

// wake ends the skip of sites (all sites when none is named).
func (r *Redis) wake(sites ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(sites) == 0 {
		clear(r.skipUntil)
		return
	}
	for _, s := range sites {
		delete(r.skipUntil, s)
	}
}

// leaseRecordFor is how long a lease request's record is kept: longer
// than the client can go on repeating the request (its failover budget,
// twice over for a write that confirmed repeats through the client, and
// go-redis' own retries).
func leaseRecordFor(c redis.UniversalClient) time.Duration {
	return 2*FailoverBudget(c) + 30*time.Second
}

// leaseSite leases up to want tasks from one site, appended to out; a
// positive wait means its token bucket was empty and says when the next
// token comes.
func (r *Redis) leaseSite(ctx context.Context, out []markwatch.Task, site string, want int, now time.Time) ([]markwatch.Task, time.Duration, error) {
	k := r.siteKeys(site)
	limit := r.opts.Limit(site)
	// The request's record (scripts.go): every run of this one lease, the
	// client's retries through a failover included, gets the same tasks.
	keys := append(append(make([]string, 0, 20), k.runs, k.delayed, k.bucket), k.allStreams()...)
	keys = append(keys, k.leaseRequest())
	keep := leaseRecordFor(r.client).Milliseconds()
	var res []any
	err := confirmed(ctx, r.client, k.runs, func(ctx context.Context, c redis.Cmdable) (bool, error) {
		var err error
		res, err = leaseScript.Run(ctx, c, keys, ms(now), want, r.opts.Consumer, limit.Rate, limit.burst(), keep).Slice()
		return len(res) > 4, err // {0, band, id, run, payload, …}: something was leased
	})
	unconfirmed := errors.Is(err, errUnconfirmed)
	if err != nil && !unconfirmed {
		return out, 0, fmt.Errorf("queue: lease from site %s: %w", site, err)
	}
	before := len(out)
	if len(res) == 0 {
		return out, 0, fmt.Errorf("queue: lease from site %s: empty reply", site)
	}
	if status, _ := res[0].(int64); status == -1 || status == -2 {
		if status == -1 {
			r.opts.Metrics.rateLimited(site)
		}
		wait := time.Millisecond
		if len(res) > 1 {
			if w, _ := res[1].(int64); w > 0 {
				wait = time.Duration(w) * time.Millisecond
			}
		}
		return out, wait, nil
	}
	for i := 1; i+3 < len(res); i += 4 {
		b, _ := res[i].(int64)
		id, _ := res[i+1].(string)
		run, _ := res[i+2].(string)
		payload, _ := res[i+3].(string)
		t, err := decodeTask(site, run, taskID(int(b), id), payload)
		if err != nil {
			// A task that cannot be decoded can never be run: dead-letter
			// it so that it is visible, rather than lose it or loop on it.
			t = markwatch.Task{ID: taskID(int(b), id), Run: run, Site: site, Kind: "unknown"}
			r.opts.Logger.Error("undecodable task dead-lettered", "site", site, "run", run, "task", t.ID, "err", err)
			if nerr := r.nack(ctx, t, payload, err, false, 0); nerr != nil {
				r.opts.Logger.Error("dead-letter undecodable task", "site", site, "task", t.ID, "err", nerr)
			}
			continue
		}
		out = append(out, t)
	}
	if unconfirmed && len(out) > before {
		// The master may have died with these leases: keep only those the
		// master holds now (after the failover), so that no page is
		// fetched by two workers. The others are not leased there and go
		// to whoever leases next.
		got := out[before:]
		kept, err := r.held(ctx, got)
		if err != nil {
			// Given up, they may still be leased to this consumer on the
			// promoted master: give them back (only those it holds), so
			// that they are leasable at once rather than when their lease
			// expires.
			rerr := r.Release(ctx, got...) // ErrLeaseLost: not held, the fleet has them
			r.opts.Logger.Warn("leases not confirmed before a failover; giving them up", "site", site, "tasks", len(got), "err", err, "release_err", rerr)
			kept = nil
		} else if len(kept) < len(got) {
			r.opts.Logger.Warn("leases lost in a failover; left to the fleet", "site", site, "lost", len(got)-len(kept), "kept", len(kept))
		}
		out = append(out[:before], kept...)
	}
	return out, 0, nil
}
