package queue

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Pausing a blocked site. When a site serves a block page (a slider check,
// a login wall: crawler.ErrBlocked), the worker gives the task back and
// calls PauseSite: the site's fleet-wide token bucket (the one politeness
// mechanism, mw:{s:SITE}:bucket) gets a pause, and leaseScript hands out
// none of the site's tasks until it ends. It is a circuit breaker with
// exponential backoff: each block while the breaker is open or soon after
// it closed doubles the pause (PauseBase, 2·PauseBase, … up to PauseMax);
// a quiet spell as long as the last pause after it ended starts again from
// PauseBase. `markwatch queue resume SITE` closes it at once. The pause
// fields live in the bucket hash:
//
//	paused_until (ms), paused_at (ms), strikes, reason

// SitePauser pauses and resumes a site for the whole fleet. Both frontiers
// implement it.
type SitePauser interface {
	// PauseSite pauses site after a block page (reason says which marker);
	// it returns when the pause ends and how many blocks in a row it counts.
	PauseSite(ctx context.Context, site, reason string) (until time.Time, strikes int, err error)
	// ResumeSite lifts a site's pause and forgets its strikes.
	ResumeSite(ctx context.Context, site string) error
	// SiteStates lists every known site with its pause, if any.
	SiteStates(ctx context.Context) ([]SiteState, error)
}

// SiteState is a site's pause as `markwatch queue sites` shows it.
type SiteState struct {
	Site        string    `json:"site"`
	Paused      bool      `json:"paused"`
	PausedUntil time.Time `json:"paused_until,omitzero"`
	PausedAt    time.Time `json:"paused_at,omitzero"`
	Strikes     int       `json:"strikes,omitempty"`
	Reason      string    `json:"reason,omitempty"`
}

// pauseLength is the pause after strikes blocks in a row.
func pauseLength(base, ceiling time.Duration, strikes int) time.Duration {
	d := base << min(max(strikes-1, 0), 30)
	if d <= 0 || d > ceiling {
		d = ceiling
	}
	return d
}

// pauseScript opens (or deepens) a site's circuit breaker.
//
//	KEYS[1] bucket hash
//	ARGV[1] now (ms)  ARGV[2] base (ms)  ARGV[3] max (ms)  ARGV[4] reason
//	returns {paused_until (ms), strikes}
var pauseScript = redis.NewScript(`
local now, base, cap = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'paused_until', 'paused_at', 'strikes')
local untilMs, at, strikes = tonumber(b[1]) or 0, tonumber(b[2]) or 0, tonumber(b[3]) or 0
if untilMs > 0 and now > untilMs + (untilMs - at) then
  strikes = 0 -- quiet for as long as the last pause: start again
end
if untilMs > now and at > 0 and now - at < 1000 then
  -- Workers that were already fetching when the site blocked report the
  -- same block: one strike, not one per page in flight.
  return {untilMs, strikes}
end
strikes = strikes + 1
local d = base
for i = 2, strikes do
  d = d * 2
  if d >= cap then d = cap break end
end
if d > cap then d = cap end
local newUntil = math.max(untilMs, now + d)
redis.call('HSET', KEYS[1], 'paused_until', newUntil, 'paused_at', now, 'strikes', strikes, 'reason', ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.max(86400000, 2 * (newUntil - now)))
return {newUntil, strikes}
`)

// PauseSite implements SitePauser.
func (r *Redis) PauseSite(ctx context.Context, site, reason string) (time.Time, int, error) {
	if err := checkName("site", site); err != nil {
		return time.Time{}, 0, fmt.Errorf("queue: pause: %w", err)
	}
	now := r.opts.Now()
	res, err := pauseScript.Run(ctx, r.client, []string{r.siteKeys(site).bucket},
		ms(now), r.opts.PauseBase.Milliseconds(), r.opts.PauseMax.Milliseconds(), reason).Int64Slice()
	if err != nil || len(res) != 2 {
		return time.Time{}, 0, fmt.Errorf("queue: pause site %s: %v %w", site, res, err)
	}
	return time.UnixMilli(res[0]), int(res[1]), nil
}

// ResumeSite implements SitePauser.
func (r *Redis) ResumeSite(ctx context.Context, site string) error {
	if err := checkName("site", site); err != nil {
		return fmt.Errorf("queue: resume: %w", err)
	}
	if err := r.client.HDel(ctx, r.siteKeys(site).bucket, "paused_until", "paused_at", "strikes", "reason").Err(); err != nil {
		return fmt.Errorf("queue: resume site %s: %w", site, err)
	}
	r.wake(site)
	return nil
}

// SiteStates implements SitePauser.
func (r *Redis) SiteStates(ctx context.Context) ([]SiteState, error) {
	return SiteStates(ctx, r.client, r.opts.Now())
}

// SiteStates reads every known site's pause from Redis (for the metrics
// collector and `markwatch queue sites`).
func SiteStates(ctx context.Context, client redis.UniversalClient, now time.Time) ([]SiteState, error) {
	sites, err := client.ZRange(ctx, sitesKey, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("queue: list sites: %w", err)
	}
	cmds := make([]*redis.SliceCmd, len(sites))
	_, err = client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, s := range sites {
			cmds[i] = p.HMGet(ctx, newSiteKeys(s).bucket, "paused_until", "paused_at", "strikes", "reason")
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("queue: read site pauses: %w", err)
	}
	out := make([]SiteState, 0, len(sites))
	for i, s := range sites {
		st := SiteState{Site: s}
		v := cmds[i].Val()
		num := func(j int) int64 {
			if j < len(v) {
				if t, ok := v[j].(string); ok {
					n, _ := strconv.ParseInt(t, 10, 64)
					return n
				}
			}
			return 0
		}
		if u := num(0); u > 0 {
			st.PausedUntil, st.PausedAt = time.UnixMilli(u), time.UnixMilli(num(1))
			st.Strikes = int(num(2))
			if len(v) > 3 {
				st.Reason, _ = v[3].(string)
			}
			st.Paused = now.Before(st.PausedUntil)
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Site < out[j].Site })
	return out, nil
}

// PauseSite implements SitePauser for the in-process frontier.
func (m *Memory) PauseSite(ctx context.Context, site, reason string) (time.Time, int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return time.Time{}, 0, ErrClosed
	}
	now := m.opts.Now()
	s := m.site(site)
	if !s.pausedUntil.IsZero() && now.After(s.pausedUntil.Add(s.pausedUntil.Sub(s.pausedAt))) {
		s.strikes = 0
	}
	if now.Before(s.pausedUntil) && now.Sub(s.pausedAt) < time.Second {
		return s.pausedUntil, s.strikes, nil
	}
	s.strikes++
	until := now.Add(pauseLength(m.opts.PauseBase, m.opts.PauseMax, s.strikes))
	if until.After(s.pausedUntil) {
		s.pausedUntil = until
	}
	s.pausedAt, s.pauseReason = now, reason
	return s.pausedUntil, s.strikes, nil
}

// ResumeSite implements SitePauser.
func (m *Memory) ResumeSite(ctx context.Context, site string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.sites[site]; s != nil {
		s.pausedUntil, s.pausedAt, s.strikes, s.pauseReason = time.Time{}, time.Time{}, 0, ""
	}
	return nil
}

// SiteStates implements SitePauser.
func (m *Memory) SiteStates(ctx context.Context) ([]SiteState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.opts.Now()
	out := make([]SiteState, 0, len(m.sites))
	for _, s := range m.sites {
		st := SiteState{Site: s.name}
		if !s.pausedUntil.IsZero() {
			st.PausedUntil, st.PausedAt, st.Strikes, st.Reason = s.pausedUntil, s.pausedAt, s.strikes, s.pauseReason
			st.Paused = now.Before(s.pausedUntil)
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Site < out[j].Site })
	return out, nil
}

var (
	_ SitePauser = (*Redis)(nil)
	_ SitePauser = (*Memory)(nil)
)
