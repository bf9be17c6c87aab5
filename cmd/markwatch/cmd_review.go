package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/markwatch/markwatch/images"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/term"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/configs"
	"github.com/markwatch/markwatch/matchers"
	"github.com/markwatch/markwatch/notify"
	"github.com/markwatch/markwatch/obs"
	"github.com/markwatch/markwatch/queue"
	"github.com/markwatch/markwatch/review"
	"github.com/markwatch/markwatch/store"
	"github.com/markwatch/markwatch/takedown"
)

// ServeCmd serves the review app.
type ServeCmd struct {
	Data   string `help:"Data directory (default: the config's)." placeholder:"DIR"`
	Addr   string `help:"Listen address (default: the config's)." placeholder:"HOST:PORT"`
	Redis  string `help:"Consume findings from this Redis (default: the config's)." placeholder:"URL"`
	Secure bool   `help:"Mark cookies Secure (set when the app is reached over HTTPS, e.g. behind a TLS proxy)."`
	// Takedown exports and evidence bundles (issue 17).
	Exports string `help:"Directory of takedown export profiles (*.yaml; default: the shipped configs/exports)." type:"existingdir" placeholder:"DIR"`
	TSA     string `name:"tsa" help:"URL of an RFC 3161 time-stamping authority: every evidence bundle's manifest is timestamped." placeholder:"URL"`
	Notify  string `help:"Notification rules and channels (notify.yaml; see configs/notify.example.yaml). Default: no notifications." type:"existingfile" placeholder:"PATH"`
	BaseURL string `name:"base-url" help:"The review app's public URL, for links in notifications." placeholder:"URL"`
	// NetworksEvery is how often the stored seller networks are rebuilt
	// (only when linkable listings changed).
	NetworksEvery time.Duration `name:"networks-every" default:"5m" help:"How often to rebuild the stored seller networks when listings changed."`
}

func (c *ServeCmd) Run(g *Globals) error {
	cfg, err := g.Load()
	if err != nil {
		return err
	}
	log := g.Logger(cfg)
	ctx, stop := signalContext()
	defer stop()

	reg := obs.NewRegistry()
	st, err := store.Open(ctx, pick(c.Data, cfg.DataDir), store.WithRegisterer(reg), store.WithLogger(log))
	if err != nil {
		return err
	}
	defer st.Close()
	marks, err := reviewMarks(cfg)
	if err != nil {
		return err
	}
	health := &obs.Health{}
	health.Add("store", st.Ping)
	mux := obs.Mux(reg, health)
	signalsFile, signals := reviewSignals(cfg)
	var profiles []*takedown.Profile
	if c.Exports != "" {
		if profiles, err = takedown.LoadProfiles(os.DirFS(c.Exports), "."); err != nil {
			return err
		}
	}
	srv := review.NewServer(st, review.Options{Logger: log, Registerer: reg, Secure: c.Secure, Marks: marks,
		References:  reviewReferences(cfg),
		SignalsFile: signalsFile, Signals: signals, Profiles: profiles, TSA: c.TSA})
	mux.Handle("/", srv)
	if c.NetworksEvery <= 0 {
		return fmt.Errorf("--networks-every: want a positive duration, got %s", c.NetworksEvery)
	}
	go srv.RunNetworks(ctx, c.NetworksEvery)

	var notifier *notify.Notifier
	if c.Notify != "" {
		ncfg, err := notify.LoadConfig(c.Notify)
		if err != nil {
			return err
		}
		notifier = notify.New(st, ncfg, notify.Options{Logger: log, Registerer: reg, BaseURL: c.BaseURL})
		go notifier.Run(ctx)
		log.Info("notifications on", "channels", len(ncfg.Channels), "rules", len(ncfg.Rules))
	}
	errc := make(chan error, 2)
	if url := pick(c.Redis, cfg.Redis); url != "" {
		client, err := dialRedis(url, cfg, log)
		if err != nil {
			return err
		}
		defer client.Close()
		health.Add("redis", func(ctx context.Context) error { return client.Ping(ctx).Err() })
		queue.NewCollector(reg, client, cfg.Crawl.Lease.Std(), log)
		consumer := &queue.FindingsConsumer{
			Client: client, Group: "store", Consumer: consumerName(),
			Handle:      notifyAfter(photosFirst(StoreFindingsBatch(st), st, log), notifier, log),
			HandleBatch: notifyAfterBatches(photosFirstBatches(StoreFindingsBatches(st), st, log), notifier, log),
			Count:       64, Linger: 50 * time.Millisecond, Logger: log, Metrics: queue.NewMetrics(reg),
		}
		go func() { errc <- consumer.Run(ctx) }()
		frontier := queue.NewRedis(client, queue.Options{Logger: log, Lease: cfg.Crawl.Lease.Std()})
		finisher := &runFinisher{
			Store: st, Runs: frontier.Runs, Stats: frontier.Stats, Every: 30 * time.Second, Logger: log,
			Mark: func(ctx context.Context) (string, error) { return queue.FindingsMark(ctx, client) },
			ConsumedThrough: func(ctx context.Context, mark string) (bool, error) {
				return queue.FindingsConsumedThrough(ctx, client, mark)
			},
			SetAside: func(ctx context.Context) (map[string]bool, error) {
				dead, err := queue.FindingsDeadLetters(ctx, client)
				runs := map[string]bool{}
				for _, d := range dead {
					runs[d.Run] = true
				}
				return runs, err
			},
		}
		finisher.SetRollback = frontier.SetRollback
		finisher.RolledBack = prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "markwatch_runs_rolled_back",
			Help: "Runs whose frontier accounting is below the pages the store already holds findings of (a Redis rollback): not finished.",
		})
		reg.MustRegister(finisher.RolledBack)
		if notifier != nil {
			finisher.Finished = notifier.RunFinished
		}
		go finisher.Run(ctx)
		log.Info("consuming findings", "redis", redactURL(url), "consumer", consumer.Consumer)
	}
	addr := pick(c.Addr, cfg.Listen)
	log.Info("review server listening", "addr", addr, "data", st.Dir())
	fmt.Fprintf(g.stdout, "markwatch review: http://%s/\n", addr)
	go func() { errc <- obs.Serve(ctx, addr, mux) }()
	err = <-errc
	stop()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// StoreFindingsBatch is the findings consumer's handler: it rebuilds the
// page (with its body when the worker kept it as evidence) and stores the
// batch. Storing is idempotent, so a redelivered batch is harmless.
func StoreFindingsBatch(st *store.Store) func(context.Context, queue.FindingsBatch) error {
	return func(ctx context.Context, b queue.FindingsBatch) error {
		if len(b.Page.BodyGzip) > 0 {
			// Stored as it came: checked against its SHA-256 only when
			// the evidence store does not hold it yet.
			return st.PutGzipped(ctx, b.PageWithoutBody(), b.Page.SHA256, b.Page.BodyGzip, b.Findings)
		}
		page, err := b.PageOf()
		if err != nil {
			return err
		}
		return st.Put(ctx, page, b.Findings)
	}
}

// storePhotos keeps the photos the batches carry (a fleet's workers keep
// theirs in their own data directories) in the photo store beside this
// process's page evidence, where the review pages and bundles read them.
// A photo that is not what its hash says is logged and dropped (the
// finding is still stored, its photo shown missing); a failed write fails
// the batches, which are then retried.
func storePhotos(st *store.Store, log *slog.Logger, bs []queue.FindingsBatch) error {
	var ps *images.Store
	for _, b := range bs {
		for _, p := range b.Photos {
			if ps == nil {
				var err error
				if ps, err = images.OpenStore(images.EvidenceDir(st.Evidence().Dir())); err != nil {
					return err
				}
			}
			err := ps.PutChecked(p.SHA256, p.Data)
			if errors.Is(err, images.ErrNotPhoto) {
				log.Warn("findings: photo refused", "run", b.Run, "site", b.Site, "task", b.Task, "err", err)
				continue
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// photosFirst stores a batch's photos, then the batch.
func photosFirst(handle func(context.Context, queue.FindingsBatch) error, st *store.Store, log *slog.Logger) func(context.Context, queue.FindingsBatch) error {
	return func(ctx context.Context, b queue.FindingsBatch) error {
		if err := storePhotos(st, log, []queue.FindingsBatch{b}); err != nil {
			return err
		}
		return handle(ctx, b)
	}
}

// photosFirstBatches is photosFirst for the consumer's several batches.
func photosFirstBatches(handle func(context.Context, []queue.FindingsBatch) error, st *store.Store, log *slog.Logger) func(context.Context, []queue.FindingsBatch) error {
	return func(ctx context.Context, bs []queue.FindingsBatch) error {
		if err := storePhotos(st, log, bs); err != nil {
			return err
		}
		return handle(ctx, bs)
	}
}

// notifyAfter applies the notification rules to a findings batch once it
// is stored: enqueueing is one small transaction, delivery happens in the
// notifier's own loop, so a slow receiver never holds the consumer. A
// failure to enqueue is logged, never a reason to redeliver the batch.
func notifyAfter(handle func(context.Context, queue.FindingsBatch) error, n *notify.Notifier, log *slog.Logger) func(context.Context, queue.FindingsBatch) error {
	if n == nil {
		return handle
	}
	return func(ctx context.Context, b queue.FindingsBatch) error {
		if err := handle(ctx, b); err != nil {
			return err
		}
		if err := n.Findings(ctx, b.Findings); err != nil {
			log.Error("notifications: enqueue", "run", b.Run, "sweep", b.Sweep, "site", b.Site, "task", b.Task, "err", err)
		}
		return nil
	}
}

// notifyAfterBatches is notifyAfter for the consumer's several batches
// stored in one transaction.
func notifyAfterBatches(handle func(context.Context, []queue.FindingsBatch) error, n *notify.Notifier, log *slog.Logger) func(context.Context, []queue.FindingsBatch) error {
	if n == nil {
		return handle
	}
	return func(ctx context.Context, bs []queue.FindingsBatch) error {
		if err := handle(ctx, bs); err != nil {
			return err
		}
		for _, b := range bs {
			if err := n.Findings(ctx, b.Findings); err != nil {
				log.Error("notifications: enqueue", "run", b.Run, "sweep", b.Sweep, "site", b.Site, "task", b.Task, "err", err)
			}
		}
		return nil
	}
}

// StoreFindingsBatches stores several findings batches in one store
// transaction (the consumer's HandleBatch).
func StoreFindingsBatches(st *store.Store) func(context.Context, []queue.FindingsBatch) error {
	return func(ctx context.Context, bs []queue.FindingsBatch) error {
		pages := make([]store.PageFindings, len(bs))
		for i, b := range bs {
			pages[i] = store.PageFindings{Findings: b.Findings}
			if len(b.Page.BodyGzip) > 0 {
				pages[i].Page, pages[i].BodyHash, pages[i].BodyGzip = b.PageWithoutBody(), b.Page.SHA256, b.Page.BodyGzip
				continue
			}
			page, err := b.PageOf()
			if err != nil {
				return err
			}
			pages[i].Page = page
		}
		return st.PutPages(ctx, pages)
	}
}

// reviewMarks describes the configured marks for listing pages and exports.
func reviewMarks(cfg *config.Config) (review.MarkMap, error) {
	marks, err := matchers.LoadMarks(cfg.MarksLocation())
	if err != nil {
		return nil, err
	}
	return review.MarksOf(marks), nil
}

// reviewReferences are the marks' reference images, shown beside the
// listing photos that matched them.
func reviewReferences(cfg *config.Config) map[string][]byte {
	marks, err := matchers.LoadMarks(cfg.MarksLocation())
	if err != nil {
		return nil
	}
	return images.ReferenceFiles(cfg.MarksLocation(), marks)
}

// reviewSignals is the signals.yaml the calibration page suggests weights
// against: a file on disk it may write (audited, by an admin), or the
// embedded defaults it can only show a diff of.
func reviewSignals(cfg *config.Config) (file string, text []byte) {
	loc := cfg.SignalsLocation()
	text, _ = fs.ReadFile(loc.FS, loc.Path)
	if loc.FS != configs.FS {
		file = "/" + loc.Path
	}
	return file, text
}

func redactURL(u string) string {
	if i := strings.Index(u, "@"); i >= 0 {
		if j := strings.Index(u, "://"); j >= 0 && j < i {
			return u[:j+3] + "…" + u[i:]
		}
	}
	return u
}

func consumerName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("serve-%s-%d", host, os.Getpid())
}

// IngestCmd stores verdict lines read on stdin.
type IngestCmd struct {
	Data  string `help:"Data directory (default: the config's)." placeholder:"DIR"`
	RunID string `name:"run" help:"Run id to file the findings under." default:"ingest"`
	Sweep string `help:"Sweep name to file the findings under." placeholder:"NAME"`
	Site  string `help:"Site for verdicts whose listing names none." default:"unknown"`
	Batch int    `help:"Findings stored per transaction." default:"1000"`

	stdin io.Reader // os.Stdin unless a test sets it
}

// ingestStats is what ingest prints when it is done.
type ingestStats struct {
	Lines   int `json:"lines"`
	Stored  int `json:"stored"`  // new findings
	Already int `json:"already"` // findings stored before (idempotent replay)
	Skipped int `json:"skipped"` // error verdicts and verdicts without a listing
	Invalid int `json:"invalid"` // lines that are not verdicts (logged with their line number)
}

func (c *IngestCmd) Run(g *Globals) error {
	cfg, err := g.Load()
	if err != nil {
		return err
	}
	log := g.Logger(cfg)
	ctx, stop := signalContext()
	defer stop()
	st, err := store.Open(ctx, pick(c.Data, cfg.DataDir), store.WithLogger(log))
	if err != nil {
		return err
	}
	defer st.Close()
	in := c.stdin
	if in == nil {
		in = g.stdin
	}
	if in == nil {
		in = os.Stdin
	}
	stats, err := ingest(ctx, st, in, c, log)
	out, _ := json.Marshal(stats)
	fmt.Fprintln(g.stdout, string(out))
	return err
}

// ingest reads `markwatch match --with-listing` lines and stores them in
// batches. A line that is not a verdict is logged with its line number and
// counted, and the stream goes on (the good lines around it are stored); the
// command then fails naming the first bad line. Error verdicts and verdicts
// without a listing are skipped and logged.
func ingest(ctx context.Context, st *store.Store, in io.Reader, c *IngestCmd, log *slog.Logger) (ingestStats, error) {
	var stats ingestStats
	size := max(c.Batch, 1)
	batch := make([]markwatch.Finding, 0, size)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		n, err := st.PutFindings(ctx, batch)
		if err != nil {
			return err
		}
		stats.Stored += n
		stats.Already += len(batch) - n
		batch = batch[:0]
		return nil
	}
	var firstBad error
	r := bufio.NewReaderSize(in, 64<<10)
	for line := 1; ; line++ {
		data, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(data)) > 0 {
			stats.Lines++
			var v markwatch.Verdict
			jerr := json.Unmarshal(data, &v)
			switch {
			case jerr != nil:
				stats.Invalid++
				log.Error("ingest: not a verdict line", "line", line, "err", jerr)
				if firstBad == nil {
					firstBad = fmt.Errorf("stdin:%d: not a verdict line: %w", line, jerr)
				}
			case v.Error != "":
				stats.Skipped++
				log.Warn("ingest: error verdict skipped", "line", line, "id", v.ID, "error", v.Error)
			case v.Listing == nil || v.Listing.ID == "":
				stats.Skipped++
				log.Warn("ingest: verdict without a listing skipped (use markwatch match --with-listing)", "line", line, "id", v.ID)
			default:
				l := *v.Listing
				v.Listing = nil
				if l.Site == "" {
					l.Site = c.Site
				}
				batch = append(batch, markwatch.Finding{Run: c.RunID, Sweep: c.Sweep, Listing: l, Verdict: v})
				if len(batch) == size {
					if err := flush(); err != nil {
						return stats, err
					}
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			// Keep what was read before the stream broke.
			return stats, errors.Join(fmt.Errorf("stdin:%d: %w", line, err), flush())
		}
	}
	if err := flush(); err != nil {
		return stats, err
	}
	log.Info("ingest finished", "run", c.RunID, "lines", stats.Lines, "stored", stats.Stored, "already", stats.Already, "skipped", stats.Skipped, "invalid", stats.Invalid)
	if firstBad != nil {
		return stats, &exitError{exitBadInput, fmt.Errorf("%d line(s) were not verdicts; the first: %w", stats.Invalid, firstBad)}
	}
	return stats, nil
}

// UsersCmd groups user management.
type UsersCmd struct {
	Add     UsersAddCmd     `cmd:"" help:"Add a user (password read from stdin)."`
	List    UsersListCmd    `cmd:"" help:"List users."`
	Token   UsersTokenCmd   `cmd:"" help:"Create an API token for a user."`
	Tokens  UsersTokensCmd  `cmd:"" help:"List a user's API tokens (never the secrets)."`
	Revoke  UsersRevokeCmd  `cmd:"" help:"Revoke API tokens by id, or every token of a user with --user."`
	Passwd  UsersPasswdCmd  `cmd:"" help:"Set a user's password (read from stdin); ends their sessions."`
	Role    UsersRoleCmd    `cmd:"" help:"Change a user's role."`
	Disable UsersDisableCmd `cmd:"" help:"Disable a user (sessions and tokens stop working), or enable them again."`
}

// UsersPasswdCmd sets a password.
type UsersPasswdCmd struct {
	Data string `help:"Data directory (default: the config's)." placeholder:"DIR"`
	Name string `arg:""`

	stdin io.Reader
}

func (c *UsersPasswdCmd) Run(g *Globals) error {
	in := c.stdin
	if in == nil {
		in = os.Stdin
	}
	password, err := readPassword(in, g.stderr)
	if err != nil {
		return err
	}
	return withStore(g, c.Data, func(ctx context.Context, st *store.Store) error {
		if err := st.SetPassword(ctx, cliActor(), c.Name, password); err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "password of %s changed\n", c.Name)
		return nil
	})
}

// UsersRoleCmd changes a role.
type UsersRoleCmd struct {
	Data string `help:"Data directory (default: the config's)." placeholder:"DIR"`
	Name string `arg:""`
	Role string `arg:"" enum:"viewer,reviewer,admin" help:"viewer, reviewer or admin."`
}

func (c *UsersRoleCmd) Run(g *Globals) error {
	return withStore(g, c.Data, func(ctx context.Context, st *store.Store) error {
		if err := st.SetRole(ctx, cliActor(), c.Name, store.Role(c.Role)); err != nil {
			return err
		}
		fmt.Fprintf(g.stdout, "%s is now %s\n", c.Name, c.Role)
		return nil
	})
}

// UsersDisableCmd disables or enables a user.
type UsersDisableCmd struct {
	Data   string `help:"Data directory (default: the config's)." placeholder:"DIR"`
	Name   string `arg:""`
	Enable bool   `help:"Enable the user again instead."`
}

func (c *UsersDisableCmd) Run(g *Globals) error {
	return withStore(g, c.Data, func(ctx context.Context, st *store.Store) error {
		if err := st.SetDisabled(ctx, cliActor(), c.Name, !c.Enable); err != nil {
			return err
		}
		state := "disabled"
		if c.Enable {
			state = "enabled"
		}
		fmt.Fprintf(g.stdout, "%s %s\n", c.Name, state)
		return nil
	})
}

// withStore opens the store of the data directory for a short command.
func withStore(g *Globals, data string, fn func(context.Context, *store.Store) error) error {
	cfg, err := g.Load()
	if err != nil {
		return err
	}
	ctx := context.Background()
	st, err := store.Open(ctx, pick(data, cfg.DataDir))
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(ctx, st)
}

// UsersAddCmd adds a user.
type UsersAddCmd struct {
	Data string `help:"Data directory (default: the config's)." placeholder:"DIR"`
	Name string `arg:""`
	Role string `help:"viewer, reviewer or admin." default:"reviewer" enum:"viewer,reviewer,admin"`

	stdin io.Reader
}

// cliActor is the audit log's actor for command-line changes.
func cliActor() string {
	name := os.Getenv("USER")
	if name == "" {
		name = "unknown"
	}
	return "cli:" + name
}

func (c *UsersAddCmd) Run(g *Globals) error {
	cfg, err := g.Load()
	if err != nil {
		return err
	}
	in := c.stdin
	if in == nil {
		in = os.Stdin
	}
	password, err := readPassword(in, g.stderr)
	if err != nil {
		return err
	}
	ctx := context.Background()
	st, err := store.Open(ctx, pick(c.Data, cfg.DataDir))
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := st.AddUser(ctx, cliActor(), c.Name, store.Role(c.Role), password)
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "added %s (%s)\n", u.Name, u.Role)
	return nil
}

// readPassword reads one line: from a terminal without echo, else from the
// pipe (`echo "$PW" | markwatch users add alice`).
func readPassword(in io.Reader, prompt io.Writer) (string, error) {
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(prompt, "Password: ")
		pw, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		return string(pw), nil
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("no password on stdin (pipe it in, or run on a terminal)")
	}
	return pw, nil
}

// UsersListCmd lists users.
type UsersListCmd struct {
	Data string `help:"Data directory (default: the config's)." placeholder:"DIR"`
}

func (c *UsersListCmd) Run(g *Globals) error {
	ctx := context.Background()
	st, err := g.openStore(ctx, c.Data)
	if err != nil {
		return err
	}
	defer st.Close()
	users, err := st.Users(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tTOKENS\tCREATED\tDISABLED")
	for _, u := range users {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%v\n", u.Name, u.Role, u.Tokens, u.CreatedAt.Format(time.DateTime), u.Disabled)
	}
	return tw.Flush()
}

// UsersTokenCmd creates an API token.
type UsersTokenCmd struct {
	Data    string        `help:"Data directory (default: the config's)." placeholder:"DIR"`
	Name    string        `arg:""`
	Label   string        `help:"What the token is for (shown in the audit log)."`
	Expires time.Duration `help:"Token lifetime, e.g. 2160h for 90 days (default: no expiry)." placeholder:"D"`
}

func (c *UsersTokenCmd) Run(g *Globals) error {
	ctx := context.Background()
	st, err := g.openStore(ctx, c.Data)
	if err != nil {
		return err
	}
	defer st.Close()
	var expires time.Time
	if c.Expires < 0 {
		return fmt.Errorf("--expires: want a positive duration, got %s", c.Expires)
	}
	if c.Expires > 0 {
		expires = time.Now().Add(c.Expires)
	}
	token, err := st.CreateTokenUntil(ctx, cliActor(), c.Name, c.Label, expires)
	if err != nil {
		return err
	}
	fmt.Fprintln(g.stdout, token)
	return nil
}

// UsersTokensCmd lists a user's tokens.
type UsersTokensCmd struct {
	Data string `help:"Data directory (default: the config's)." placeholder:"DIR"`
	Name string `arg:"" help:"User name."`
}

func (c *UsersTokensCmd) Run(g *Globals) error {
	return withStore(g, c.Data, func(ctx context.Context, st *store.Store) error {
		tokens, err := st.Tokens(ctx, c.Name)
		if err != nil {
			return err
		}
		when := func(t time.Time, zero string) string {
			if t.IsZero() {
				return zero
			}
			return t.UTC().Format(time.DateTime)
		}
		tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tLABEL\tCREATED\tLAST USED\tEXPIRES\tSTATE")
		for _, t := range tokens {
			state := "active"
			if !t.RevokedAt.IsZero() {
				state = "revoked " + when(t.RevokedAt, "") + " by " + t.RevokedBy
			} else if !t.Active {
				state = "expired"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Label, when(t.CreatedAt, "-"), when(t.LastUsed, "never"), when(t.ExpiresAt, "never"), state)
		}
		return tw.Flush()
	})
}

// UsersRevokeCmd revokes tokens.
type UsersRevokeCmd struct {
	Data string  `help:"Data directory (default: the config's)." placeholder:"DIR"`
	IDs  []int64 `arg:"" optional:"" name:"id" help:"Token ids (from 'users tokens NAME')."`
	User string  `help:"Revoke every active token of this user." placeholder:"NAME"`
}

func (c *UsersRevokeCmd) Run(g *Globals) error {
	if len(c.IDs) == 0 && c.User == "" {
		return errors.New("name token ids, or --user NAME for all of a user's tokens")
	}
	return withStore(g, c.Data, func(ctx context.Context, st *store.Store) error {
		ids := c.IDs
		if c.User != "" {
			tokens, err := st.Tokens(ctx, c.User)
			if err != nil {
				return err
			}
			for _, t := range tokens {
				if t.Active {
					ids = append(ids, t.ID)
				}
			}
		}
		for _, id := range ids {
			if err := st.RevokeToken(ctx, cliActor(), id, c.User); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "token %d revoked\n", id)
		}
		return nil
	})
}

// openStore opens the store in dataDir, or in the config's data directory,
// for the one-shot user commands.
func (g *Globals) openStore(ctx context.Context, dataDir string) (*store.Store, error) {
	cfg, err := g.Load()
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, pick(dataDir, cfg.DataDir))
}
