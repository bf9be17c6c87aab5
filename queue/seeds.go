package queue

import (
	"context"
	"fmt"
	"strings"

	"github.com/markwatch/markwatch"
	"github.com/redis/go-redis/v9"
)

// Seeds that cannot silently vanish. A run's seed tasks (search page 1 of
// each query: what enqueue, the scheduler and `sweep run` add; workers
// never add a first page) are written durably (durable.go) and recorded a
// second time in the run's own slot: mw:{r:RUN}:seeds holds SITE·HASH for
// each seed's dedup hash. A seed's task and its dedup hash are written by
// one script on the site's master, so they survive or vanish together;
// Stats looks every recorded seed up in its site's dedup set, and a seed
// missing there was rolled back with a master that died before its
// replica had it. Such a run reports LostSeeds and is not finished, and
// seeding it again (idempotent: the surviving seeds are dropped as
// duplicates) puts the lost ones back. A run whose counters went backwards
// with its site's slot (the "finished with 0 dead") is caught the
// same way, since its seeds went with them.

// isSeed says whether a task is a run's seed.
func isSeed(t *markwatch.Task) bool { return t.Kind == markwatch.KindSearch && t.Page <= 1 }

func runSeedsKey(run string) string { return keyPrefix + "{r:" + run + "}:seeds" }

type seedGroup struct {
	site, run string
	hashes    []string
}

// seedsScript records seeds of a run.
//
//	KEYS[1] the run's seeds set   ARGV[1] TTL (ms)   ARGV[2..] SITE·HASH members
//	returns the number of new members
var seedsScript = redis.NewScript(`
local n = redis.call('SADD', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return n
`)

// recordSeeds records seeds in their runs' seeds sets, durably.
func (r *Redis) recordSeeds(ctx context.Context, groups []seedGroup) error {
	byRun := map[string][]any{}
	var runs []string
	for _, g := range groups {
		if _, ok := byRun[g.run]; !ok {
			runs = append(runs, g.run)
			byRun[g.run] = []any{r.opts.RunTTL.Milliseconds()}
		}
		for _, h := range g.hashes {
			byRun[g.run] = append(byRun[g.run], g.site+sep+h)
		}
	}
	for _, run := range runs {
		key := runSeedsKey(run)
		args := byRun[run]
		for from := 1; from < len(args); from += addChunk {
			chunk := append([]any{args[0]}, args[from:min(len(args), from+addChunk)]...)
			err := durably(ctx, r.client, key, func(ctx context.Context, c redis.Cmdable) error {
				return seedsScript.Run(ctx, c, []string{key}, chunk...).Err()
			})
			if err != nil {
				return fmt.Errorf("queue: record the seeds of run %s: %w", run, err)
			}
		}
	}
	return nil
}

// lostSeeds counts the run's recorded seeds whose dedup hash is missing
// from their site's dedup set.
func (r *Redis) lostSeeds(ctx context.Context, run string) (int64, error) {
	members, err := r.client.SMembers(ctx, runSeedsKey(run)).Result()
	if err != nil || len(members) == 0 {
		return 0, err
	}
	bySite := map[string][]any{}
	for _, m := range members {
		site, hash, ok := strings.Cut(m, sep)
		if ok {
			bySite[site] = append(bySite[site], hash)
		}
	}
	var lost int64
	for site, hashes := range bySite {
		for from := 0; from < len(hashes); from += addChunk {
			chunk := hashes[from:min(len(hashes), from+addChunk)]
			present, err := r.client.SMIsMember(ctx, r.siteKeys(site).seen(run), chunk...).Result()
			if err != nil {
				return 0, fmt.Errorf("queue: check the seeds of run %s on site %s: %w", run, site, err)
			}
			for _, p := range present {
				if !p {
					lost++
				}
			}
		}
	}
	return lost, nil
}
