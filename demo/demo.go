package demo

import (
	"context"
	"errors"
	"fmt"
	"github.com/markwatch/markwatch/images"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/crawler"
	"github.com/markwatch/markwatch/fakemarket"
	"github.com/markwatch/markwatch/matchers"
	"github.com/markwatch/markwatch/obs"
	"github.com/markwatch/markwatch/pipeline"
	"github.com/markwatch/markwatch/queue"
	"github.com/markwatch/markwatch/review"
	"github.com/markwatch/markwatch/store"
)

// FakeSites maps the default adapters for the fake marketplace to the fake
// marketplace's site names.
var FakeSites = map[string]string{
	"fakemart": fakemarket.SiteMart,
	"fakegbk":  fakemarket.SiteGBK,
	"fakeapi":  fakemarket.SiteAPI,
}

// Options configure a demo run.
type Options struct {
	Config *config.Config
	// DataDir holds the store and evidence; required.
	DataDir string
	// Seed generates the fake marketplace's catalogue.
	Seed int64
	// Listings is the catalogue size (0: fakemarket.DefaultListings).
	Listings int
	// Networks and Independents add fakemarket.GenerateSellerNetworks
	// sellers to the catalogue (fakemarket.WithSellerNetworks).
	Networks, Independents int
	// Redis, when set, runs the sweep on the Redis frontier at this URL.
	Redis string
	// Faults are applied by the fake marketplace (see fakemarket.FaultRule).
	Faults []fakemarket.FaultRule
	// Registry receives every component's metrics; nil: a new one.
	Registry *prometheus.Registry
	Logger   *slog.Logger
	// Queries limits the sweep to these queries (default: the catalogue's).
	Queries []string
	// Now is the matcher's clock (mark validity, patent years). Default time.Now.
	Now func() time.Time
}

// Summary is what `markwatch demo --once` prints.
type Summary struct {
	Run       string  `json:"run"`
	Pages     int64   `json:"pages"`
	Listings  int64   `json:"listings"`
	Suspects  int64   `json:"suspects"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	Seconds   float64 `json:"seconds"`
	// TruePositives, FalsePositives, FalseNegatives: the counts behind
	// precision and recall (unique listings per site).
	TruePositives  int   `json:"true_positives"`
	FalsePositives int   `json:"false_positives"`
	FalseNegatives int   `json:"false_negatives"`
	Dead           int64 `json:"dead"`
	// Images measures the image channel against the photos' ground truth
	// (nil when images are off).
	Images *ImageSummary `json:"images,omitempty"`
	Missed []string      `json:"missed,omitempty"` // false negatives, site/id (at most 20)
	Wrong  []string      `json:"wrong,omitempty"`  // false positives, site/id (at most 20)
}

// Demo is a running demo: the fake marketplace, the stages, and after
// Sweep the store full of findings.
type Demo struct {
	opts     Options
	log      *slog.Logger
	reg      *prometheus.Registry
	health   *obs.Health
	market   *fakemarket.Server
	urls     fakemarket.Sites
	sites    map[string]*crawler.Site
	crawler  *crawler.Crawler
	matcher  *matchers.Matcher
	marks    []matchers.Mark
	store    *store.Store
	frontier queue.Frontier
	redis    redis.UniversalClient
	workerM  *pipeline.Metrics

	images *images.Step

	mu       sync.Mutex
	verdicts map[string]bool // site/id → suspect
	// photoHits and textHits: site/id → marks hit via a photo, and read in
	// a photo's OCR text (image channel on).
	photoHits, textHits map[string][]string
}

// ImageSummary is the image channel's part of Summary: near-duplicate
// photos (a stolen reference photo, edited) and marks written in photos
// (OCR), each scored per listing against the catalogue's ImageTruth.
type ImageSummary struct {
	NearDuplicates Score `json:"near_duplicates"`
	MarksInImages  Score `json:"marks_in_images"`
	// Fetched, Refused, OCR: images accepted, refused, and read by OCR.
	Fetched float64 `json:"fetched"`
	Refused float64 `json:"refused"`
	OCR     float64 `json:"ocr"`
	// Tesseract is false when OCR was off for want of it.
	Tesseract bool `json:"tesseract"`
}

// Score is precision and recall with their counts.
type Score struct {
	Precision      float64 `json:"precision"`
	Recall         float64 `json:"recall"`
	TruePositives  int     `json:"true_positives"`
	FalsePositives int     `json:"false_positives"`
	FalseNegatives int     `json:"false_negatives"`
}

// Start starts the fake marketplace and builds every stage.
func Start(ctx context.Context, opts Options) (_ *Demo, err error) {
	if opts.Config == nil {
		return nil, errors.New("demo: no config")
	}
	if opts.DataDir == "" {
		return nil, errors.New("demo: no data directory")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Registry == nil {
		opts.Registry = obs.NewRegistry()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	d := &Demo{opts: opts, log: opts.Logger, reg: opts.Registry, health: &obs.Health{}, verdicts: map[string]bool{},
		photoHits: map[string][]string{}, textHits: map[string][]string{}}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()

	cat := fakemarket.Generate(opts.Seed, fakemarket.WithListings(opts.Listings), fakemarket.WithSellerNetworks(opts.Networks, opts.Independents))
	d.market = fakemarket.New(cat, fakemarket.Options{Faults: opts.Faults})
	if d.urls, err = d.market.Start("127.0.0.1:0"); err != nil {
		return nil, err
	}

	all, err := crawler.LoadSites(opts.Config.SitesLocation())
	if err != nil {
		return nil, err
	}
	d.sites = map[string]*crawler.Site{}
	for adapter, fake := range FakeSites {
		s, ok := all[adapter]
		if !ok {
			return nil, fmt.Errorf("demo: the sites directory %s has no adapter %q for the fake marketplace", opts.Config.SitesLocation(), adapter)
		}
		if d.sites[adapter], err = s.Rebase(d.urls.URL(fake)); err != nil {
			return nil, err
		}
	}
	d.crawler = crawler.New(opts.Config.Crawl, d.sites,
		crawler.WithMetrics(crawler.NewMetrics(d.reg)), crawler.WithLogger(d.log))

	if d.marks, err = matchers.LoadMarks(opts.Config.MarksLocation()); err != nil {
		return nil, err
	}
	signals, err := matchers.LoadSignals(opts.Config.SignalsLocation())
	if err != nil {
		return nil, err
	}
	// The marks are read once: the review app describes the same ones.
	if d.matcher, err = matchers.New(d.marks, signals,
		matchers.WithMetrics(matchers.NewMetrics(d.reg)), matchers.WithNow(opts.Now)); err != nil {
		return nil, err
	}

	if err := os.MkdirAll(opts.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if opts.Config.Images.Enabled {
		if d.images, err = images.Build(opts.Config.Images, opts.Config.Crawl.UserAgent, d.crawler, nil, d.matcher,
			opts.Config.MarksLocation(), d.marks, filepath.Join(opts.DataDir, "evidence", "images"), d.reg, d.log); err != nil {
			return nil, err
		}
	}
	if d.store, err = store.Open(ctx, opts.DataDir, store.WithRegisterer(d.reg), store.WithLogger(d.log)); err != nil {
		return nil, err
	}
	d.health.Add("store", d.store.Ping)

	qopts := queue.Options{
		Lease:   opts.Config.Crawl.Lease.Std(),
		Retries: opts.Config.Crawl.Retries,
		Logger:  d.log,
		Metrics: queue.NewMetrics(d.reg),
		Limit: func(site string) queue.Limit {
			perSecond, burst := d.crawler.FleetLimit(site)
			return queue.Limit{Rate: perSecond, Burst: burst}
		},
		TrackingParams: func(site string) []string {
			if s, ok := d.sites[site]; ok {
				return s.TrackingParams
			}
			return nil
		},
	}
	if opts.Redis != "" {
		if d.redis, err = queue.Dial(opts.Redis); err != nil {
			return nil, err
		}
		d.health.Add("redis", func(ctx context.Context) error { return d.redis.Ping(ctx).Err() })
		fr := queue.NewRedis(d.redis, qopts)
		if err := fr.CheckLease(ctx); err != nil {
			return nil, err
		}
		d.frontier = fr
	} else {
		d.frontier = queue.NewMemory(qopts)
	}
	d.workerM = pipeline.NewMetrics(d.reg)
	return d, nil
}

// Close stops the fake marketplace and closes the store.
func (d *Demo) Close() {
	if d.market != nil {
		_ = d.market.Close()
	}
	if c, ok := d.frontier.(interface{ Close() error }); ok {
		_ = c.Close()
	}
	if d.redis != nil {
		_ = d.redis.Close()
	}
	if d.store != nil {
		_ = d.store.Close()
	}
}

// Market returns the fake marketplace (tests read its ground truth and hits).
func (d *Demo) Market() *fakemarket.Server { return d.market }

// Store returns the review store.
func (d *Demo) Store() *store.Store { return d.store }

// Registry returns the metrics registry.
func (d *Demo) Registry() *prometheus.Registry { return d.reg }

// Handler serves the review app logged in as a demo reviewer, plus
// /metrics, /healthz and /readyz.
func (d *Demo) Handler() http.Handler {
	mux := http.NewServeMux()
	obs.Mount(mux, d.reg, d.health)
	mux.Handle("/", review.New(d.store, review.Options{
		Logger: d.log, Registerer: d.reg, DemoUser: "demo", Marks: review.MarksOf(d.marks),
		References: images.ReferenceFiles(d.opts.Config.MarksLocation(), d.marks),
	}))
	return loopbackHost(mux)
}

// loopbackHost refuses requests whose Host is not a loopback name or
// address. The demo logs every visitor in as a reviewer; without this, a web
// page could rebind its own host name to 127.0.0.1 and act as that reviewer
// from the user's browser (DNS rebinding).
func loopbackHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.Trim(host, "[]")
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			http.Error(w, "the demo answers only on a loopback address (127.0.0.1, [::1] or localhost)", http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

type recordingMatcher struct {
	d *Demo
}

func (r recordingMatcher) Match(ctx context.Context, l markwatch.Listing) (markwatch.Verdict, error) {
	v, err := r.d.matcher.Match(ctx, l)
	if err == nil {
		r.d.mu.Lock()
		key := l.Site + "/" + l.ID
		r.d.verdicts[key] = v.Suspect
		for _, h := range v.Hits {
			switch {
			case h.Descriptive:
			case h.Via == "photo":
				r.d.photoHits[key] = append(r.d.photoHits[key], h.Mark)
			case h.Field == "image_text":
				r.d.textHits[key] = append(r.d.textHits[key], h.Mark)
			}
		}
		r.d.mu.Unlock()
	}
	return v, err
}

// Sweep crawls every query of the catalogue on every fake site, to the end,
// and returns the summary measured against ground truth.
func (d *Demo) Sweep(ctx context.Context) (Summary, error) {
	start := time.Now()
	run := "demo-" + start.UTC().Format("20060102T150405.000")
	queries := d.opts.Queries
	if len(queries) == 0 {
		queries = d.market.Catalogue().Queries()
	}
	var seeds []markwatch.Task
	for _, name := range slices.Sorted(maps.Keys(d.sites)) {
		s := d.sites[name]
		for _, q := range queries {
			t := s.SearchTask(run, q, 1)
			t.Sweep = "demo"
			seeds = append(seeds, t)
		}
	}
	if _, err := d.frontier.Add(ctx, seeds...); err != nil {
		return Summary{}, err
	}
	d.log.Info("sweep started", "run", run, "sweep", "demo", "tasks", len(seeds))
	w := &pipeline.Worker{
		Frontier:    d.frontier,
		Crawler:     d.crawler,
		Matcher:     recordingMatcher{d},
		Sink:        d.store,
		Images:      d.enricher(),
		Concurrency: d.opts.Config.Crawl.Concurrency,
		Lease:       d.opts.Config.Crawl.Lease.Std(),
		Retries:     d.opts.Config.Crawl.Retries,
		Logger:      d.log,
		Metrics:     d.workerM,
	}
	finished := func(ctx context.Context) (bool, error) {
		st, err := d.frontier.Stats(ctx, run)
		if err != nil {
			return false, err
		}
		return st.Finished, nil
	}
	if err := w.Run(ctx, finished); err != nil {
		return Summary{}, err
	}
	if err := ctx.Err(); err != nil {
		return Summary{}, err
	}
	st, err := d.frontier.Stats(ctx, run)
	if err != nil {
		return Summary{}, err
	}
	// A run that lost tasks did not see everything it should have: finishing
	// it would mark takedown-requested listings it missed as removed.
	if st.Dead == 0 {
		if err := d.store.FinishRun(ctx, run, slices.Sorted(maps.Keys(d.sites))); err != nil {
			return Summary{}, err
		}
	} else {
		d.log.Warn("run not finished in the store: some tasks died, so removals cannot be told", "run", run, "dead", st.Dead)
	}
	// The seller networks page reads stored networks (serve rebuilds them
	// periodically; the demo after each sweep).
	if _, _, err := review.RebuildNetworks(ctx, d.store, time.Now(), false); err != nil {
		return Summary{}, err
	}
	sum := d.score(queries)
	sum.Run, sum.Pages, sum.Listings, sum.Suspects, sum.Dead = run, st.Pages, st.Listings, st.Suspects, st.Dead
	sum.Seconds = time.Since(start).Seconds()
	d.log.Info("sweep finished", "run", run, "sweep", "demo", "pages", sum.Pages, "listings", sum.Listings,
		"suspects", sum.Suspects, "precision", sum.Precision, "recall", sum.Recall, "seconds", sum.Seconds)
	return sum, nil
}

// score compares the recorded verdicts with the catalogue's ground truth for
// every listing the sweep's queries reach on each site.
func (d *Demo) score(queries []string) Summary {
	cat := d.market.Catalogue()
	d.mu.Lock()
	defer d.mu.Unlock()
	var s Summary
	reachable := map[string]bool{}
	for adapter, fake := range FakeSites {
		for _, q := range queries {
			for _, l := range cat.Search(fake, q) {
				reachable[adapter+"/"+l.ID] = true
			}
		}
	}
	for _, key := range slices.Sorted(maps.Keys(reachable)) {
		_, id, _ := strings.Cut(key, "/")
		truth, ok := cat.Truth(id)
		if !ok {
			continue
		}
		flagged := d.verdicts[key]
		switch {
		case flagged && truth.Suspect:
			s.TruePositives++
		case flagged && !truth.Suspect:
			s.FalsePositives++
			if len(s.Wrong) < 20 {
				s.Wrong = append(s.Wrong, key+" ("+truth.Class+")")
			}
		case !flagged && truth.Suspect:
			s.FalseNegatives++
			if len(s.Missed) < 20 {
				s.Missed = append(s.Missed, key+" ("+truth.Class+")")
			}
		}
	}
	// Flagged listings the queries should not have reached still count
	// against precision.
	for key, flagged := range d.verdicts {
		if flagged && !reachable[key] {
			s.FalsePositives++
		}
	}
	s.Precision = ratio(s.TruePositives, s.TruePositives+s.FalsePositives)
	s.Recall = ratio(s.TruePositives, s.TruePositives+s.FalseNegatives)
	if d.images != nil {
		s.Images = d.scoreImages(reachable)
	}
	return s
}

// enricher is the images step, or nil (a nil *images.Step in the
// interface would not be nil).
func (d *Demo) enricher() pipeline.Enricher {
	if d.images == nil {
		return nil
	}
	return d.images
}

// scoreImages compares the photo and OCR hits with the catalogue's image
// truth, per listing: a hit counts once per listing and mark.
func (d *Demo) scoreImages(reachable map[string]bool) *ImageSummary {
	cat := d.market.Catalogue()
	var dup, text Score
	keys := maps.Clone(reachable)
	for key := range d.verdicts {
		keys[key] = true
	}
	for key := range keys {
		_, id, _ := strings.Cut(key, "/")
		truth, ok := cat.Truth(id)
		if !ok {
			continue
		}
		it := truth.Image
		tally := func(sc *Score, kind string, hits []string) {
			want := it != nil && it.Kind == kind
			found := false
			for _, m := range slices.Compact(slices.Sorted(slices.Values(hits))) {
				if want && m == it.Mark {
					found = true
				} else {
					sc.FalsePositives++
				}
			}
			switch {
			case found:
				sc.TruePositives++
			case want && reachable[key]:
				sc.FalseNegatives++
			}
		}
		tally(&dup, "duplicate", d.photoHits[key])
		tally(&text, "text", d.textHits[key])
	}
	for _, sc := range []*Score{&dup, &text} {
		sc.Precision = ratio(sc.TruePositives, sc.TruePositives+sc.FalsePositives)
		sc.Recall = ratio(sc.TruePositives, sc.TruePositives+sc.FalseNegatives)
	}
	m := d.images.Metrics
	refused := 0.0
	for _, r := range images.Reasons {
		refused += testutil.ToFloat64(m.Refused.WithLabelValues(r))
	}
	return &ImageSummary{NearDuplicates: dup, MarksInImages: text, Fetched: testutil.ToFloat64(m.Fetched), Refused: refused,
		OCR: testutil.ToFloat64(m.OCR.WithLabelValues("ok")), Tesseract: d.images.OCR != nil}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}
