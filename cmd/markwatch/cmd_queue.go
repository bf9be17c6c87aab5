package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/markwatch/markwatch/images"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/crawler"
	"github.com/markwatch/markwatch/crawler/browser"
	"github.com/markwatch/markwatch/matchers"
	"github.com/markwatch/markwatch/obs"
	"github.com/markwatch/markwatch/pipeline"
	"github.com/markwatch/markwatch/queue"
	"github.com/redis/go-redis/v9"
)

// WorkerCmd runs crawl tasks from Redis.
type WorkerCmd struct {
	Redis       string        `help:"Redis URL (default: the config's)." placeholder:"URL"`
	Concurrency int           `help:"Tasks in flight (default: the config's)."`
	Lease       time.Duration `help:"Lease length; must be the fleet's (default: the fleet's as recorded in Redis, or the config's for the first worker). See 'markwatch queue lease'."`
	Metrics     string        `help:"Address for /metrics, /healthz, /readyz (empty: none)." default:"127.0.0.1:9101"`
	Grace       time.Duration `help:"On SIGTERM, how long in-flight tasks may run before they are released to other workers." default:"25s"`
}

// queueOptions builds the frontier options from the config and adapters:
// each site's fleet-wide rate and tracking parameters.
func queueOptions(cfg *config.Config, sites map[string]*crawler.Site, lease time.Duration, log *slog.Logger, m *queue.Metrics) queue.Options {
	return queue.Options{
		Lease:   lease,
		Retries: cfg.Crawl.Retries,
		Logger:  log,
		Metrics: m,
		Limit: func(site string) queue.Limit {
			if s, ok := sites[site]; ok {
				return queue.Limit{Rate: s.Rate.RequestsPerSecond, Burst: s.Rate.Burst}
			}
			return queue.Limit{}
		},
		TrackingParams: func(site string) []string {
			if s, ok := sites[site]; ok {
				return s.TrackingParams
			}
			return nil
		},
	}
}

// Run leases and crawls tasks until SIGINT/SIGTERM. Then it stops leasing,
// lets in-flight tasks finish for --grace, releases those still running to
// other workers, and exits.
func (c *WorkerCmd) Run(g *Globals) error {
	cfg, err := g.Load()
	if err != nil {
		return err
	}
	log := g.Logger(cfg)
	ctx, stop := signalContext()
	defer stop()
	// A worker started before its Redis (or while it restarts) waits for it.
	client, err := dialRedisWaiting(ctx, c.Redis, cfg, log)
	if err != nil {
		return err
	}
	defer client.Close()
	sites, err := crawler.LoadSites(cfg.SitesLocation())
	if err != nil {
		return err
	}
	concurrency := c.Concurrency
	if concurrency <= 0 {
		concurrency = cfg.Crawl.Concurrency
	}
	reg := obs.NewRegistry()
	matcher, err := matchers.Load(cfg.MarksLocation(), cfg.SignalsLocation(), matchers.WithMetrics(matchers.NewMetrics(reg)))
	if err != nil {
		return err
	}
	lease, err := c.fleetLease(ctx, client, cfg, log)
	if err != nil {
		return err
	}
	qm := queue.NewMetrics(reg)
	queue.NewCollector(reg, client, lease, log)
	crawlOpts := []crawler.Option{crawler.WithLogger(log), crawler.WithMetrics(crawler.NewMetrics(reg)), crawler.WithConcurrency(concurrency)}
	for _, s := range sites {
		if browser.NeededBy(s.Fetch) { // one browser process for this worker
			b := browser.New(browser.Options{UserAgent: cfg.Crawl.UserAgent, Tabs: min(concurrency, 8)})
			defer b.Close()
			crawlOpts = append(crawlOpts, crawler.WithBrowser(b))
			break
		}
	}
	cr := crawler.New(cfg.Crawl, sites, crawlOpts...)
	if err := cr.CookiesError(); err != nil {
		return err
	}
	crawler.ReloadCookiesOnSIGHUP(ctx, cr, log) // authorised sessions rotate without a restart
	opts := queueOptions(cfg, sites, lease, log, qm)
	// The fleet-wide bucket follows robots.txt's Crawl-delay too, once read.
	opts.Limit = func(site string) queue.Limit {
		perSecond, burst := cr.FleetLimit(site)
		return queue.Limit{Rate: perSecond, Burst: burst}
	}
	frontier := queue.NewRedis(client, opts)
	defer frontier.Close()
	// The lease is the fleet's: a worker whose lease differs would have its
	// tasks re-queued by the others' recoverers (or re-queue theirs).
	if err := retryRedis(ctx, log, "check the fleet's lease", func() error { return frontier.CheckLease(ctx) }); err != nil {
		return err
	}
	frontier.Start()
	tracked := newTrackingFrontier(&waitingFrontier{Frontier: frontier, client: client, log: log})
	publisher := queue.NewFindingsPublisher(client)
	w := &pipeline.Worker{
		Frontier:    tracked,
		Crawler:     cr,
		Matcher:     matcher,
		Sink:        publisher,
		Concurrency: concurrency,
		Lease:       lease,
		Retries:     cfg.Crawl.Retries,
		Logger:      log,
		Metrics:     pipeline.NewMetrics(reg),
	}

	if cfg.Images.Enabled {
		marks, err := matchers.LoadMarks(cfg.MarksLocation())
		if err != nil {
			return err
		}
		// Images are kept in this worker's data directory; the findings
		// batches that keep their page carry the photos too (each once per
		// worker), so serve need not share data_dir.
		step, err := images.Build(cfg.Images, cfg.Crawl.UserAgent, cr, nil, matcher, cfg.MarksLocation(), marks,
			images.EvidenceDir(filepath.Join(cfg.DataDir, "evidence")), reg, log)
		if err != nil {
			return err
		}
		w.Images = step
		if step.Store != nil {
			publisher.Photos = step.Store
		}
	}

	serveCtx, stopServe := context.WithCancel(context.Background())
	defer stopServe()
	if c.Metrics != "" {
		health := &obs.Health{}
		health.Add("redis", func(ctx context.Context) error { return client.Ping(ctx).Err() })
		go func() {
			if err := obs.Serve(serveCtx, c.Metrics, obs.Mux(reg, health)); err != nil {
				log.Error("metrics server", "addr", c.Metrics, "err", err)
			}
		}()
	}
	log.Info("worker started", "consumer", frontier.Consumer(), "concurrency", concurrency, "lease", lease, "sites", len(sites))
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx, nil) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	log.Info("stopping: no new leases, finishing in-flight tasks", "in_flight", tracked.count(), "grace", c.Grace)
	select {
	case err := <-done:
		log.Info("worker stopped")
		return err
	case <-time.After(c.Grace):
	}
	rctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	n, err := tracked.releaseAll(rctx)
	log.Warn("grace period over: released in-flight tasks to other workers", "tasks", n, "err", err)
	return nil
}

// fleetLease is the lease this worker runs with: --lease if given (CheckLease
// then refuses it unless it is the fleet's), else the fleet's lease as
// recorded in Redis, else (the first worker) the config's.
func (c *WorkerCmd) fleetLease(ctx context.Context, client redis.UniversalClient, cfg *config.Config, log *slog.Logger) (time.Duration, error) {
	if c.Lease > 0 {
		return c.Lease, nil
	}
	var fleet time.Duration
	var recorded bool
	err := retryRedis(ctx, log, "read the fleet's lease", func() (err error) {
		fleet, recorded, err = queue.FleetLease(ctx, client)
		return err
	})
	if err != nil {
		return 0, err
	}
	if !recorded {
		return cfg.Crawl.Lease.Std(), nil
	}
	if own := cfg.Crawl.Lease.Std(); own != fleet {
		log.Info("using the fleet's lease, not the config's", "lease", fleet, "config_lease", own)
	}
	return fleet, nil
}

// retryRedis runs op until it succeeds, fails for a reason other than
// reaching Redis, or ctx ends: a worker started while Redis restarts waits
// for it instead of exiting.
func retryRedis(ctx context.Context, log *slog.Logger, what string, op func() error) error {
	wait := 250 * time.Millisecond
	for {
		err := op()
		if err == nil || errors.Is(err, queue.ErrLeaseMismatch) || ctx.Err() != nil || !isConnError(err) {
			return err
		}
		log.Warn("waiting for Redis", "op", what, "retry_in", wait, "err", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// isConnError reports whether err means Redis could not be reached (as
// opposed to an answer that refused the operation).
func isConnError(err error) bool {
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "LOADING") || strings.Contains(msg, "connection refused") || strings.Contains(msg, "i/o timeout")
}

// waitingFrontier makes the worker's lease loop wait out a Redis outage:
// a Lease that cannot reach Redis waits until it answers again (one warning
// per backoff step, see waitForRedis) and is then tried once more, instead
// of failing every few milliseconds with a log line each time.
type waitingFrontier struct {
	queue.Frontier
	client redis.UniversalClient
	log    *slog.Logger
}

func (f *waitingFrontier) Lease(ctx context.Context, max int) ([]markwatch.Task, error) {
	tasks, err := f.Frontier.Lease(ctx, max)
	if err == nil || len(tasks) > 0 || ctx.Err() != nil || !isConnError(err) {
		return tasks, err
	}
	if werr := waitForRedis(ctx, f.client, f.log); werr != nil {
		return nil, err
	}
	f.log.Info("Redis answers again")
	return f.Frontier.Lease(ctx, max)
}

// trackingFrontier remembers which tasks this process holds, so that a
// shutdown can release the ones that did not finish in time.
type trackingFrontier struct {
	queue.Frontier
	mu   sync.Mutex
	held map[string]markwatch.Task
}

func newTrackingFrontier(f queue.Frontier) *trackingFrontier {
	return &trackingFrontier{Frontier: f, held: map[string]markwatch.Task{}}
}

func (t *trackingFrontier) Lease(ctx context.Context, max int) ([]markwatch.Task, error) {
	tasks, err := t.Frontier.Lease(ctx, max)
	t.mu.Lock()
	for _, task := range tasks {
		t.held[task.ID] = task
	}
	t.mu.Unlock()
	return tasks, err
}

func (t *trackingFrontier) forget(tasks ...markwatch.Task) {
	t.mu.Lock()
	for _, task := range tasks {
		delete(t.held, task.ID)
	}
	t.mu.Unlock()
}

func (t *trackingFrontier) Ack(ctx context.Context, tasks ...markwatch.Task) error {
	defer t.forget(tasks...)
	return t.Frontier.Ack(ctx, tasks...)
}

func (t *trackingFrontier) Nack(ctx context.Context, task markwatch.Task, cause error, retry bool, delay time.Duration) error {
	defer t.forget(task)
	return t.Frontier.Nack(ctx, task, cause, retry, delay)
}

func (t *trackingFrontier) Release(ctx context.Context, tasks ...markwatch.Task) error {
	defer t.forget(tasks...)
	return t.Frontier.Release(ctx, tasks...)
}

func (t *trackingFrontier) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.held)
}

func (t *trackingFrontier) releaseAll(ctx context.Context) (int, error) {
	t.mu.Lock()
	tasks := make([]markwatch.Task, 0, len(t.held))
	for _, task := range t.held {
		tasks = append(tasks, task)
	}
	t.mu.Unlock()
	if len(tasks) == 0 {
		return 0, nil
	}
	return len(tasks), t.Release(ctx, tasks...)
}

// EnqueueCmd seeds a run by hand.
type EnqueueCmd struct {
	Redis    string   `help:"Redis URL (default: the config's)." placeholder:"URL"`
	Site     string   `help:"Site adapter name." required:""`
	Query    []string `help:"Search query (repeatable; commas are part of the query)." required:"" placeholder:"Q" sep:"none"`
	RunID    string   `name:"run" help:"Run id (default: a new one)." placeholder:"ID"`
	Priority int      `help:"Task priority (higher is leased first; 0..15)."`
	MaxPages int      `help:"Stop each query after this many search pages (0: the adapter's max_pages)."`
}

// newRunID is manual-<UTC time>-<random>.
func newRunID(prefix string) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// Run queues search page 1 of each query and prints the run id.
func (c *EnqueueCmd) Run(g *Globals) error {
	cfg, err := g.Load()
	if err != nil {
		return err
	}
	log := g.Logger(cfg)
	queue.SetClientLogger(log)
	sites, err := crawler.LoadSites(cfg.SitesLocation())
	if err != nil {
		return err
	}
	site, ok := sites[c.Site]
	if !ok {
		names := make([]string, 0, len(sites))
		for n := range sites {
			names = append(names, n)
		}
		sort.Strings(names)
		return fmt.Errorf("--site %q: no such adapter in %s (have: %s)", c.Site, cfg.SitesLocation(), strings.Join(names, ", "))
	}
	client, err := dialRedis(c.Redis, cfg, g.Logger(cfg))
	if err != nil {
		return err
	}
	defer client.Close()
	run := c.RunID
	if run == "" {
		run = newRunID("manual")
	}
	var tasks []markwatch.Task
	for _, q := range c.Query {
		if strings.TrimSpace(q) == "" {
			return fmt.Errorf("--query: empty query")
		}
		t := site.SearchTask(run, q, 1)
		t.Priority, t.MaxPages = c.Priority, c.MaxPages
		tasks = append(tasks, t)
	}
	f := queue.NewRedis(client, queueOptions(cfg, sites, cfg.Crawl.Lease.Std(), log, nil))
	defer f.Close()
	ctx, stop := signalContext()
	defer stop()
	n, err := f.Add(ctx, tasks...)
	if errors.Is(err, queue.ErrNotDurable) {
		return fmt.Errorf("run %s: the seeds were written but no replica confirmed them in time, so a failover may lose them; run the same enqueue again (it is safe: seeds already queued are dropped as duplicates): %w", run, err)
	}
	if err != nil {
		return err
	}
	log.Info("run seeded", "run", run, "site", c.Site, "queries", len(c.Query), "queued", n)
	fmt.Fprintln(g.stdout, run)
	return nil
}

// QueueCmd groups frontier inspection commands.
type QueueCmd struct {
	Stats   QueueStatsCmd   `cmd:"" help:"Print run accounting."`
	Dead    QueueDeadCmd    `cmd:"" help:"List dead-lettered tasks (or, with --findings, findings batches the store could not take) with their last error."`
	Requeue QueueRequeueCmd `cmd:"" help:"Queue dead-lettered tasks (or, with --findings, findings batches) again."`
	Lease   QueueLeaseCmd   `cmd:"" help:"Show or change the fleet's lease length."`
	Sites   QueueSitesCmd   `cmd:"" help:"List sites, with the ones paused after a block page and why."`
	Resume  QueueResumeCmd  `cmd:"" help:"Lift a blocked site's pause now."`
}

// QueueStatsCmd prints run accounting.
type QueueStatsCmd struct {
	Redis string `help:"Redis URL (default: the config's)." placeholder:"URL"`
	RunID string `name:"run" help:"Only this run." placeholder:"ID"`
	JSON  bool   `help:"Print one JSON object per run."`
}

// openFrontier loads the config and opens the Redis frontier for an
// inspection command.
func openFrontier(g *Globals, url string) (*queue.Redis, redis.UniversalClient, error) {
	cfg, err := g.Load()
	if err != nil {
		return nil, nil, err
	}
	log := g.Logger(cfg)
	client, err := dialRedis(url, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	return queue.NewRedis(client, queue.Options{Logger: log}), client, nil
}

// Run prints each run's accounting, oldest run first.
func (c *QueueStatsCmd) Run(g *Globals) error {
	f, client, err := openFrontier(g, c.Redis)
	if err != nil {
		return err
	}
	defer client.Close()
	defer f.Close()
	ctx, stop := signalContext()
	defer stop()
	runs := []string{c.RunID}
	if c.RunID == "" {
		if runs, err = f.Runs(ctx); err != nil {
			return err
		}
	}
	var all []queue.RunStats
	for _, run := range runs {
		st, err := f.Stats(ctx, run)
		if errors.Is(err, queue.ErrUnknownRun) && c.RunID == "" {
			continue // expired since it was listed
		}
		if err != nil {
			return err
		}
		all = append(all, st)
	}
	return writeStats(g, all, c.JSON)
}

func writeStats(g *Globals, all []queue.RunStats, asJSON bool) error {
	if asJSON {
		return writeJSONLines(g.stdout, all)
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tQUEUED\tLEASED\tDONE\tFAILED\tDEAD\tCANCELLED\tPAGES\tLISTINGS\tSUSPECTS\tSTARTED\tFINISHED")
	for _, st := range all {
		finished := "-"
		if st.LostSeeds > 0 {
			finished = fmt.Sprintf("no: %d seeds lost in a failover (seed the run again)", st.LostSeeds)
		}
		if st.RolledBack != nil {
			finished = "no: " + st.RolledBack.String()
		}
		if st.Finished {
			finished = "yes"
			if !st.FinishedAt.IsZero() {
				finished = st.FinishedAt.UTC().Format(time.RFC3339)
			}
		}
		started := "-"
		if !st.Started.IsZero() {
			started = st.Started.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", st.Run, st.Queued, st.Leased, st.Done, st.Failed, st.Dead,
			st.Cancelled, st.Pages, st.Listings, st.Suspects, started, finished)
	}
	return tw.Flush()
}

// QueueDeadCmd lists dead letters.
type QueueDeadCmd struct {
	Redis    string `help:"Redis URL (default: the config's)." placeholder:"URL"`
	Site     string `help:"Only this site."`
	JSON     bool   `help:"Print one JSON object per dead letter."`
	Findings bool   `help:"List the findings dead letters instead: batches the findings consumer could not decode or store."`
}

// Run lists dead letters, oldest first.
func (c *QueueDeadCmd) Run(g *Globals) error {
	if c.Findings && c.Site != "" {
		return errors.New("--site does not go with --findings (the findings dead letters are not kept per site)")
	}
	f, client, err := openFrontier(g, c.Redis)
	if err != nil {
		return err
	}
	defer client.Close()
	defer f.Close()
	ctx, stop := signalContext()
	defer stop()
	if c.Findings {
		return c.findings(ctx, g, client)
	}
	dead, err := f.DeadLetters(ctx, c.Site)
	if err != nil {
		return err
	}
	if c.JSON {
		return writeJSONLines(g.stdout, dead)
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSITE\tRUN\tKIND\tATTEMPTS\tDIED\tURL\tLAST ERROR")
	for _, d := range dead {
		t := d.Task
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", t.ID, t.Site, t.Run, t.Kind, t.Attempt,
			d.DiedAt.UTC().Format(time.RFC3339), t.URL, strings.ReplaceAll(t.LastError, "\n", " "))
	}
	return tw.Flush()
}

// findings lists the findings dead letters.
func (c *QueueDeadCmd) findings(ctx context.Context, g *Globals, client redis.UniversalClient) error {
	dead, err := queue.FindingsDeadLetters(ctx, client)
	if err != nil {
		return err
	}
	if c.JSON {
		return writeJSONLines(g.stdout, dead)
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRUN\tSITE\tTASK\tFINDINGS\tDELIVERIES\tDIED\tURL\tLAST ERROR")
	for _, d := range dead {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\n", d.ID, d.Run, d.Site, d.Task, d.Findings, d.Deliveries,
			d.DiedAt.UTC().Format(time.RFC3339), d.URL, strings.ReplaceAll(d.Error, "\n", " "))
	}
	return tw.Flush()
}

// QueueRequeueCmd requeues dead letters.
type QueueRequeueCmd struct {
	Redis    string   `help:"Redis URL (default: the config's)." placeholder:"URL"`
	Site     string   `help:"Only this site."`
	Findings bool     `help:"Publish findings dead letters again (ids from 'queue dead --findings') instead of tasks."`
	IDs      []string `arg:"" optional:"" help:"Task ids, or with --findings dead-letter ids (default: all dead letters)."`
}

// Run queues the dead letters again with a fresh retry budget.
func (c *QueueRequeueCmd) Run(g *Globals) error {
	if c.Findings && c.Site != "" {
		return errors.New("--site does not go with --findings (the findings dead letters are not kept per site)")
	}
	f, client, err := openFrontier(g, c.Redis)
	if err != nil {
		return err
	}
	defer client.Close()
	defer f.Close()
	ctx, stop := signalContext()
	defer stop()
	if c.Findings {
		n, err := queue.RequeueFindings(ctx, client, c.IDs...)
		if err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "requeued %d findings batch(es)\n", n)
		if len(c.IDs) > 0 && n < len(c.IDs) {
			return fmt.Errorf("%d of %d id(s) were not findings dead letters (see markwatch queue dead --findings)", len(c.IDs)-n, len(c.IDs))
		}
		return nil
	}
	n, err := f.Requeue(ctx, c.Site, c.IDs...)
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "requeued %d task(s)\n", n)
	if len(c.IDs) > 0 && n < len(c.IDs) {
		return fmt.Errorf("%d of %d id(s) were not dead letters (see markwatch queue dead)", len(c.IDs)-n, len(c.IDs))
	}
	return nil
}

// QueueLeaseCmd shows or changes the fleet's lease: the lease every worker
// must use and every recoverer measures expiry against.
type QueueLeaseCmd struct {
	Redis string        `help:"Redis URL (default: the config's)." placeholder:"URL"`
	Set   time.Duration `help:"Record this lease as the fleet's (only while no worker is alive, unless --force)." placeholder:"DURATION"`
	Force bool          `help:"With --set: change it even though workers are alive (they keep their old lease until restarted, so their tasks may be fetched twice)."`
}

// Run prints the fleet's lease and the live workers, or changes the lease.
func (c *QueueLeaseCmd) Run(g *Globals) error {
	if c.Force && c.Set == 0 {
		return errors.New("--force goes with --set DURATION")
	}
	if c.Set != 0 && c.Set < time.Second {
		return fmt.Errorf("--set %v: a lease shorter than a second would expire between heartbeats", c.Set)
	}
	cfg, err := g.Load()
	if err != nil {
		return err
	}
	log := g.Logger(cfg)
	client, err := dialRedis(c.Redis, cfg, log)
	if err != nil {
		return err
	}
	defer client.Close()
	ctx, stop := signalContext()
	defer stop()
	if c.Set > 0 {
		old, err := queue.SetFleetLease(ctx, client, c.Set, c.Force)
		if err != nil {
			return err
		}
		was := "none recorded"
		if old > 0 {
			was = "was " + old.String()
		}
		log.Info("fleet lease set", "lease", c.Set, "old", old, "forced", c.Force)
		fmt.Fprintf(g.stdout, "fleet lease: %v (%s)\n", c.Set, was)
		return nil
	}
	lease, ok, err := queue.FleetLease(ctx, client)
	if err != nil {
		return err
	}
	workers, err := queue.LiveWorkers(ctx, client)
	if err != nil {
		return err
	}
	if ok {
		fmt.Fprintf(g.stdout, "fleet lease: %v\n", lease)
	} else {
		fmt.Fprintf(g.stdout, "fleet lease: none recorded (the first worker records its --lease, default the config's %v)\n", cfg.Crawl.Lease.Std())
	}
	fmt.Fprintf(g.stdout, "live workers: %d\n", len(workers))
	for _, w := range workers {
		fmt.Fprintf(g.stdout, "  %s\n", w)
	}
	return nil
}
