package queue

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The recoverer hands out again the tasks whose lease expired: a worker
// died or stalled without acking, releasing or extending. Each task is
// re-added at the end of its stream with its attempt count unchanged (a
// crash spends no retry) and a new id; the stalled worker's late Ack then
// fails with ErrLeaseLost instead of counting twice.
//
// Every Lease runs a recovery pass when the last one is older than a
// quarter of the lease, and the background loop (Start) does the same so
// that recovery also happens while no one is leasing. Recovery time is
// therefore the lease length plus at most a quarter of it.
//
// "Expired" is measured against the fleet's lease (fleetlease.go), read
// from Redis on each pass, so a process started with another lease (serve,
// the scheduler, an older worker) never cuts a worker's lease short.

// recoverBatch bounds one recovery call per site.
const recoverBatch = 500

func (r *Redis) recoverEvery() time.Duration { return max(r.opts.Lease/4, 20*time.Millisecond) }

func (r *Redis) maybeRecover(ctx context.Context) error {
	r.mu.Lock()
	due := time.Since(r.lastRecover) >= r.recoverEvery()
	if due {
		r.lastRecover = time.Now()
	}
	r.mu.Unlock()
	if !due {
		return nil
	}
	_, err := r.Recover(ctx)
	return err
}

// Recover re-queues every expired lease now and returns how many it found.
func (r *Redis) Recover(ctx context.Context) (int, error) {
	sites, err := r.Sites(ctx)
	if err != nil {
		return 0, err
	}
	// The fleet's lease, not this process's: a worker heartbeats for the
	// lease it was started with, which CheckLease made the fleet's.
	lease := r.fleetLease(ctx)
	total := 0
	var errs []error
	for _, site := range sites {
		k := r.siteKeys(site)
		for {
			n, err := recoverScript.Run(ctx, r.client, append([]string{k.runs}, k.allStreams()...),
				lease.Milliseconds(), recoverBatch, r.opts.Consumer, ms(r.opts.Now())).Int()
			if err != nil {
				errs = append(errs, fmt.Errorf("queue: recover expired leases of site %s: %w", site, err))
				break
			}
			if n > 0 {
				r.wake(site)
				r.opts.Metrics.leaseExpired(site, n)
				r.opts.Logger.Warn("expired leases recovered", "site", site, "tasks", n)
			}
			total += n
			if n < recoverBatch {
				break
			}
		}
	}
	return total, errors.Join(errs...)
}

// Start runs the background loop: a recovery pass and a worker heartbeat
// (the worker registry that markwatch_queue_workers_alive counts) every
// quarter lease, and a janitor pass (janitor.go) every ten minutes. Stop
// it with Close.
func (r *Redis) Start() {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		log := r.opts.Logger.With("loop", "recoverer", "consumer", r.opts.Consumer)
		tick := time.NewTicker(r.recoverEvery())
		defer tick.Stop()
		var lastJanitor time.Time
		var warned time.Duration // the fleet lease last warned about
		for {
			ctx, cancel := context.WithTimeout(context.Background(), r.opts.Lease)
			if err := r.heartbeat(ctx, &warned); err != nil {
				log.Warn("worker heartbeat", "err", err)
			}
			if err := r.maybeRecover(ctx); err != nil {
				log.Warn("recover expired leases", "err", err)
			}
			cancel()
			if time.Since(lastJanitor) >= janitorEvery {
				lastJanitor = time.Now()
				jctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				if err := r.Janitor(jctx); err != nil {
					log.Warn("janitor", "err", err)
				}
				cancel()
			}
			select {
			case <-r.stop:
				return
			case <-tick.C:
			}
		}
	}()
}

// Close stops the background loop and removes this worker from the
// registry. The client is the caller's to close.
func (r *Redis) Close() error {
	r.once.Do(func() {
		close(r.stop)
		r.wg.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = r.client.ZRem(ctx, workersKey, r.opts.Consumer).Err()
	})
	return nil
}
