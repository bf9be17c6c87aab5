package schedule

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Run triggers.
const (
	TriggerSchedule = "schedule" // fired on time by the scheduler
	TriggerCatchUp  = "catchup"  // fired late, once, for slots missed while no scheduler ran
	TriggerManual   = "manual"   // `markwatch sweep run NAME`
)

// Run states. A run is running from the moment it is recorded until the
// frontier reports nothing queued or leased (finished) or an operator
// cancels it.
const (
	StateRunning   = "running"
	StateFinished  = "finished"
	StateCancelled = "cancelled"
)

var (
	// ErrUnknownRun is returned for a run id with no record.
	ErrUnknownRun = errors.New("schedule: unknown run")
	// ErrUnknownSweep is returned for a sweep name not in sweeps.yaml.
	ErrUnknownSweep = errors.New("schedule: unknown sweep")
	// ErrFenced means this scheduler's lease was lost (it expired, or
	// another scheduler holds a newer fencing token): nothing was written.
	ErrFenced = errors.New("schedule: lease lost (fencing token is stale)")
	// ErrNotRunning is returned when cancelling a run that already ended.
	ErrNotRunning = errors.New("schedule: run is not running")
)

// Run is the record of one fired sweep run, kept in Redis for `sweep
// history` and `sweep status`.
type Run struct {
	ID      string    `json:"run"`
	Sweep   string    `json:"sweep"`
	Trigger string    `json:"trigger"`
	Planned time.Time `json:"planned"` // the slot the run is for (fired time for manual runs)
	Fired   time.Time `json:"fired"`
	State   string    `json:"state"`
	// Window is the holiday (and year) whose window the slot is in, empty
	// outside windows.
	Window string `json:"window,omitempty"`
	// Seeded is true once the seed tasks are queued; Tasks counts them.
	Seeded bool `json:"seeded"`
	Tasks  int  `json:"tasks"`
	// Owner is the scheduler instance that fired the run ("manual" for
	// `sweep run`) and Fence its fencing token.
	Owner string `json:"owner"`
	Fence int64  `json:"fence,omitempty"`
	// Error is the last seeding error, if any (seeding is retried).
	Error       string    `json:"error,omitempty"`
	FinishedAt  time.Time `json:"finished_at,omitzero"`
	CancelledAt time.Time `json:"cancelled_at,omitzero"`
	// Dead is the number of dead-lettered tasks when the run finished.
	Dead int64 `json:"dead,omitempty"`
}

func (r Run) fields() []any {
	f := []any{
		"sweep", r.Sweep, "trigger", r.Trigger, "planned", ms(r.Planned), "fired", ms(r.Fired),
		"state", r.State, "window", r.Window, "seeded", b2s(r.Seeded), "tasks", r.Tasks,
		"owner", r.Owner, "fence", r.Fence,
	}
	return f
}

func parseRun(id string, h map[string]string) Run {
	atoi := func(k string) int64 { n, _ := strconv.ParseInt(h[k], 10, 64); return n }
	r := Run{
		ID: id, Sweep: h["sweep"], Trigger: h["trigger"], State: h["state"], Window: h["window"],
		Planned: fromMS(atoi("planned")), Fired: fromMS(atoi("fired")), Seeded: h["seeded"] == "1",
		Tasks: int(atoi("tasks")), Owner: h["owner"], Fence: atoi("fence"), Error: h["error"],
		Dead: atoi("dead"),
	}
	if v := atoi("finished_at"); v > 0 {
		r.FinishedAt = fromMS(v)
	}
	if v := atoi("cancelled_at"); v > 0 {
		r.CancelledAt = fromMS(v)
	}
	return r
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}

func b2s(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// leaseScript takes or renews the scheduler lease.
//
//	KEYS[1] leader key, KEYS[2] fence counter
//	ARGV[1] owner (no spaces), ARGV[2] lease TTL (ms)
//	returns the fencing token the owner holds after the call (> 0), or 0
//	when another owner holds the lease. A fresh lease always gets a new
//	token from the counter, so a token names one continuous tenure.
var leaseScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur then
  local sp = string.find(cur, ' ', 1, true)
  if string.sub(cur, sp + 1) == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return tonumber(string.sub(cur, 1, sp - 1))
  end
  return 0
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token .. ' ' .. ARGV[1], 'PX', ARGV[2])
return token
`)

// releaseScript gives the lease up if still held with the same token.
//
//	KEYS[1] leader key
//	ARGV[1] "TOKEN OWNER"
//	returns 1 released, 0 not held
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`)

// fireScript records a scheduled (or catch-up) run, only while the caller
// holds the lease with its fencing token, and only once per slot.
//
//	KEYS[1] leader key, KEYS[2] sweeps hash, KEYS[3] run hash,
//	KEYS[4] runs zset, KEYS[5] active set
//	ARGV[1] "TOKEN OWNER", ARGV[2] sweep, ARGV[3] planned (ms),
//	ARGV[4] fired (ms), ARGV[5] run id, ARGV[6..] run field/value pairs
//	returns 1 recorded; -1 fenced (lease lost or token stale: nothing
//	written); -2 the sweep's high-water mark is already at or past the
//	slot (another scheduler fired it); -3 the run id exists
var fireScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local last = tonumber(redis.call('HGET', KEYS[2], ARGV[2] .. '|planned') or '0')
if last >= tonumber(ARGV[3]) then return -2 end
if redis.call('EXISTS', KEYS[3]) == 1 then return -3 end
redis.call('HSET', KEYS[3], unpack(ARGV, 6))
redis.call('HSET', KEYS[2], ARGV[2] .. '|planned', ARGV[3], ARGV[2] .. '|fired', ARGV[4], ARGV[2] .. '|newest', ARGV[5])
redis.call('HINCRBY', KEYS[2], ARGV[2] .. '|running', 1)
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[5])
redis.call('SADD', KEYS[5], ARGV[5])
return 1
`)

// recordScript records a manual run (no lease needed; the high-water mark
// of scheduled runs is left alone).
//
//	KEYS[1] sweeps hash, KEYS[2] run hash, KEYS[3] runs zset, KEYS[4] active set
//	ARGV[1] sweep, ARGV[2] fired (ms), ARGV[3] run id, ARGV[4..] run field/value pairs
//	returns 1 recorded, -3 the run id exists
var recordScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return -3 end
redis.call('HSET', KEYS[2], unpack(ARGV, 4))
redis.call('HSET', KEYS[1], ARGV[1] .. '|fired', ARGV[2], ARGV[1] .. '|newest', ARGV[3])
redis.call('HINCRBY', KEYS[1], ARGV[1] .. '|running', 1)
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[3])
redis.call('SADD', KEYS[4], ARGV[3])
return 1
`)

// advanceScript moves a sweep's high-water mark forward without a run (a
// sweep seen for the first time; slots beyond the catch-up horizon).
//
//	KEYS[1] leader key, KEYS[2] sweeps hash
//	ARGV[1] "TOKEN OWNER", ARGV[2] sweep, ARGV[3] planned (ms)
//	returns 1 moved, 0 already at or past it, -1 fenced
var advanceScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local last = tonumber(redis.call('HGET', KEYS[2], ARGV[2] .. '|planned') or '0')
if last >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[2], ARGV[2] .. '|planned', ARGV[3])
return 1
`)

// stateScript changes a run's state (and sets fields) if it is in the
// expected state, keeping the per-sweep state counts and the active set.
//
//	KEYS[1] run hash, KEYS[2] sweeps hash, KEYS[3] active set
//	ARGV[1] run id, ARGV[2] expected state, ARGV[3] new state (may equal
//	the expected one, to set fields only), ARGV[4..] field/value pairs
//	returns {1, state} changed; {0, state} the run is in another state
//	(nothing written); {-1, ""} no such run
var stateScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], 'state')
if not cur then return {-1, ''} end
if cur ~= ARGV[2] then return {0, cur} end
if #ARGV > 3 then redis.call('HSET', KEYS[1], unpack(ARGV, 4)) end
if ARGV[3] ~= cur then
  local sweep = redis.call('HGET', KEYS[1], 'sweep')
  redis.call('HSET', KEYS[1], 'state', ARGV[3])
  redis.call('HINCRBY', KEYS[2], sweep .. '|' .. cur, -1)
  redis.call('HINCRBY', KEYS[2], sweep .. '|' .. ARGV[3], 1)
  if ARGV[3] ~= 'running' then redis.call('SREM', KEYS[3], ARGV[1]) end
end
return {1, ARGV[3]}
`)

// store is the scheduler's Redis state.
type store struct {
	rdb redis.UniversalClient
	loc *time.Location // times read back are in the sweeps' time zone
}

func (s store) acquire(ctx context.Context, owner string, ttl time.Duration) (int64, error) {
	n, err := leaseScript.Run(ctx, s.rdb, []string{leaderKey, fenceKey}, owner, ttl.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("schedule: take lease: %w", err)
	}
	return n, nil
}

func (s store) release(ctx context.Context, owner string, token int64) error {
	if err := releaseScript.Run(ctx, s.rdb, []string{leaderKey}, holder(token, owner)).Err(); err != nil {
		return fmt.Errorf("schedule: release lease: %w", err)
	}
	return nil
}

func holder(token int64, owner string) string { return strconv.FormatInt(token, 10) + " " + owner }

// fire records a scheduled run; see fireScript.
func (s store) fire(ctx context.Context, token int64, r Run) (int64, error) {
	args := append([]any{holder(token, r.Owner), r.Sweep, ms(r.Planned), ms(r.Fired), r.ID}, r.fields()...)
	n, err := fireScript.Run(ctx, s.rdb, []string{leaderKey, sweepsKey, runKey(r.ID), runsKey, activeKey}, args...).Int64()
	if err != nil {
		return 0, fmt.Errorf("schedule: record run %s: %w", r.ID, err)
	}
	return n, nil
}

// record records a manual run; see recordScript.
func (s store) record(ctx context.Context, r Run) (int64, error) {
	args := append([]any{r.Sweep, ms(r.Fired), r.ID}, r.fields()...)
	n, err := recordScript.Run(ctx, s.rdb, []string{sweepsKey, runKey(r.ID), runsKey, activeKey}, args...).Int64()
	if err != nil {
		return 0, fmt.Errorf("schedule: record run %s: %w", r.ID, err)
	}
	return n, nil
}

func (s store) advance(ctx context.Context, token int64, owner, sweep string, planned time.Time) (int64, error) {
	n, err := advanceScript.Run(ctx, s.rdb, []string{leaderKey, sweepsKey}, holder(token, owner), sweep, ms(planned)).Int64()
	if err != nil {
		return 0, fmt.Errorf("schedule: advance %s: %w", sweep, err)
	}
	return n, nil
}

// transition moves run id from state `from` to `to`, setting fields; it
// returns whether it did and the state the run is in.
func (s store) transition(ctx context.Context, id, from, to string, fields ...any) (bool, string, error) {
	args := append([]any{id, from, to}, fields...)
	res, err := stateScript.Run(ctx, s.rdb, []string{runKey(id), sweepsKey, activeKey}, args...).Slice()
	if err != nil {
		return false, "", fmt.Errorf("schedule: run %s: set state %s: %w", id, to, err)
	}
	code, _ := res[0].(int64)
	state, _ := res[1].(string)
	if code < 0 {
		return false, "", fmt.Errorf("%w %q", ErrUnknownRun, id)
	}
	return code == 1, state, nil
}

func (s store) get(ctx context.Context, id string) (Run, error) {
	h, err := s.rdb.HGetAll(ctx, runKey(id)).Result()
	if err != nil {
		return Run{}, fmt.Errorf("schedule: read run %s: %w", id, err)
	}
	if len(h) == 0 {
		return Run{}, fmt.Errorf("%w %q", ErrUnknownRun, id)
	}
	r := parseRun(id, h)
	for _, t := range []*time.Time{&r.Planned, &r.Fired, &r.FinishedAt, &r.CancelledAt} {
		if !t.IsZero() && s.loc != nil {
			*t = t.In(s.loc)
		}
	}
	return r, nil
}

// history returns up to limit runs, newest first, optionally of one sweep.
func (s store) history(ctx context.Context, sweep string, limit int) ([]Run, error) {
	var out []Run
	const page = 200
	for start := int64(0); len(out) < limit; start += page {
		ids, err := s.rdb.ZRevRange(ctx, runsKey, start, start+page-1).Result()
		if err != nil {
			return nil, fmt.Errorf("schedule: history: %w", err)
		}
		for _, id := range ids {
			if sweep != "" && !strings.HasPrefix(id, sweep+"-") {
				continue
			}
			r, err := s.get(ctx, id)
			if errors.Is(err, ErrUnknownRun) {
				continue
			}
			if err != nil {
				return nil, err
			}
			if sweep != "" && r.Sweep != sweep {
				continue
			}
			if out = append(out, r); len(out) == limit {
				break
			}
		}
		if len(ids) < page {
			break
		}
	}
	return out, nil
}

func (s store) active(ctx context.Context) ([]string, error) {
	ids, err := s.rdb.SMembers(ctx, activeKey).Result()
	if err != nil {
		return nil, fmt.Errorf("schedule: active runs: %w", err)
	}
	return ids, nil
}

// sweepState returns the sweeps hash split per sweep.
func (s store) sweepState(ctx context.Context) (map[string]map[string]string, error) {
	h, err := s.rdb.HGetAll(ctx, sweepsKey).Result()
	if err != nil {
		return nil, fmt.Errorf("schedule: sweep state: %w", err)
	}
	out := map[string]map[string]string{}
	for k, v := range h {
		sweep, what, ok := strings.Cut(k, "|")
		if !ok {
			continue
		}
		if out[sweep] == nil {
			out[sweep] = map[string]string{}
		}
		out[sweep][what] = v
	}
	return out, nil
}

// trim deletes the oldest run records beyond keep, except running ones.
func (s store) trim(ctx context.Context, keep int) error {
	n, err := s.rdb.ZCard(ctx, runsKey).Result()
	if err != nil || n <= int64(keep) {
		return err
	}
	old, err := s.rdb.ZRange(ctx, runsKey, 0, n-int64(keep)-1).Result()
	if err != nil {
		return fmt.Errorf("schedule: trim history: %w", err)
	}
	for _, id := range old {
		if running, _ := s.rdb.SIsMember(ctx, activeKey, id).Result(); running {
			continue
		}
		if err := s.rdb.Del(ctx, runKey(id)).Err(); err != nil {
			return fmt.Errorf("schedule: trim history: %w", err)
		}
		s.rdb.ZRem(ctx, runsKey, id)
	}
	return nil
}
