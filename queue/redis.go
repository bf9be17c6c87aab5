package queue

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/redis/go-redis/v9"
)

// Redis is the frontier a fleet of workers shares: one Redis server,
// Sentinel or Cluster, reached through redis.UniversalClient. See the
// package documentation ("The Redis design") and keys.go for the layout.
type Redis struct {
	client redis.UniversalClient
	opts   Options
	// cancelBudget is how many entries one cancelScript call looks at
	// (cancelBudget; tests lower it to cross call boundaries).
	cancelBudget int

	mu          sync.Mutex
	keys        map[string]*siteKeys
	sites       []siteOrder
	sitesAt     time.Time
	lastRecover time.Time
	registered  map[[2]string]time.Time // (site, run) → when registered
	siteBand    map[string]int          // highest band this process registered per site
	skipUntil   map[string]time.Time    // sites this process skips in Lease (see emptySkip)
	cancelled   map[string]bool         // runs this process knows are cancelled (cancel.go)
	// leaseChecked: CheckLease found this process's lease to be the
	// fleet's (fleetlease.go); the heartbeat keeps it recorded.
	leaseChecked bool

	stop chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

type siteOrder struct {
	name string
	band int
}

// NewRedis returns a frontier on client. Call Start to run the background
// recoverer and heartbeat, and Close when done (the client stays open).
func NewRedis(client redis.UniversalClient, opts Options) *Redis {
	opts = opts.withDefaults()
	if opts.Consumer == "" {
		host, _ := os.Hostname()
		opts.Consumer = fmt.Sprintf("%s-%d-%04x", host, os.Getpid(), rand.IntN(1<<16))
	}
	if b := FailoverBudget(client); b >= opts.Lease {
		// An ack retried through a failover for longer than the lease
		// may find its lease recovered and the page handed out again.
		opts.Logger.Warn("the Redis failover budget is not below the lease: acks retried through a failover may come too late", "failover_budget", b.String(), "lease", opts.Lease.String())
	}
	return &Redis{client: client, opts: opts, keys: map[string]*siteKeys{}, registered: map[[2]string]time.Time{}, siteBand: map[string]int{}, skipUntil: map[string]time.Time{}, cancelled: map[string]bool{}, cancelBudget: cancelBudget, stop: make(chan struct{})}
}

// Consumer is this frontier's name in consumer groups and the worker registry.
func (r *Redis) Consumer() string { return r.opts.Consumer }

func (r *Redis) siteKeys(site string) *siteKeys {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := r.keys[site]
	if k == nil {
		k = newSiteKeys(site)
		r.keys[site] = k
	}
	return k
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// Add implements Frontier. Tasks are grouped by site and run; each group is
// one addScript call.
func (r *Redis) Add(ctx context.Context, tasks ...markwatch.Task) (int, error) {
	type group struct {
		site, run string
		tracking  []string
		items     []addItem
		maxBand   int
		cancelled *redis.StringCmd
		seeds     []string // dedup hashes of the group's seed tasks (seeds.go)
	}
	var order []*group
	groups := map[[2]string]*group{}
	now := r.opts.Now()
	var g *group
	var scratch [256]byte
	for i := range tasks {
		t := &tasks[i]
		if err := validateTask(*t); err != nil {
			return 0, err
		}
		if g == nil || g.site != t.Site || g.run != t.Run {
			if err := errors.Join(checkName("site", t.Site), checkName("run", t.Run)); err != nil {
				return 0, fmt.Errorf("queue: add: %w", err)
			}
			g = groups[[2]string{t.Site, t.Run}]
			if g == nil {
				g = &group{site: t.Site, run: t.Run, tracking: r.opts.TrackingParams(t.Site)}
				if len(order) == 0 {
					g.items = make([]addItem, 0, len(tasks))
				}
				groups[[2]string{t.Site, t.Run}] = g
				order = append(order, g)
			}
		}
		payload := string(appendTask(scratch[:0], t))
		var nb int64
		if t.NotBefore.After(now) {
			nb = ms(t.NotBefore)
		}
		b := band(t.Priority)
		g.maxBand = max(g.maxBand, b)
		hash := dedupHash(DedupKey(*t, g.tracking...))
		g.items = append(g.items, addItem{hash: hash, payload: payload, band: b, notBefore: nb})
		if isSeed(t) {
			g.seeds = append(g.seeds, hash)
		}
	}
	if len(order) == 0 {
		return 0, nil
	}
	// Register runs and sites first: these writes are idempotent, so a
	// crash between them and the scripts leaves nothing inconsistent. A
	// (site, run) pair is registered again (refreshing the TTLs) once a
	// minute, not on every Add.
	// The registration also reads whether the run was cancelled (see
	// cancel.go for why it must be in the same pipeline); tasks of a run
	// known to be cancelled are dropped here.
	ttl := r.opts.RunTTL
	var register []*group
	r.mu.Lock()
	live := order[:0:0]
	for _, g := range order {
		if r.cancelled[g.run] {
			continue
		}
		live = append(live, g)
		if time.Since(r.registered[[2]string{g.site, g.run}]) > min(time.Minute, ttl/10) {
			register = append(register, g)
		}
	}
	r.mu.Unlock()
	order = live
	if len(register) > 0 {
		cmds, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, g := range register {
				p.ZAddGT(ctx, sitesKey, redis.Z{Score: float64(g.maxBand), Member: g.site})
				p.ZAddNX(ctx, runsKey, redis.Z{Score: float64(ms(now)), Member: g.run})
				p.SAdd(ctx, runSitesKey(g.run), g.site)
				p.PExpire(ctx, runSitesKey(g.run), ttl)
				p.HSetNX(ctx, runMetaKey(g.run), "started", ms(now))
				p.PExpire(ctx, runMetaKey(g.run), ttl)
				g.cancelled = p.HGet(ctx, runMetaKey(g.run), "cancelled")
			}
			return nil
		})
		if err != nil { // the HGET of a run not cancelled answers redis.Nil
			err = nil
			for _, c := range cmds {
				if cerr := c.Err(); cerr != nil && !errors.Is(cerr, redis.Nil) {
					err = cerr
					break
				}
			}
		}
		if err != nil {
			return 0, fmt.Errorf("queue: add: register run: %w", err)
		}
		r.mu.Lock()
		for _, g := range register {
			r.registered[[2]string{g.site, g.run}] = time.Now()
			if g.cancelled.Val() != "" {
				r.cancelled[g.run] = true
			}
		}
		live := order[:0:0]
		for _, g := range order {
			if !r.cancelled[g.run] {
				live = append(live, g)
			}
		}
		order = live
		r.mu.Unlock()
	}
	if len(order) == 0 {
		return 0, nil
	}
	// A site's band (its place in Lease's site order) may have risen.
	for _, g := range order {
		maxBand := g.maxBand
		r.mu.Lock()
		known, ok := r.siteBand[g.site]
		if !ok || maxBand > known {
			r.siteBand[g.site] = maxBand
		}
		r.mu.Unlock()
		if ok && maxBand > known {
			if err := r.client.ZAddGT(ctx, sitesKey, redis.Z{Score: float64(maxBand), Member: g.site}).Err(); err != nil {
				return 0, fmt.Errorf("queue: add: register site %s: %w", g.site, err)
			}
		}
	}
	r.noteSites(order[0].site)
	total := 0
	for _, g := range order {
		k := r.siteKeys(g.site)
		keys := append([]string{k.seen(g.run), k.runs, k.delayed}, k.allStreams()...)
		// Lua's unpack bounds a call's arguments: at most addChunk tasks a call.
		for from := 0; from < len(g.items); from += addChunk {
			chunk := g.items[from:min(len(g.items), from+addChunk)]
			var n int
			add := func(ctx context.Context, c redis.Cmdable) error {
				var err error
				n, err = addScript.Run(ctx, c, keys, addArgs(ms(now), ttl.Milliseconds(), g.run, chunk)...).Int()
				return err
			}
			var err error
			if len(g.seeds) > 0 {
				// Seeds are confirmed on replicas (durable.go).
				err = durably(ctx, r.client, k.runs, add)
			} else {
				err = add(ctx, r.client)
			}
			if err != nil {
				return total, fmt.Errorf("queue: add %d tasks to site %s run %s: %w", len(chunk), g.site, g.run, err)
			}
			total += n
		}
		r.wake(g.site)
	}
	var seeds []seedGroup
	for _, g := range order {
		if len(g.seeds) > 0 {
			seeds = append(seeds, seedGroup{site: g.site, run: g.run, hashes: g.seeds})
		}
	}
	if err := r.recordSeeds(ctx, seeds); err != nil {
		return total, err
	}
	return total, nil
}

const addChunk = 1000

// addItem is one task of an addScript call.
type addItem struct {
	hash, payload string
	band          int
	notBefore     int64 // ms; 0: ready now
}

// addArgs lays out addScript's ARGV: consecutive items of the same band
// and not-before share a section header.
func addArgs(now, ttl int64, run string, items []addItem) []any {
	args := make([]any, 0, 3+2*len(items)+6)
	args = append(args, now, ttl, run)
	for i := 0; i < len(items); {
		j := i + 1
		for j < len(items) && items[j].band == items[i].band && items[j].notBefore == items[i].notBefore {
			j++
		}
		args = append(args, items[i].band, items[i].notBefore, j-i)
		for _, it := range items[i:j] {
			args = append(args, it.hash, it.payload)
		}
		i = j
	}
	return args
}

// bySite groups tasks by site, keeping order.
func bySite(tasks []markwatch.Task) ([]string, map[string][]markwatch.Task) {
	var sites []string
	m := map[string][]markwatch.Task{}
	for _, t := range tasks {
		if _, ok := m[t.Site]; !ok {
			sites = append(sites, t.Site)
		}
		m[t.Site] = append(m[t.Site], t)
	}
	return sites, m
}

// perTask runs releaseScript for tasks, one call per site, and reports the
// tasks whose lease was lost.
func (r *Redis) perTask(ctx context.Context, op string, script *redis.Script, tasks []markwatch.Task) error {
	sites, groups := bySite(tasks)
	var lost []string
	var errs []error
	for _, site := range sites {
		k := r.siteKeys(site)
		keys := []string{k.runs}
		args := []any{ms(r.opts.Now()), r.opts.Consumer}
		for _, t := range groups[site] {
			b, id, err := parseTaskID(t.ID)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			keys = append(keys, k.streams[b])
			args = append(args, id, t.Run)
		}
		if len(keys) == 1 {
			continue
		}
		res, err := script.Run(ctx, r.client, keys, args...).Int64Slice()
		if err != nil {
			errs = append(errs, fmt.Errorf("queue: %s %d tasks of site %s: %w", op, len(keys)-1, site, err))
			continue
		}
		for i, ok := range res {
			if ok == 0 {
				lost = append(lost, keys[i+1]+" "+args[2+2*i].(string))
			}
		}
	}
	if len(lost) > 0 {
		errs = append(errs, fmt.Errorf("queue: %s %v: %w", op, lost, ErrLeaseLost))
	}
	return errors.Join(errs...)
}

// Ack implements Frontier: one ackScript call per site, the site's tasks
// grouped by stream and run, each group one XACK. The run's counters stay
// exact; when a group of several tasks comes back short, the ErrLeaseLost
// names the group and how many of its leases were lost (XACK counts, it
// does not say which).
func (r *Redis) Ack(ctx context.Context, tasks ...markwatch.Task) error {
	type group struct {
		stream, run string
		ids         []string
		tasks       []markwatch.Task
	}
	var errs []error
	var lost []string
	var sites []string
	for i := range tasks {
		if !slices.Contains(sites, tasks[i].Site) {
			sites = append(sites, tasks[i].Site)
		}
	}
	for _, site := range sites {
		k := r.siteKeys(site)
		var groups []*group
		index := map[[2]string]*group{}
		for i := range tasks {
			t := &tasks[i]
			if t.Site != site {
				continue
			}
			b, id, err := parseTaskID(t.ID)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			g := index[[2]string{k.streams[b], t.Run}]
			if g == nil || len(g.ids) >= ackChunk {
				g = &group{stream: k.streams[b], run: t.Run}
				index[[2]string{g.stream, g.run}] = g
				groups = append(groups, g)
			}
			if g.ids == nil {
				g.ids = make([]string, 0, min(len(tasks), 128))
			}
			g.ids = append(g.ids, id)
			g.tasks = append(g.tasks, *t)
		}
		for len(groups) > 0 {
			// Lua's unpack bounds a call's arguments: at most ackChunk ids a call.
			var call []*group
			n := 0
			for len(groups) > 0 && (len(call) == 0 || n+len(groups[0].ids) <= ackChunk) {
				n += len(groups[0].ids)
				call, groups = append(call, groups[0]), groups[1:]
			}
			keys := []string{k.runs}
			slot := map[string]int{}
			args := make([]any, 0, 2+5*len(call)+n)
			args = append(args, ms(r.opts.Now()), r.opts.Consumer)
			for _, g := range call {
				if slot[g.stream] == 0 {
					keys = append(keys, g.stream)
					slot[g.stream] = len(keys)
				}
				lo, hi := idRange(g.ids)
				args = append(args, slot[g.stream], g.run, len(g.ids), lo, hi)
				for _, id := range g.ids {
					args = append(args, id)
				}
			}
			var res []int64
			err := confirmed(ctx, r.client, k.runs, func(ctx context.Context, c redis.Cmdable) (bool, error) {
				var err error
				res, err = ackScript.Run(ctx, c, keys, args...).Int64Slice()
				return slices.ContainsFunc(res, func(n int64) bool { return n > 0 }), err
			})
			if errors.Is(err, errUnconfirmed) {
				// The master may have died with these acks, and with the
				// follow-up tasks this worker added just before them (on
				// the same master, not confirmed on their own). An ack is
				// therefore not made again: a task the promoted master
				// still leases to this consumer (its ack rolled back) is
				// given back and fetched again, which adds its follow-ups
				// again (dedup keeps the ones that survived single). An ack
				// that survived leaves nothing leased: Release finds it
				// lost, which is the outcome wanted.
				var again []markwatch.Task
				for _, g := range call {
					again = append(again, g.tasks...)
				}
				err = r.Release(ctx, again...)
				if errors.Is(err, ErrLeaseLost) {
					err = nil
				}
				r.opts.Logger.Warn("acks not confirmed before a failover; tasks still leased here are given back to be fetched again",
					"site", site, "tasks", len(again), "err", err)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("queue: ack %d tasks of site %s: %w", n, site, err))
				continue
			}
			for i, g := range call {
				if i < len(res) && int(res[i]) < len(g.ids) {
					if len(g.ids) == 1 {
						lost = append(lost, g.stream+" "+g.ids[0])
					} else {
						lost = append(lost, fmt.Sprintf("%d of %s %v", len(g.ids)-int(res[i]), g.stream, g.ids))
					}
				}
			}
		}
	}
	if len(lost) > 0 {
		errs = append(errs, fmt.Errorf("queue: ack %v: %w", lost, ErrLeaseLost))
	}
	return errors.Join(errs...)
}

const ackChunk = 1000

// idRange returns the lowest and highest of stream ids (ms-seq).
func idRange(ids []string) (lo, hi string) {
	lo, hi = ids[0], ids[0]
	for _, id := range ids[1:] {
		if idLess(id, lo) {
			lo = id
		}
		if idLess(hi, id) {
			hi = id
		}
	}
	return lo, hi
}

func idLess(a, b string) bool {
	am, as, _ := strings.Cut(a, "-")
	bm, bs, _ := strings.Cut(b, "-")
	if len(am) != len(bm) {
		return len(am) < len(bm)
	}
	if am != bm {
		return am < bm
	}
	if len(as) != len(bs) {
		return len(as) < len(bs)
	}
	return as < bs
}

// Release implements Frontier.
func (r *Redis) Release(ctx context.Context, tasks ...markwatch.Task) error {
	sites, _ := bySite(tasks)
	defer r.wake(sites...)
	return r.perTask(ctx, "release", releaseScript, tasks)
}

// Extend implements Frontier: extendScript per stream renews the leases
// this consumer holds (and only those).
func (r *Redis) Extend(ctx context.Context, tasks ...markwatch.Task) error {
	_, lost, err := r.extend(ctx, tasks)
	if err != nil {
		return err
	}
	if len(lost) > 0 {
		return fmt.Errorf("queue: extend %v: %w", lost, ErrLeaseLost)
	}
	return nil
}

// held renews the leases of tasks this consumer holds and returns those
// tasks (the others' leases are lost).
func (r *Redis) held(ctx context.Context, tasks []markwatch.Task) ([]markwatch.Task, error) {
	kept, _, err := r.extend(ctx, tasks)
	return kept, err
}

// extend renews the leases this consumer holds among tasks: it returns the
// tasks renewed and the "stream id" of the others.
func (r *Redis) extend(ctx context.Context, tasks []markwatch.Task) (kept []markwatch.Task, lost []string, err error) {
	type claim struct {
		stream string
		ids    []string
	}
	claims := map[string]*claim{}
	var order []*claim
	for _, t := range tasks {
		b, id, err := parseTaskID(t.ID)
		if err != nil {
			return nil, nil, err
		}
		stream := r.siteKeys(t.Site).streams[b]
		c := claims[stream]
		if c == nil {
			c = &claim{stream: stream}
			claims[stream] = c
			order = append(order, c)
		}
		c.ids = append(c.ids, id)
	}
	held := map[string]bool{}
	for _, c := range order {
		args := make([]any, 0, 1+len(c.ids))
		args = append(args, r.opts.Consumer)
		for _, id := range c.ids {
			args = append(args, id)
		}
		ids, err := extendScript.Run(ctx, r.client, []string{c.stream}, args...).StringSlice()
		if err != nil {
			return nil, nil, fmt.Errorf("queue: extend %d leases: %w", len(tasks), err)
		}
		got := map[string]bool{}
		for _, id := range ids {
			got[id] = true
		}
		for _, id := range c.ids {
			if got[id] {
				held[c.stream+" "+id] = true
			} else {
				lost = append(lost, c.stream+" "+id)
			}
		}
	}
	for _, t := range tasks {
		b, id, _ := parseTaskID(t.ID)
		if held[r.siteKeys(t.Site).streams[b]+" "+id] {
			kept = append(kept, t)
		}
	}
	return kept, lost, nil
}

// Nack implements Frontier.
func (r *Redis) Nack(ctx context.Context, t markwatch.Task, cause error, retry bool, delay time.Duration) error {
	t.Attempt++
	if cause != nil {
		t.LastError = cause.Error()
	}
	payload, err := encodeTask(t)
	if err != nil {
		return fmt.Errorf("queue: nack %s: %w", t.ID, err)
	}
	dead := !retry || t.Attempt > r.opts.Retries
	if err := r.nack(ctx, t, payload, cause, !dead, delay); err != nil {
		return err
	}
	if dead {
		r.opts.Metrics.deadLettered(t.Site)
		r.opts.Logger.Warn("task dead-lettered", "run", t.Run, "site", t.Site, "task", t.ID, "attempt", t.Attempt, "err", t.LastError)
	}
	return nil
}

func (r *Redis) nack(ctx context.Context, t markwatch.Task, payload string, cause error, retry bool, delay time.Duration) error {
	b, id, err := parseTaskID(t.ID)
	if err != nil {
		return err
	}
	k := r.siteKeys(t.Site)
	now := r.opts.Now()
	mode := "dead"
	if retry {
		mode = "retry"
	}
	keys := []string{k.runs, k.delayed, k.dead, k.streams[b]}
	ok, err := nackScript.Run(ctx, r.client, keys, ms(now), id, t.Run, b, payload, mode, ms(now.Add(delay)), t.ID, r.opts.Consumer).Int()
	if err != nil {
		return fmt.Errorf("queue: nack %s of site %s: %w", t.ID, t.Site, err)
	}
	if ok == 0 {
		return fmt.Errorf("queue: nack %s of site %s: %w", t.ID, t.Site, ErrLeaseLost)
	}
	r.wake(t.Site)
	return nil
}

// Record implements Frontier. Progress goes to the run's own slot; a page
// processed twice (a lease that expired mid-way) is counted twice.
func (r *Redis) Record(ctx context.Context, run string, p Progress) error {
	key := runMetaKey(run)
	_, err := r.client.Pipelined(ctx, func(pl redis.Pipeliner) error {
		pl.HIncrBy(ctx, key, "pages", p.Pages)
		pl.HIncrBy(ctx, key, "listings", p.Listings)
		pl.HIncrBy(ctx, key, "suspects", p.Suspects)
		pl.PExpire(ctx, key, r.opts.RunTTL)
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue: record progress of run %s: %w", run, err)
	}
	return nil
}

// Stats implements Frontier: the run's meta plus the sum of its counters on
// every site it has tasks on.
func (r *Redis) Stats(ctx context.Context, run string) (RunStats, error) {
	sites, err := r.client.SMembers(ctx, runSitesKey(run)).Result()
	if err != nil {
		return RunStats{}, fmt.Errorf("queue: stats of run %s: %w", run, err)
	}
	// The queue counters are read before the meta: a worker records a
	// page's progress before it acks the task, so this order never shows
	// more tasks done than pages recorded.
	fields := []string{"q", "l", "d", "f", "x", "i", "c"}
	names := make([]string, len(fields))
	for j, f := range fields {
		names[j] = runField(run, f)
	}
	cmds := make([]*redis.SliceCmd, len(sites))
	if len(sites) > 0 {
		_, err = r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, site := range sites {
				cmds[i] = p.HMGet(ctx, r.siteKeys(site).runs, names...)
			}
			return nil
		})
		if err != nil {
			return RunStats{}, fmt.Errorf("queue: stats of run %s: %w", run, err)
		}
	}
	meta, err := r.client.HGetAll(ctx, runMetaKey(run)).Result()
	if err != nil {
		return RunStats{}, fmt.Errorf("queue: stats of run %s: %w", run, err)
	}
	if _, cancelledOnly := meta["cancelled"]; (len(meta) == 0 || cancelledOnly && len(meta) == 1) && len(sites) == 0 {
		return RunStats{}, fmt.Errorf("queue: stats of run %q: %w", run, ErrUnknownRun)
	}
	st := RunStats{Run: run}
	num := func(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }
	st.Pages, st.Listings, st.Suspects = num(meta["pages"]), num(meta["listings"]), num(meta["suspects"])
	if v := num(meta["started"]); v > 0 {
		st.Started = time.UnixMilli(v)
	}
	if v := num(meta["cancelled"]); v > 0 {
		st.CancelledAt = time.UnixMilli(v)
	}
	var idleAt int64
	for _, c := range cmds {
		v := c.Val()
		get := func(i int) int64 {
			s, _ := v[i].(string)
			return num(s)
		}
		st.Queued += get(0)
		st.Leased += get(1)
		st.Done += get(2)
		st.Failed += get(3)
		st.Dead += get(4)
		idleAt = max(idleAt, get(5))
		st.Cancelled += get(6)
	}
	if st.CancelledAt.IsZero() {
		// A cancelled run may have refused seeds it then recorded.
		if st.LostSeeds, err = r.lostSeeds(ctx, run); err != nil {
			return RunStats{}, err
		}
	}
	if st.RolledBack, err = r.rollback(ctx, run); err != nil {
		return RunStats{}, err
	}
	st.Finished = st.Queued <= 0 && st.Leased <= 0 && st.LostSeeds == 0 && st.RolledBack == nil
	if st.Finished && idleAt > 0 {
		st.FinishedAt = time.UnixMilli(idleAt)
	}
	return st, nil
}

// Runs implements Inspector.
func (r *Redis) Runs(ctx context.Context) ([]string, error) {
	runs, err := r.client.ZRange(ctx, runsKey, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("queue: list runs: %w", err)
	}
	return runs, nil
}

// Sites lists the sites the frontier has queued tasks for.
func (r *Redis) Sites(ctx context.Context) ([]string, error) {
	sites, err := r.client.ZRange(ctx, sitesKey, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("queue: list sites: %w", err)
	}
	return sites, nil
}

func (r *Redis) sitesOr(ctx context.Context, site string) ([]string, error) {
	if site != "" {
		return []string{site}, nil
	}
	return r.Sites(ctx)
}

// DeadLetters implements Inspector.
func (r *Redis) DeadLetters(ctx context.Context, site string) ([]DeadLetter, error) {
	sites, err := r.sitesOr(ctx, site)
	if err != nil {
		return nil, err
	}
	var out []DeadLetter
	for _, s := range sites {
		all, err := r.client.HGetAll(ctx, r.siteKeys(s).dead).Result()
		if err != nil {
			return nil, fmt.Errorf("queue: dead letters of site %s: %w", s, err)
		}
		for id, v := range all {
			d, err := parseDead(s, id, v)
			if err != nil {
				return nil, err
			}
			out = append(out, d)
		}
	}
	sortDead(out)
	return out, nil
}

func parseDead(site, id, v string) (DeadLetter, error) {
	p := strings.SplitN(v, sep, 4)
	if len(p) != 4 {
		return DeadLetter{}, fmt.Errorf("queue: malformed dead letter %s of site %s", id, site)
	}
	t, err := decodeTask(site, p[1], id, p[3])
	if err != nil {
		// Keep what is known so that an operator can see it.
		t = markwatch.Task{ID: id, Site: site, Run: p[1], LastError: "undecodable payload: " + p[3]}
	}
	died, _ := strconv.ParseInt(p[2], 10, 64)
	return DeadLetter{Task: t, DiedAt: time.UnixMilli(died)}, nil
}

// Requeue implements Inspector.
func (r *Redis) Requeue(ctx context.Context, site string, ids ...string) (int, error) {
	dead, err := r.DeadLetters(ctx, site)
	if err != nil {
		return 0, err
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	args := map[string][]any{}
	var sites []string
	for _, d := range dead {
		if len(ids) > 0 && !want[d.Task.ID] {
			continue
		}
		t := d.Task
		t.Attempt, t.NotBefore = 0, time.Time{}
		payload, err := encodeTask(t)
		if err != nil {
			return 0, fmt.Errorf("queue: requeue %s: %w", t.ID, err)
		}
		if _, ok := args[t.Site]; !ok {
			sites = append(sites, t.Site)
		}
		args[t.Site] = append(args[t.Site], t.ID, band(t.Priority), t.Run, payload)
	}
	total := 0
	for _, s := range sites {
		k := r.siteKeys(s)
		n, err := requeueScript.Run(ctx, r.client, append([]string{k.runs, k.dead}, k.allStreams()...), args[s]...).Int()
		if err != nil {
			return total, fmt.Errorf("queue: requeue dead letters of site %s: %w", s, err)
		}
		r.wake(s)
		total += n
	}
	return total, nil
}

var (
	_ Frontier  = (*Redis)(nil)
	_ Inspector = (*Redis)(nil)
)
