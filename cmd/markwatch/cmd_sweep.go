package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/crawler"
	"github.com/markwatch/markwatch/matchers"
	"github.com/markwatch/markwatch/obs"
	"github.com/markwatch/markwatch/queue"
	"github.com/markwatch/markwatch/schedule"
	"github.com/markwatch/markwatch/schedule/calendar"
)

// SchedulerCmd fires due sweep runs.
type SchedulerCmd struct {
	Redis    string        `help:"Redis URL (default: the config's)." placeholder:"URL"`
	Metrics  string        `help:"Address for /metrics, /healthz, /readyz." default:"127.0.0.1:9102"`
	Interval time.Duration `help:"How often to look for due runs." default:"5s"`
	Lease    time.Duration `help:"Scheduler lease TTL: a standby takes over within about this long after the leader dies." default:"15s"`
	CatchUp  time.Duration `name:"catch-up" help:"After downtime, fire a missed run once if it is at most this old; older ones are dropped." default:"72h"`
}

func (c *SchedulerCmd) Run(g *Globals) error {
	ctx, stop := signalContext()
	defer stop()
	reg := obs.NewRegistry()
	env, err := sweepSetup(g, c.Redis, true, schedule.NewMetrics(reg), func(p *schedule.Params) {
		p.Interval, p.LeaseTTL, p.CatchUp = c.Interval, c.Lease, c.CatchUp
	})
	if err != nil {
		return err
	}
	defer env.close()
	health := &obs.Health{}
	health.Add("redis", func(ctx context.Context) error { return env.rdb.Ping(ctx).Err() })
	serveErr := make(chan error, 1)
	go func() { serveErr <- obs.Serve(ctx, c.Metrics, obs.Mux(reg, health)) }()
	var wg sync.WaitGroup
	env.sched.Start(&wg)
	env.log.Info("scheduler serving metrics", "addr", c.Metrics, "owner", env.sched.Owner())
	select {
	case <-ctx.Done():
	case err = <-serveErr:
		err = fmt.Errorf("metrics server: %w", err)
	}
	env.sched.Shutdown()
	wg.Wait()
	return err
}

// SweepCmd groups sweep commands.
type SweepCmd struct {
	Plan    SweepPlanCmd    `cmd:"" help:"Show each sweep's dated windows and run times."`
	Run     SweepRunCmd     `cmd:"" help:"Fire a sweep now."`
	Status  SweepStatusCmd  `cmd:"" help:"Show a run's progress."`
	Cancel  SweepCancelCmd  `cmd:"" help:"Cancel a run: queued tasks dropped, leased ones finish."`
	History SweepHistoryCmd `cmd:"" help:"List fired runs."`
}

// SweepPlanCmd prints the plan.
type SweepPlanCmd struct {
	From  string `help:"First date (YYYY-MM-DD, default today in Asia/Shanghai)."`
	To    string `help:"Last date (YYYY-MM-DD, default a year from From)."`
	Sweep string `help:"Only this sweep."`
	JSON  bool   `help:"Print JSON (times RFC 3339 in the sweeps' time zone, Asia/Shanghai by default)."`
}

func (c *SweepPlanCmd) Run(g *Globals) error {
	cfg, err := g.Load()
	if err != nil {
		return err
	}
	sites, siteErr := sweepSiteNames(cfg)
	if siteErr != nil {
		fmt.Fprintf(g.stderr, "markwatch: warning: site adapters not checked: %v\n", siteErr)
	}
	file, err := schedule.Load(cfg.SweepsLocation(), schedule.LoadOptions{Sites: sites})
	if err != nil {
		return err
	}
	loc := file.Location()
	from := calendar.DateOf(time.Now().In(loc))
	if c.From != "" {
		if from, err = calendar.ParseDate(c.From); err != nil {
			return fmt.Errorf("--from: %w", err)
		}
	}
	to := calendar.NewDate(from.Year+1, from.Month, from.Day-1)
	if c.To != "" {
		if to, err = calendar.ParseDate(c.To); err != nil {
			return fmt.Errorf("--to: %w", err)
		}
	}
	if to.Before(from) {
		return fmt.Errorf("--to %s is before --from %s", to, from)
	}
	if c.Sweep != "" {
		sw := file.Sweep(c.Sweep)
		if sw == nil {
			return fmt.Errorf("%w %q (known: %s)", schedule.ErrUnknownSweep, c.Sweep, strings.Join(file.SweepNames(), ", "))
		}
		file.Sweeps = []*schedule.Sweep{sw}
	}
	plan, err := file.Plan(&calendar.Lunar{}, from.In(loc), to.AddDays(1).In(loc).Add(-time.Nanosecond))
	if err != nil {
		return err
	}
	for _, sp := range plan.Sweeps {
		for _, w := range sp.Windows {
			if w.Estimated {
				fmt.Fprintf(g.stderr, "markwatch: warning: %s: no official holiday arrangement for %d; the %s window is estimated from the festival day\n", sp.Name, w.Year, w.Holiday)
			}
		}
	}
	if c.JSON {
		return sweepJSON(g.stdout, plan)
	}
	printPlan(g.stdout, plan, from, to, noWindowReasons(file, plan, from, to))
	return nil
}

// noWindowReasons says, for each windowed sweep with no window in the
// range, why: it is disabled, or its next window opens after the range (or
// its last one closed before it), or it has none within two years.
func noWindowReasons(file *schedule.File, plan *schedule.Plan, from, to calendar.Date) map[string]string {
	loc := file.Location()
	const stamp = "2006-01-02 15:04"
	reasons := map[string]string{}
	for _, sp := range plan.Sweeps {
		if sp.AllYear || len(sp.Windows) > 0 {
			continue
		}
		if sp.Disabled {
			reasons[sp.Name] = "the sweep is disabled"
			continue
		}
		one := *file
		one.Sweeps = []*schedule.Sweep{file.Sweep(sp.Name)}
		name := func(w schedule.PlanWindow) string {
			if w.Holiday == "" {
				return "its date range"
			}
			return fmt.Sprintf("%s %d (%s – %s)", w.Holiday, w.Year, w.Dates.From, w.Dates.To)
		}
		after := to.AddDays(1).In(loc)
		if next, err := one.Plan(&calendar.Lunar{}, after, after.AddDate(2, 0, 0)); err == nil && len(next.Sweeps) == 1 && len(next.Sweeps[0].Windows) > 0 {
			w := next.Sweeps[0].Windows[0]
			reasons[sp.Name] = fmt.Sprintf("its next window, %s, opens %s, after %s", name(w), w.Start.Format(stamp), to)
			continue
		}
		before := from.In(loc)
		if prev, err := one.Plan(&calendar.Lunar{}, before.AddDate(-2, 0, 0), before.Add(-time.Nanosecond)); err == nil && len(prev.Sweeps) == 1 && len(prev.Sweeps[0].Windows) > 0 {
			w := prev.Sweeps[0].Windows[len(prev.Sweeps[0].Windows)-1]
			reasons[sp.Name] = fmt.Sprintf("its last window, %s, closed %s, before %s", name(w), w.End.Format(stamp), from)
			continue
		}
		reasons[sp.Name] = "it has no window within two years of the range"
	}
	return reasons
}

// printPlan prints every window in the range in date order, then each
// sweep with its runs, or why it has no window in the range.
func printPlan(w io.Writer, plan *schedule.Plan, from, to calendar.Date, reasons map[string]string) {
	fmt.Fprintf(w, "Sweep plan %s – %s (times in %s)\n", from, to, plan.Timezone)
	const stamp = "2006-01-02 15:04"
	type dated struct {
		sweep string
		win   schedule.PlanWindow
	}
	var all []dated
	for _, sp := range plan.Sweeps {
		for _, win := range sp.Windows {
			all = append(all, dated{sp.Name, win})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].win.Start.Before(all[j].win.Start) })
	fmt.Fprintln(w, "\nWindows in date order:")
	if len(all) == 0 {
		fmt.Fprintln(w, "  none in range")
	}
	for _, d := range all {
		what := "date range"
		if d.win.Holiday != "" {
			what = fmt.Sprintf("%s %d", d.win.Holiday, d.win.Year)
		}
		fmt.Fprintf(w, "  %s – %s  %-16s %s, %d run(s)\n", d.win.Start.Format(stamp), d.win.End.Format(stamp), d.sweep, what, len(d.win.Runs))
	}
	runs := func(ts []time.Time) string {
		switch len(ts) {
		case 0:
			return "no runs in range"
		case 1:
			return "1 run: " + ts[0].Format(stamp)
		case 2, 3:
			var s []string
			for _, t := range ts {
				s = append(s, t.Format(stamp))
			}
			return fmt.Sprintf("%d runs: %s", len(ts), strings.Join(s, ", "))
		}
		return fmt.Sprintf("%d runs: %s, %s, … %s", len(ts), ts[0].Format(stamp), ts[1].Format(stamp), ts[len(ts)-1].Format(stamp))
	}
	for _, sp := range plan.Sweeps {
		if sp.AllYear {
			fmt.Fprintf(w, "\n%s: every %s all year", sp.Name, sp.Every)
		} else {
			fmt.Fprintf(w, "\n%s: every %s in window, outside %s", sp.Name, sp.Every, sp.Outside)
		}
		if sp.Offset != "" {
			fmt.Fprintf(w, " (grid offset %s)", sp.Offset)
		}
		if sp.Disabled {
			fmt.Fprint(w, " (disabled)")
		}
		fmt.Fprintln(w)
		for _, win := range sp.Windows {
			what := win.Holiday
			if what == "" {
				what = "date range"
			} else {
				what = fmt.Sprintf("%s %d", what, win.Year)
			}
			kind := "dates"
			if win.DaysOff {
				kind = "days off"
			}
			extra := ""
			if len(win.Joined) > 0 {
				extra = " (joined with " + strings.Join(win.Joined, ", ") + ")"
			}
			if win.Estimated {
				extra += " (ESTIMATED: no official arrangement)"
			}
			fmt.Fprintf(w, "  %s: %s %s – %s%s\n    window %s – %s, %s\n", what, kind, win.Dates.From, win.Dates.To, extra,
				win.Start.Format(stamp), win.End.Format(stamp), runs(win.Runs))
		}
		if why, ok := reasons[sp.Name]; ok {
			fmt.Fprintf(w, "  no window in range: %s\n", why)
		}
		if len(sp.OutsideRuns) > 0 {
			label := "outside windows"
			if sp.AllYear {
				label = "runs"
			}
			fmt.Fprintf(w, "  %s: %s\n", label, runs(sp.OutsideRuns))
		}
	}
}

// SweepRunCmd fires a sweep by hand.
type SweepRunCmd struct {
	Redis string `help:"Redis URL (default: the config's)." placeholder:"URL"`
	Name  string `arg:"" help:"Sweep name."`
	JSON  bool   `help:"Print JSON."`
}

func (c *SweepRunCmd) Run(g *Globals) error {
	env, err := sweepSetup(g, c.Redis, true, nil)
	if err != nil {
		return err
	}
	defer env.close()
	ctx, stop := signalContext()
	defer stop()
	run, err := env.sched.RunNow(ctx, c.Name)
	if err != nil {
		if run.ID != "" {
			return fmt.Errorf("run %s recorded but not seeded (a running scheduler retries): %w", run.ID, err)
		}
		return err
	}
	if c.JSON {
		return sweepJSON(g.stdout, run)
	}
	fmt.Fprintf(g.stdout, "%s\t%d seed tasks queued\n", run.ID, run.Tasks)
	return nil
}

// SweepStatusCmd shows progress.
type SweepStatusCmd struct {
	Redis string `help:"Redis URL (default: the config's)." placeholder:"URL"`
	RunID string `arg:"" name:"run" optional:"" help:"Run id (default: the latest runs)."`
	Limit int    `help:"How many of the latest runs without RUN." default:"10"`
	JSON  bool   `help:"Print JSON."`
}

func (c *SweepStatusCmd) Run(g *Globals) error {
	env, err := sweepSetup(g, c.Redis, false, nil)
	if err != nil {
		return err
	}
	defer env.close()
	ctx := context.Background()
	var statuses []schedule.RunStatus
	if c.RunID != "" {
		st, err := env.sched.Status(ctx, c.RunID)
		if err != nil {
			return err
		}
		statuses = append(statuses, st)
	} else if statuses, err = env.sched.Statuses(ctx, c.Limit); err != nil {
		return err
	}
	if c.JSON {
		if c.RunID != "" {
			return sweepJSON(g.stdout, statuses[0])
		}
		return sweepJSON(g.stdout, map[string]any{"runs": statuses})
	}
	loc := env.file.Location()
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTATE\tQUEUED\tLEASED\tDONE\tFAILED\tDEAD\tLISTINGS\tSUSPECTS\tRATE/MIN\tEST. FINISH")
	for _, st := range statuses {
		p := st.Progress
		if p == nil {
			p = &queue.RunStats{}
		}
		eta := "-"
		if !st.EstimatedFinish.IsZero() {
			eta = st.EstimatedFinish.In(loc).Format("2006-01-02 15:04:05")
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.1f\t%s\n", st.Run.ID, st.Run.State, p.Queued, p.Leased,
			p.Done, p.Failed, p.Dead, p.Listings, p.Suspects, st.Rate, eta)
	}
	return tw.Flush()
}

// SweepCancelCmd cancels a run.
type SweepCancelCmd struct {
	Redis string `help:"Redis URL (default: the config's)." placeholder:"URL"`
	RunID string `arg:"" name:"run" help:"Run id."`
}

func (c *SweepCancelCmd) Run(g *Globals) error {
	env, err := sweepSetup(g, c.Redis, false, nil)
	if err != nil {
		return err
	}
	defer env.close()
	dropped, err := env.sched.Cancel(context.Background(), c.RunID)
	if err != nil {
		return err
	}
	if dropped < 0 {
		fmt.Fprintf(g.stdout, "%s cancelled, but its queued tasks could not be dropped (see the log); workers may still crawl them\n", c.RunID)
		return nil
	}
	fmt.Fprintf(g.stdout, "%s cancelled: %d queued tasks dropped, leased ones finish\n", c.RunID, dropped)
	return nil
}

// SweepHistoryCmd lists runs.
type SweepHistoryCmd struct {
	Redis string `help:"Redis URL (default: the config's)." placeholder:"URL"`
	Sweep string `help:"Only this sweep."`
	Limit int    `help:"How many runs, newest first." default:"50"`
	JSON  bool   `help:"Print JSON."`
}

func (c *SweepHistoryCmd) Run(g *Globals) error {
	env, err := sweepSetup(g, c.Redis, false, nil)
	if err != nil {
		return err
	}
	defer env.close()
	runs, err := env.sched.History(context.Background(), c.Sweep, c.Limit)
	if err != nil {
		return err
	}
	if c.JSON {
		if runs == nil {
			runs = []schedule.Run{}
		}
		return sweepJSON(g.stdout, map[string]any{"runs": runs})
	}
	const stamp = "2006-01-02 15:04:05"
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSWEEP\tTRIGGER\tPLANNED\tFIRED\tSTATE\tTASKS\tWINDOW")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", r.ID, r.Sweep, r.Trigger, r.Planned.Format(stamp),
			r.Fired.Format(stamp), r.State, r.Tasks, r.Window)
	}
	return tw.Flush()
}

// CalendarCmd prints a year's holidays.
type CalendarCmd struct {
	Year int  `help:"Year (default: this year in Asia/Shanghai)."`
	JSON bool `help:"Print JSON: {year, official, days: [{date, kind: off|workday, holiday}], festivals}."`
}

func (c *CalendarCmd) Run(g *Globals) error {
	year := c.Year
	if year == 0 {
		year = time.Now().In(sweepShanghai()).Year()
	}
	cal := &calendar.Lunar{}
	y, err := cal.Year(year)
	if err != nil {
		return err
	}
	official := cal.CheckOfficial(year) // nil, or the report of a year without data
	if c.JSON {
		if err := sweepJSON(g.stdout, y); err != nil {
			return err
		}
		return official
	}
	fmt.Fprintf(g.stdout, "%d: ", year)
	if official != nil {
		fmt.Fprintln(g.stdout, "NO OFFICIAL ARRANGEMENT; festival days only:")
		for _, f := range y.Festivals {
			fmt.Fprintf(g.stdout, "  %-16s %s\n", f.Holiday, f.Date)
		}
		return official
	}
	fmt.Fprintln(g.stdout, "official holiday arrangement (State Council, via lunar-go)")
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOLIDAY\tFESTIVAL DAY\tDAYS OFF\tMAKE-UP WORKDAYS\tJOINED WITH")
	for _, name := range calendar.Names {
		h, err := cal.Holiday(name, year)
		if err != nil {
			return err
		}
		off := "none"
		if h.DaysOff {
			n := int(h.End.In(time.UTC).Sub(h.Start.In(time.UTC)).Hours()/24) + 1
			off = fmt.Sprintf("%s – %s (%d day%s)", h.Start, h.End, n, map[bool]string{true: "s"}[n > 1])
		}
		var work []string
		for _, d := range h.Workdays {
			work = append(work, fmt.Sprintf("%s (%s)", d, d.Weekday().String()[:3]))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name, h.Festival, off, sweepOr(strings.Join(work, ", "), "-"), sweepOr(strings.Join(h.Joined, ", "), "-"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(g.stdout, "\nEvery day off and make-up workday:")
	for _, d := range y.Days {
		fmt.Fprintf(g.stdout, "  %s %s  %-7s %s\n", d.Date, d.Date.Weekday().String()[:3], d.Kind, d.Holiday)
	}
	return nil
}

// sweepEnv is what the sweep commands share.
type sweepEnv struct {
	cfg   *config.Config
	file  *schedule.File
	rdb   redis.UniversalClient
	sched *schedule.Scheduler
	log   *slog.Logger
	close func()
}

// sweepSetup loads the configuration and sweeps, connects to Redis and
// builds a Scheduler; with seeding, it also loads the site adapters and the
// marks registry and wires the seeder to the Redis frontier.
func sweepSetup(g *Globals, redisURL string, seeding bool, metrics *schedule.Metrics, tweak ...func(*schedule.Params)) (*sweepEnv, error) {
	cfg, err := g.Load()
	if err != nil {
		return nil, err
	}
	log := g.Logger(cfg)
	if redisURL == "" {
		redisURL = cfg.Redis
	}
	if redisURL == "" {
		return nil, errors.New("no Redis: give --redis URL or set redis in the config")
	}
	var sites map[string]*crawler.Site
	var siteNames []string
	if seeding {
		if sites, err = crawler.LoadSites(cfg.SitesLocation()); err != nil {
			return nil, err
		}
		siteNames = slices.Sorted(maps.Keys(sites))
	}
	file, err := schedule.Load(cfg.SweepsLocation(), schedule.LoadOptions{Sites: siteNames})
	if err != nil {
		return nil, err
	}
	rdb, err := dialRedis(redisURL, cfg, log)
	if err != nil {
		return nil, err
	}
	frontier := queue.NewRedis(rdb, queueOptions(cfg, sites, cfg.Crawl.Lease.Std(), log, nil))
	p := schedule.Params{
		Redis: rdb, Sweeps: file, Frontier: frontier, Logger: log, Metrics: metrics,
	}
	if c, ok := any(frontier).(schedule.Canceller); ok {
		p.Canceller = c
	}
	if seeding {
		p.Seeder = schedule.FrontierSeeder{Frontier: frontier, SearchURL: func(site, query string, page int) (string, error) {
			s, ok := sites[site]
			if !ok {
				return "", fmt.Errorf("%w %q", crawler.ErrUnknownSite, site)
			}
			return s.SearchURL(query, page)
		}}
		marks, err := matchers.LoadMarks(cfg.MarksLocation())
		if err != nil {
			return nil, err
		}
		p.Marks = sweepMarks(marks, p.Clock)
	}
	for _, f := range tweak {
		f(&p)
	}
	sched, err := schedule.New(p)
	if err != nil {
		return nil, err
	}
	return &sweepEnv{cfg: cfg, file: file, rdb: rdb, sched: sched, log: log, close: func() {
		frontier.Close()
		rdb.Close()
	}}, nil
}

// sweepMarks gives a sweep's `marks: {kind: K}` queries: every name of every
// mark of kind K that is in force today (a lapsed special mark is not swept).
func sweepMarks(marks []matchers.Mark, clock schedule.Clock) schedule.Marks {
	if clock == nil {
		clock = schedule.SystemClock{}
	}
	return schedule.MarksFunc(func(kind string) []string {
		today := clock.Now().In(sweepShanghai())
		day := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
		var out []string
		for _, m := range marks {
			if string(m.Kind) != kind || (!m.ValidFrom.IsZero() && day.Before(m.ValidFrom.Time)) || (!m.ValidUntil.IsZero() && day.After(m.ValidUntil.Time)) {
				continue
			}
			for _, n := range m.Names {
				if !slices.Contains(out, n) {
					out = append(out, n)
				}
			}
		}
		return out
	})
}

// sweepSiteNames lists the site adapters' names.
func sweepSiteNames(cfg *config.Config) ([]string, error) {
	sites, err := crawler.LoadSites(cfg.SitesLocation())
	if err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Keys(sites)), nil
}

func sweepShanghai() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("Asia/Shanghai", 8*3600)
}

func sweepJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func sweepOr(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}
