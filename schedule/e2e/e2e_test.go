package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/crawler"
	"github.com/markwatch/markwatch/fakemarket"
	"github.com/markwatch/markwatch/internal/testredis"
	"github.com/markwatch/markwatch/matchers"
	"github.com/markwatch/markwatch/pipeline"
	"github.com/markwatch/markwatch/queue"
	"github.com/markwatch/markwatch/schedule"
	"github.com/markwatch/markwatch/store"
)

const sweepsYAML = `
sweeps:
  - name: crab_day
    sites: [fakemart, fakegbk]
    queries: [大闸蟹, 茅台]
    window: {from: 2026-09-20, to: 2026-09-20}
    every: 12h
    priority: 10
    max_pages: 2
`

func TestSweepFiredCrawledStoredFinished(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	fm := fakemarket.New(fakemarket.Generate(7, fakemarket.WithListings(300)), fakemarket.Options{})
	urls, err := fm.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fm.Close() })

	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	sites, err := crawler.LoadSites(cfg.SitesLocation())
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range sites {
		if u := urls.URL(strings.TrimPrefix(name, "fake")); u != "" {
			if sites[name], err = s.Rebase(u); err != nil {
				t.Fatal(err)
			}
		}
	}
	matcher, err := matchers.Load(cfg.MarksLocation(), cfg.SignalsLocation())
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })

	sweeps, err := schedule.Parse("sweeps.yaml", []byte(sweepsYAML), schedule.LoadOptions{Sites: []string{"fakemart", "fakegbk", "fakeapi"}})
	if err != nil {
		t.Fatal(err)
	}
	loc := sweeps.Location()
	clock := schedule.NewSimClock(time.Date(2026, 9, 19, 23, 0, 0, 0, loc))
	rdb := testredis.Start(t).Client()
	frontier := queue.NewRedis(rdb, queue.Options{Lease: 10 * time.Second})
	t.Cleanup(func() { frontier.Close() })
	sched, err := schedule.New(schedule.Params{
		Redis: rdb, Sweeps: sweeps, Frontier: frontier, Clock: clock,
		Seeder: schedule.FrontierSeeder{Frontier: frontier, SearchURL: func(site, query string, page int) (string, error) {
			return sites[site].SearchURL(query, page)
		}},
	})
	if err != nil {
		t.Fatal(err)
	}

	if err := sched.Tick(ctx); err != nil { // first sight
		t.Fatal(err)
	}
	clock.Set(time.Date(2026, 9, 20, 0, 0, 0, 0, loc))
	if err := sched.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	runs, err := sched.History(ctx, "crab_day", 10)
	if err != nil || len(runs) != 1 || runs[0].Tasks != 4 {
		t.Fatalf("runs %+v, %v; want one run seeded with 2 sites × 2 queries", runs, err)
	}
	run := runs[0]

	worker := &pipeline.Worker{
		Frontier: frontier, Crawler: crawler.New(cfg.Crawl, sites), Matcher: matcher, Sink: st,
		Concurrency: 4, Idle: 10 * time.Millisecond,
	}
	err = worker.Run(ctx, func(ctx context.Context) (bool, error) {
		s, err := frontier.Stats(ctx, run.ID)
		return err == nil && s.Finished, err
	})
	if err != nil {
		t.Fatal(err)
	}

	clock.Set(time.Date(2026, 9, 20, 1, 0, 0, 0, loc))
	if err := sched.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	status, err := sched.Status(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	p := status.Progress
	if status.Run.State != schedule.StateFinished || p == nil || !p.Finished || p.Dead != 0 || p.Listings == 0 || p.Suspects == 0 {
		t.Fatalf("status %+v progress %+v; want a finished run with listings and suspects and no dead task", status.Run, p)
	}
	counts, err := st.CountByStatus(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	var stored int64
	for _, n := range counts {
		stored += n
	}
	if stored == 0 {
		t.Fatalf("no suspect findings in the store (counts %v)", counts)
	}
	t.Logf("run %s: %d pages, %d listings, %d suspects; %d suspect listings stored", run.ID, p.Pages, p.Listings, p.Suspects, stored)
}
