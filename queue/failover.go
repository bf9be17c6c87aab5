package queue

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// Riding out a failover. go-redis retries a dial error three times within
// half a second and reloads a Cluster's slot map only on MOVED, ASK or
// READONLY, so a fleet kept dialling a dead master until its minute-long
// reload. retryHook, added to every client the queue dials, retries each
// command (pipelines and transactions whole) with backoff while the error
// says Redis is unreachable or failing over, for up to the failover
// budget, and asks a Cluster client to reload its slot map on each such
// error. A retried command may have run once already (the reply was lost
// with the master): every queue write is safe to repeat (dedup on add,
// lease checks on ack, nack, release and extend; the store writes findings
// idempotently), and a repeated lease answers with the tasks its first run
// leased (the request's record, scripts.go), so none is stranded until its
// lease expires.

type retryHook struct {
	client redis.UniversalClient
	info   *clientInfo
}

func (h *retryHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *retryHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		return h.retry(ctx, func() error { return next(ctx, cmd) }, func() { cmd.SetErr(nil) })
	}
}

func (h *retryHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		return h.retry(ctx, func() error {
			err := next(ctx, cmds)
			if err == nil {
				// A pipeline reports the first failed command: a
				// connection lost mid-way fails the rest.
				for _, c := range cmds {
					if cerr := c.Err(); cerr != nil && transient(cerr) {
						return cerr
					}
				}
			}
			return err
		}, func() {
			for _, c := range cmds {
				c.SetErr(nil)
			}
		})
	}
}

// oneAttempt marks ctx for commands on a dedicated connection
// (Client.Conn, durable.go): the hook runs them once. A dedicated
// connection that failed is in a bad state for good, so retrying on it
// only spends the failover budget; and a dial error on it would be
// retried within a budget of its own, outlasting the caller's. The caller
// retries the whole write on a new connection within one budget.
func oneAttempt(ctx context.Context) context.Context {
	return context.WithValue(ctx, oneAttemptKey{}, true)
}

type oneAttemptKey struct{}

// retry runs op until it succeeds, fails for good, or the budget is spent.
func (h *retryHook) retry(ctx context.Context, op func() error, reset func()) error {
	var start time.Time
	for attempt := 0; ; attempt++ {
		began := h.info.outage.began()
		err := op()
		if err == nil || !transient(err) {
			if err == nil || !badConn(err) {
				h.info.outage.up() // Redis answered, even if with an error
			}
			return err
		}
		now := time.Now()
		if start.IsZero() {
			start = now
		}
		h.info.outage.down(err, h.info.budget, began)
		if ctx.Value(oneAttemptKey{}) != nil {
			return err
		}
		if cc, ok := h.client.(*redis.ClusterClient); ok {
			cc.ReloadState(ctx)
		}
		if ctx.Err() != nil || now.Sub(start) >= h.info.budget {
			return err
		}
		// Full jitter from 25ms doubling to 1s: a fleet does not hammer a
		// node that is coming back, and a promoted replica is found within
		// about a second of its promotion.
		ceiling := min(25*time.Millisecond<<min(attempt, 6), time.Second)
		wait := time.Duration(rand.Int64N(int64(ceiling))) + 5*time.Millisecond
		wait = min(wait, h.info.budget-now.Sub(start)+time.Millisecond)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		reset()
	}
}

// badConn says whether err is go-redis' report of a dedicated connection
// that failed before: not an answer from Redis.
func badConn(err error) bool {
	return strings.Contains(err.Error(), "Conn is in a bad state")
}

// transient says whether err means Redis is (for now) unreachable or
// failing over, so that the same command may succeed in a moment.
func transient(err error) bool {
	if err == nil || errors.Is(err, redis.Nil) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, redis.ErrClosed) || badConn(err) {
		// A closed client, or a dedicated connection (Client.Conn, as
		// durable.go uses) that broke: retrying on it cannot succeed.
		return false
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	msg := err.Error()
	// MOVED and ASK reach here only when go-redis' own redirections ran
	// out (a slot map still settling after a failover): reload and retry.
	for _, p := range []string{"CLUSTERDOWN", "TRYAGAIN", "LOADING", "MASTERDOWN", "READONLY", "UNBLOCKED", "MOVED ", "ASK "} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	// go-redis' own wording when no node or master can be found.
	for _, s := range []string{"connection refused", "connection reset", "broken pipe", "i/o timeout",
		"redis: all sentinels specified in configuration are unreachable", "no reachable node", "cannot find node",
		"redis: connection pool timeout"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// outage tracks one client's unreachable spells: one log line when the
// first command fails, one when a command succeeds again, and the time in
// between added to the process's markwatch_redis_unavailable_seconds_total.
type outage struct {
	log   *slog.Logger
	isOut atomic.Bool
	mu    sync.Mutex
	since time.Time
	// recoveries counts the outages ended: an attempt notes it before it
	// runs, and a failure of an attempt begun before the last recovery
	// belongs to the outage that recovery ended.
	recoveries atomic.Uint64
	total      time.Duration
	now        func() time.Time // time.Now; tests set a clock
}

// outages are every tracker of the process, summed by the metric.
var (
	outagesMu sync.Mutex
	outages   []*outage
)

func newOutage(log *slog.Logger) *outage {
	o := &outage{log: log, now: time.Now}
	outagesMu.Lock()
	outages = append(outages, o)
	outagesMu.Unlock()
	return o
}

// began is noted by an attempt before it runs (for down).
func (o *outage) began() uint64 { return o.recoveries.Load() }

// down records a failed attempt, begun when began() said began. An
// attempt that began before Redis was last seen back (a dial whose own
// retries started while the server was still down) belongs to the outage
// already ended, not to a new one.
func (o *outage) down(err error, budget time.Duration, began uint64) {
	if o.isOut.Load() {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.isOut.Load() || began != o.recoveries.Load() {
		return
	}
	o.since = o.now()
	o.isOut.Store(true)
	o.log.Warn("redis unavailable; retrying", "failover_budget", budget.String(), "err", err)
}

func (o *outage) up() {
	if !o.isOut.Load() {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.isOut.Load() {
		return
	}
	d := o.now().Sub(o.since)
	o.total += d
	o.recoveries.Add(1)
	o.isOut.Store(false)
	o.log.Warn("redis available again", "unavailable_seconds", d.Seconds())
}

// seconds is the time spent unavailable, the current spell included.
func (o *outage) seconds() float64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	d := o.total
	if o.isOut.Load() {
		d += time.Since(o.since)
	}
	return d.Seconds()
}

// Unavailable says whether the client's last command found Redis
// unreachable (and no command has succeeded since).
func Unavailable(c redis.UniversalClient) bool {
	if i := infoOf(c); i != nil {
		return i.outage.isOut.Load()
	}
	return false
}

// unavailableSeconds sums every client's time spent unavailable.
func unavailableSeconds() float64 {
	outagesMu.Lock()
	list := append([]*outage(nil), outages...)
	outagesMu.Unlock()
	total := 0.0
	for _, o := range list {
		total += o.seconds()
	}
	return total
}
