package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The lease is a property of the fleet, not of a process. A worker
// heartbeats its leases every third of its own lease, but the recoverer
// that declares a lease expired may run in any process: if worker A leases
// for 2m (heartbeat every 40s) and worker B's recoverer uses 30s, B
// re-queues A's in-flight tasks after 30s idle, the page is fetched twice
// and A's ack fails with ErrLeaseLost.
//
// So the fleet's lease is recorded in Redis (mw:{g}:lease). The first
// worker to call CheckLease records its own; a worker whose lease differs
// is refused with a *LeaseMismatchError; the recoverer (Recover) always
// uses the recorded lease when there is one, whatever its own process was
// given; and SetFleetLease (`markwatch queue lease --set`) changes it only
// while no worker is alive, unless forced.

// aliveLeases is how recent a heartbeat must be, in leases, for its worker
// to count as alive (here and in markwatch_queue_workers_alive). Workers
// heartbeat every quarter lease.
const aliveLeases = 2

// ErrLeaseMismatch is wrapped by *LeaseMismatchError.
var ErrLeaseMismatch = errors.New("queue: lease differs from the fleet's")

// ErrWorkersAlive is wrapped by *WorkersAliveError.
var ErrWorkersAlive = errors.New("queue: workers are alive")

// LeaseMismatchError is CheckLease's refusal: this process's lease is not
// the one the fleet's recoverers use.
type LeaseMismatchError struct {
	Mine, Fleet time.Duration
}

func (e *LeaseMismatchError) Error() string {
	return fmt.Sprintf("queue: this worker's lease is %v but the fleet's lease (Redis key %s) is %v; "+
		"every worker must use the fleet's lease, or other workers' recoverers would hand its tasks out again while it still works on them. "+
		"Start it with --lease %v (or without --lease to take the fleet's), or change the fleet's lease with `markwatch queue lease --set %v` once no worker is running",
		e.Mine, leaseKey, e.Fleet, e.Fleet, e.Mine)
}

func (e *LeaseMismatchError) Unwrap() error { return ErrLeaseMismatch }

// WorkersAliveError is SetFleetLease's refusal: workers are alive, and
// they heartbeat and recover with the lease they started with.
type WorkersAliveError struct {
	Old, New time.Duration // Old is 0 when no lease was recorded
	Alive    int64
	Workers  []string // the first few of them
}

func (e *WorkersAliveError) Error() string {
	old := "unset"
	if e.Old > 0 {
		old = e.Old.String()
	}
	names := strings.Join(e.Workers, ", ")
	if int64(len(e.Workers)) < e.Alive {
		names += ", …"
	}
	return fmt.Sprintf("queue: cannot change the fleet's lease from %s to %v: %d worker(s) alive (%s); "+
		"stop them first, or force it (running workers keep their old lease until restarted, so their tasks may be fetched twice)",
		old, e.New, e.Alive, names)
}

func (e *WorkersAliveError) Unwrap() error { return ErrWorkersAlive }

// FleetLease reads the fleet's lease; ok is false when none is recorded
// (no worker has started on this Redis since it was last emptied).
func FleetLease(ctx context.Context, client redis.UniversalClient) (lease time.Duration, ok bool, err error) {
	v, err := client.Get(ctx, leaseKey).Result()
	if errors.Is(err, redis.Nil) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("queue: read the fleet's lease: %w", err)
	}
	lease, err = parseLease(v)
	if err != nil {
		return 0, false, err
	}
	return lease, true, nil
}

func parseLease(v string) (time.Duration, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("queue: the fleet's lease in %s is %q, not a positive number of milliseconds (set it with `markwatch queue lease --set DURATION --force`)", leaseKey, v)
	}
	return time.Duration(n) * time.Millisecond, nil
}

// SetFleetLease records lease as the fleet's and returns the lease it
// replaced (0 if none). Unless force is set it refuses, with a
// *WorkersAliveError, while any worker is alive.
func SetFleetLease(ctx context.Context, client redis.UniversalClient, lease time.Duration, force bool) (time.Duration, error) {
	if lease < time.Millisecond {
		return 0, fmt.Errorf("queue: set the fleet's lease: %v is not a positive lease", lease)
	}
	mode := ""
	if force {
		mode = "force"
	}
	const names = 10
	res, err := setLeaseScript.Run(ctx, client, []string{leaseKey, workersKey},
		lease.Milliseconds(), ms(time.Now()), defaultLease.Milliseconds(), mode, aliveLeases, names).Slice()
	if err != nil {
		return 0, fmt.Errorf("queue: set the fleet's lease: %w", err)
	}
	if len(res) < 3 {
		return 0, fmt.Errorf("queue: set the fleet's lease: unexpected reply %v", res)
	}
	var old time.Duration
	if s, _ := res[1].(string); s != "" {
		if old, err = parseLease(s); err != nil && !force {
			return 0, err
		}
	}
	if set, _ := res[0].(int64); set == 1 {
		return old, nil
	}
	e := &WorkersAliveError{Old: old, New: lease}
	e.Alive, _ = res[2].(int64)
	for _, n := range res[3:] {
		if s, ok := n.(string); ok {
			e.Workers = append(e.Workers, s)
		}
	}
	return old, e
}

// LiveWorkers lists the workers whose heartbeat is recent (within two of
// the fleet's leases, or of the default lease when none is recorded).
func LiveWorkers(ctx context.Context, client redis.UniversalClient) ([]string, error) {
	lease, ok, err := FleetLease(ctx, client)
	if err != nil {
		return nil, err
	}
	if !ok {
		lease = defaultLease
	}
	since := strconv.FormatInt(ms(time.Now().Add(-aliveLeases*lease)), 10)
	workers, err := client.ZRangeByScore(ctx, workersKey, &redis.ZRangeBy{Min: since, Max: "+inf"}).Result()
	if err != nil {
		return nil, fmt.Errorf("queue: list live workers: %w", err)
	}
	return workers, nil
}

// CheckLease makes this process a worker of the fleet: it records its lease
// as the fleet's if none is recorded, and returns a *LeaseMismatchError
// (wrapping ErrLeaseMismatch) if the fleet's lease differs. On success the
// process is registered as alive in the same step, and its background loop
// (Start) keeps the lease recorded (after a Redis that lost its data) and
// warns if an operator forces another lease while it runs.
// `markwatch worker` calls it before it leases anything.
func (r *Redis) CheckLease(ctx context.Context) error {
	mine := r.opts.Lease.Milliseconds()
	v, err := checkLeaseScript.Run(ctx, r.client, []string{leaseKey, workersKey}, mine, r.opts.Consumer, ms(time.Now())).Text()
	if err != nil {
		return fmt.Errorf("queue: check the fleet's lease: %w", err)
	}
	fleet, err := parseLease(v)
	if err != nil {
		return err
	}
	if fleet.Milliseconds() != mine {
		return &LeaseMismatchError{Mine: r.opts.Lease, Fleet: fleet}
	}
	r.mu.Lock()
	r.leaseChecked = true
	r.mu.Unlock()
	return nil
}

// fleetLease is the lease the recoverer applies: the fleet's when one is
// recorded, else this process's own.
func (r *Redis) fleetLease(ctx context.Context) time.Duration {
	lease, ok, err := FleetLease(ctx, r.client)
	if err != nil || !ok {
		if err != nil {
			r.opts.Logger.Warn("read the fleet's lease; recovering with this process's", "lease", r.opts.Lease, "err", err)
		}
		return r.opts.Lease
	}
	return lease
}

// heartbeat registers this process in the worker registry. A worker that
// passed CheckLease also records its lease again if the key is gone, and
// warns when the fleet's lease was forced to another value under it.
func (r *Redis) heartbeat(ctx context.Context, warned *time.Duration) error {
	r.mu.Lock()
	checked := r.leaseChecked
	r.mu.Unlock()
	var fleet *redis.StringCmd
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, workersKey, redisZ(float64(ms(time.Now())), r.opts.Consumer))
		if checked {
			p.SetNX(ctx, leaseKey, r.opts.Lease.Milliseconds(), 0)
			fleet = p.Get(ctx, leaseKey)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if fleet == nil {
		return nil
	}
	lease, err := parseLease(fleet.Val())
	if err != nil {
		return err
	}
	if lease.Milliseconds() != r.opts.Lease.Milliseconds() && lease != *warned {
		*warned = lease
		r.opts.Logger.Error("the fleet's lease was changed while this worker runs: restart it to take the new lease (until then its tasks may be handed out again while it works on them)",
			"fleet_lease", lease, "lease", r.opts.Lease)
	}
	return nil
}
