package queue

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Durability. Redis replicates asynchronously: a write the master
// answered can vanish with it when it dies before its replica copied the
// write, and a promoted replica then serves a past in which the write
// never happened. For the writes that nothing else would repeat, a run's
// seed tasks (an `enqueue` that printed its run id, a scheduler that
// recorded a run as seeded) and a page's findings batch (its task is acked
// after the publish, so the page is not fetched again), the queue waits
// for replicas to confirm: the write and WAIT run on one connection to the
// master holding the key, and a write not confirmed in time is reported
// with ErrNotDurable. Leases and acks get one WAIT each and are
// checked again when it fails (confirmed, below). Every other write
// (follow-up tasks, counters) is repaired by the queue itself when lost: a
// lost follow-up task was added before its parent's ack on the same
// master, so the two are lost together and the parent is fetched again.

// ErrNotDurable is returned (wrapped) when a write was made but too few
// replicas confirmed it within the durability timeout (and the failover
// budget): it may be lost in a failover. Seeds and findings batches are
// safe to write again (dedup, idempotent store).
var ErrNotDurable = errors.New("queue: write not confirmed by replicas (it may be lost in a failover; safe to repeat)")

// durably runs write on the master that holds key and confirms it with
// WAIT on the same connection; with durability off it runs write on the
// client as is. A connection error (the master died) or a redirection
// makes it write again on the current master, within the failover budget;
// a WAIT that times out is repeated until the budget is spent, then
// ErrNotDurable is returned.
func durably(ctx context.Context, client redis.UniversalClient, key string, write func(ctx context.Context, c redis.Cmdable) error) error {
	d := DurabilityOf(client)
	if d.Replicas <= 0 {
		return write(ctx, client)
	}
	budget := max(FailoverBudget(client), d.Timeout)
	start := time.Now()
	var last error
	written := false // a master answered the write, unconfirmed
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if ctx.Err() != nil || time.Since(start) >= budget {
				if written && !errors.Is(last, ErrNotDurable) {
					// The write was made and may have died with its
					// master; that it is not durable is what matters to
					// the caller (write it again), more than why the
					// attempts after it failed.
					return fmt.Errorf("%w (after the master that took it failed: %w)", ErrNotDurable, last)
				}
				return last
			}
			if cc, ok := client.(*redis.ClusterClient); ok {
				cc.ReloadState(ctx)
			}
			ceiling := min(25*time.Millisecond<<min(attempt, 6), time.Second)
			sleepCtx(ctx, time.Duration(rand.Int64N(int64(ceiling)))+5*time.Millisecond)
		}
		err, again, wrote := writeAndWait(ctx, client, key, d, budget-time.Since(start), write)
		if err == nil || !again {
			return err
		}
		written = written || wrote
		last = err
	}
}

// writeAndWait is one attempt of durably; again says whether a new attempt
// (on the master as it is now) may succeed, wrote whether a master
// answered the write. Its commands run once (oneAttempt): on a failure
// durably takes a new connection to the master as it is then.
func writeAndWait(ctx context.Context, client redis.UniversalClient, key string, d Durability, left time.Duration, write func(ctx context.Context, c redis.Cmdable) error) (err error, again, wrote bool) {
	var node *redis.Client
	switch c := client.(type) {
	case *redis.ClusterClient:
		if node, err = c.MasterForKey(ctx, key); err != nil {
			return fmt.Errorf("find the master of %s: %w", key, err), true, false
		}
	case *redis.Client:
		node = c
	default:
		return fmt.Errorf("queue: durability needs a server, Sentinel or Cluster client, not %T", client), false, false
	}
	conn := node.Conn()
	defer conn.Close()
	once := oneAttempt(ctx)
	if err := write(once, conn); err != nil {
		return err, retryable(err), false
	}
	deadline := time.Now().Add(left)
	for {
		n, err := conn.Wait(once, d.Replicas, d.Timeout).Result()
		if err != nil {
			// The master may be gone, and the write with it: write again.
			return fmt.Errorf("confirm a write to %s: %w", key, err), retryable(err), true
		}
		if int(n) >= d.Replicas {
			return nil, false, true
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return fmt.Errorf("write to %s: %d of %d replicas confirmed within %v: %w", key, n, d.Replicas, d.Timeout, ErrNotDurable), false, true
		}
	}
}

// retryable says whether a write that failed with err may succeed on the
// master as it is now: any error that is not Redis' own answer (a lost
// connection, a closed one), or one of its failover answers. The answer
// is judged by itself, also when go-redis wraps it as the dedicated
// connection's bad state ("Conn is in a bad state: READONLY …", a node
// demoted to replica): that connection is done with, but the next attempt
// takes a new one to the master as it is then.
func retryable(err error) bool {
	var reply redis.Error
	if !errors.As(err, &reply) {
		return true
	}
	return transient(reply) || redirected(reply)
}

// redirected says whether err is a Cluster redirection (the slot moved,
// after a failover, before the client reloaded its map).
func redirected(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "MOVED ") || strings.HasPrefix(msg, "ASK ")
}

// Leases and acks that survive a failover. A lease or an ack the master
// answered and died before replicating is rolled back with it: a lost
// lease hands the page to another worker while the first one fetches it,
// a lost ack leaves the task pending until its lease expires and the page
// is fetched again. With durability on, both are followed on the same
// connection by WAIT until a replica holds them: a replica that is slow,
// or gone for a moment (a loaded machine, a link that drops before the
// master dies, a replica still resyncing after a failover), is waited
// for, so the page is fetched only once its lease is on a replica. When
// the connection fails before WAIT answers, the write may have died with
// the master, and the caller checks on the master as it is after the
// failover (see Lease and Ack). Leasing does not stall on a replica that
// is gone: a master whose replicas have confirmed nothing for
// replicaGoneAfter, or whose connection just failed (a failover: the
// promoted replica has no replica of its own yet), is marked
// replica-less, and its leases and acks are taken as they are (best
// effort) until a probe (watchReplicas) finds a replica online and in
// step, or one WAIT each replicaMissingFor is confirmed.

// replicaGoneAfter is how long leases and acks wait for a replica before
// the master is taken as replica-less.
var replicaGoneAfter = 2 * time.Second

// replicaMissingFor is how long WAIT is skipped on a replica-less master
// before it is tried again.
var replicaMissingFor = time.Second

// replicaWatch is what is known of one master's replicas (one per
// *redis.Client: a Cluster node, or a server or Sentinel's master).
type replicaWatch struct {
	mu        sync.Mutex
	skipUntil time.Time // replica-less: WAIT is skipped before this; zero when not
	probing   bool      // a probe (watchReplicas) is running
}

var replicaWatches sync.Map // *redis.Client → *replicaWatch

func watchOf(node *redis.Client) *replicaWatch {
	if w, ok := replicaWatches.Load(node); ok {
		return w.(*replicaWatch)
	}
	w, _ := replicaWatches.LoadOrStore(node, &replicaWatch{})
	return w.(*replicaWatch)
}

// mode says, at now, whether the master is replica-less (skip: do not
// wait), and whether this caller should try one WAIT to see if a replica
// is back (probe; the others keep skipping meanwhile).
func (w *replicaWatch) mode(now time.Time) (replicaLess, skip bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.skipUntil.IsZero():
		return false, false
	case now.Before(w.skipUntil):
		return true, true
	default:
		w.skipUntil = now.Add(replicaMissingFor)
		return true, false
	}
}

// isReplicaLess says whether the master is taken as replica-less now.
func (w *replicaWatch) isReplicaLess() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return !w.skipUntil.IsZero()
}

// replicaLess marks the master replica-less from now, and starts a probe
// that ends it as soon as the master lists a replica in step.
func (w *replicaWatch) replicaLess(node *redis.Client, now time.Time, want int) {
	w.mu.Lock()
	w.skipUntil = now.Add(replicaMissingFor)
	start := !w.probing
	w.probing = true
	w.mu.Unlock()
	if start {
		go w.watchReplicas(node, want)
	}
}

// replicaProbeEvery is how often a replica-less master is asked (INFO
// replication) whether a replica is back; replicaProbeFor bounds the
// probe (a node that is no longer master is not asked for ever).
var (
	replicaProbeEvery = 200 * time.Millisecond
	replicaProbeFor   = 2 * time.Minute
)

// watchReplicas asks node's master every replicaProbeEvery whether want
// replicas are online and in step (acknowledged within the last second),
// and ends the replica-less state when they are: a replica that rejoins
// after a failover is waited for again at once, not only when a lease's
// own probe (one WAIT a second) happens to find it, maybe while it lags.
func (w *replicaWatch) watchReplicas(node *redis.Client, want int) {
	defer func() {
		w.mu.Lock()
		w.probing = false
		w.mu.Unlock()
	}()
	for deadline := time.Now().Add(replicaProbeFor); time.Now().Before(deadline); {
		time.Sleep(replicaProbeEvery)
		if !w.isReplicaLess() {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		info, err := node.Info(ctx, "replication").Result()
		cancel()
		if errors.Is(err, redis.ErrClosed) {
			return
		}
		if err == nil && replicasInStep(info) >= want {
			w.confirmed()
			return
		}
	}
}

// replicasInStep counts the replicas INFO replication lists online with a
// lag (seconds since their last acknowledgement) of at most 1.
func replicasInStep(info string) int {
	n := 0
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(k, "slave") || !strings.Contains(v, "state=online") {
			continue
		}
		for _, f := range strings.Split(v, ",") {
			if lag, ok := strings.CutPrefix(f, "lag="); ok && (lag == "0" || lag == "1") {
				n++
			}
		}
	}
	return n
}

func (w *replicaWatch) confirmed() {
	w.mu.Lock()
	w.skipUntil = time.Time{}
	w.mu.Unlock()
}

// errUnconfirmed says that the connection failed after the write was
// answered and before a replica confirmed it.
var errUnconfirmed = errors.New("queue: write answered but not confirmed before the connection failed")

// confirmed runs write on the master that holds key and, with durability
// on, one WAIT on the same connection when write says it changed something
// worth confirming (a lease that leased nothing is not). It returns
// write's error, or errUnconfirmed (wrapped) when write succeeded but the
// WAIT failed.
func confirmed(ctx context.Context, client redis.UniversalClient, key string, write func(ctx context.Context, c redis.Cmdable) (changed bool, err error)) error {
	run := func(c redis.Cmdable) (bool, error) { return write(ctx, c) }
	d := DurabilityOf(client)
	if d.Replicas <= 0 {
		_, err := run(client)
		return err
	}
	var node *redis.Client
	switch c := client.(type) {
	case *redis.ClusterClient:
		var err error
		if node, err = c.MasterForKey(ctx, key); err != nil {
			// Let the client's own routing (and retries) find the master.
			_, err := run(client)
			return err
		}
	case *redis.Client:
		node = c
	default:
		_, err := run(client)
		return err
	}
	conn := node.Conn()
	defer conn.Close()
	once := oneAttempt(ctx)
	changed, err := write(once, conn)
	if err != nil {
		if retryable(err) {
			// The write may or may not have run: the connection to the
			// master broke. Run it again through the client, which rides
			// out the failover (every queue write is safe to repeat; a
			// lease that ran gets the same tasks again, scripts.go).
			_, err = run(client)
		}
		return err
	}
	if !changed {
		return nil
	}
	if err := confirmOn(once, node, conn, d); err != nil {
		return fmt.Errorf("confirm a write to %s: %w (%w)", key, errUnconfirmed, err)
	}
	return nil
}

// confirmOn waits, on conn to node's master, until d.Replicas replicas
// hold what was written on conn (WAIT, d.Timeout at a time), for at most
// replicaGoneAfter; on a replica-less master it does not wait (replicaWatch).
// It returns only a connection error: a write not confirmed is taken as it
// is.
func confirmOn(ctx context.Context, node *redis.Client, conn *redis.Conn, d Durability) error {
	w := watchOf(node)
	less, skip := w.mode(time.Now())
	if skip {
		return nil
	}
	start := time.Now()
	for {
		n, err := conn.Wait(ctx, d.Replicas, d.Timeout).Result()
		if err != nil {
			// Most likely a failover: a promoted replica has no replica
			// of its own until the old master is back (a Sentinel client
			// keeps one watch for whichever node is master). Not waited
			// on until a probe finds one, so that the fleet resumes at
			// once.
			w.replicaLess(node, time.Now(), d.Replicas)
			return err
		}
		if int(n) >= d.Replicas {
			w.confirmed()
			return nil
		}
		if less || ctx.Err() != nil {
			return nil // the probe found no replica back: still replica-less
		}
		if now := time.Now(); now.Sub(start) >= replicaGoneAfter {
			w.replicaLess(node, now, d.Replicas)
			return nil
		}
		if w.isReplicaLess() {
			return nil // another caller found the master replica-less meanwhile
		}
	}
}
