package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The janitor removes what finished runs and dead workers leave behind:
// the accounting fields of runs whose meta has expired (and that have
// nothing queued or leased), those runs in the run index, worker registry
// entries older than a day, and consumers that hold no pending entry and
// have been idle for a day. The background loop (Start) runs it every
// janitorEvery; it is safe to run from many workers at once.

const (
	janitorEvery   = 10 * time.Minute
	consumerMaxAge = 24 * time.Hour
)

// Janitor runs one cleaning pass.
func (r *Redis) Janitor(ctx context.Context) error {
	var errs []error
	now := time.Now()
	if err := r.client.ZRemRangeByScore(ctx, workersKey, "-inf", strconv.FormatInt(ms(now.Add(-consumerMaxAge)), 10)).Err(); err != nil {
		errs = append(errs, fmt.Errorf("queue: janitor: prune workers: %w", err))
	}
	sites, err := r.Sites(ctx)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	gone := map[string]bool{} // run → meta expired
	for _, site := range sites {
		k := r.siteKeys(site)
		fields, err := r.client.HGetAll(ctx, k.runs).Result()
		if err != nil {
			errs = append(errs, fmt.Errorf("queue: janitor: runs of site %s: %w", site, err))
			continue
		}
		byRun := map[string][]string{}
		busy := map[string]bool{}
		for f, v := range fields {
			run, counter, ok := strings.Cut(f, sep)
			if !ok {
				continue
			}
			byRun[run] = append(byRun[run], f)
			if n, _ := strconv.ParseInt(v, 10, 64); n > 0 && (counter == "q" || counter == "l") {
				busy[run] = true
			}
		}
		for run, fs := range byRun {
			if busy[run] {
				continue
			}
			expired, seen := gone[run]
			if !seen {
				n, err := r.client.Exists(ctx, runMetaKey(run)).Result()
				if err != nil {
					errs = append(errs, err)
					continue
				}
				expired = n == 0
				gone[run] = expired
			}
			if expired {
				if err := r.client.HDel(ctx, k.runs, fs...).Err(); err != nil {
					errs = append(errs, fmt.Errorf("queue: janitor: forget run %s on site %s: %w", run, site, err))
				}
			}
		}
		for _, stream := range k.streams {
			consumers, err := r.client.XInfoConsumers(ctx, stream, groupName).Result()
			if err != nil {
				continue // no such stream
			}
			for _, c := range consumers {
				if c.Pending == 0 && c.Idle > consumerMaxAge && c.Name != r.opts.Consumer {
					if err := r.client.XGroupDelConsumer(ctx, stream, groupName, c.Name).Err(); err != nil {
						errs = append(errs, fmt.Errorf("queue: janitor: delete consumer %s: %w", c.Name, err))
					}
				}
			}
		}
	}
	for run, expired := range gone {
		if expired {
			if err := r.client.ZRem(ctx, runsKey, run).Err(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
