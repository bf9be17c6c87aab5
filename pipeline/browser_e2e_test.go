package pipeline_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/crawler"
	"github.com/markwatch/markwatch/crawler/browser"
	"github.com/markwatch/markwatch/fakemarket"
	"github.com/markwatch/markwatch/matchers"
	"github.com/markwatch/markwatch/pipeline"
	"github.com/markwatch/markwatch/queue"
	"github.com/markwatch/markwatch/store"
)

// evidenceSpy passes pages and findings to the store and keeps the
// evidence hashes the store gave the findings.
type evidenceSpy struct {
	*store.Store
	mu       sync.Mutex
	hashes   map[string]bool
	found    int
	listings map[string]markwatch.Listing // by id
	suspect  map[string]bool              // by id
}

func (s *evidenceSpy) Put(ctx context.Context, page *markwatch.Page, fs []markwatch.Finding) error {
	if err := s.Store.Put(ctx, page, fs); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range fs {
		s.found++
		s.listings[f.Listing.ID] = f.Listing
		s.suspect[f.Listing.ID] = f.Verdict.Suspect
		if f.Listing.Evidence != "" {
			s.hashes[f.Listing.Evidence] = true
		}
	}
	return nil
}

// The fake marketplace's JavaScript site, crawled through fetch: browser by
// a worker into the real store (search and item pages rendered): every
// listing of the query is stored with the fields of the site's ground
// truth, the verdicts agree with that truth, and the evidence is the
// rendered page with its screenshot beside it.
func TestBrowserSiteFindingsAndScreenshotsInTheStore(t *testing.T) {
	chromium, err := browser.FindChromium()
	if err != nil {
		t.Skipf("%v: scripts/setup.sh installs it", err)
	}
	market := fakemarket.New(fakemarket.Generate(1, fakemarket.WithListings(90), fakemarket.WithJSListings(fakemarket.RecipesPerCycle())), fakemarket.Options{})
	urls, err := market.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer market.Close()
	site, err := crawler.LoadSite(config.Dir("../configs/sites/examples/fakejs.yaml"), "")
	if err != nil {
		t.Fatal(err)
	}
	if site, err = site.Rebase(urls.JS); err != nil {
		t.Fatal(err)
	}
	b := browser.New(browser.Options{ExecPath: chromium, Tabs: 2})
	defer b.Close()
	cr := crawler.New(config.Crawl{}, map[string]*crawler.Site{site.Name: site}, crawler.WithBrowser(b))
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	m, err := matchers.Load(cfg.MarksLocation(), cfg.SignalsLocation(), matchers.WithNow(func() time.Time { return time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC) }))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	spy := &evidenceSpy{Store: st, hashes: map[string]bool{}, listings: map[string]markwatch.Listing{}, suspect: map[string]bool{}}
	f := queue.NewMemory(queue.Options{})
	// Every verdict is kept, so that every listing can be checked.
	w := &pipeline.Worker{Frontier: f, Crawler: cr, Matcher: m, Sink: spy, Concurrency: 2, Idle: 5 * time.Millisecond,
		KeepFindings: func(markwatch.Verdict) bool { return true }}
	seed := site.SearchTask("browser-run", "耐克", 1)
	seed.MaxPages = 2
	// Only guards against a hang.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := f.Add(ctx, seed); err != nil {
		t.Fatal(err)
	}
	if err := w.Run(ctx, func(ctx context.Context) (bool, error) {
		st, err := f.Stats(ctx, seed.Run)
		return st.Finished, err
	}); err != nil || ctx.Err() != nil {
		t.Fatalf("run did not finish: %v %v", err, ctx.Err())
	}
	stats, err := f.Stats(context.Background(), seed.Run)
	if err != nil {
		t.Fatal(err)
	}
	want := market.Catalogue().Search(fakemarket.SiteJS, seed.Query)
	if stats.Dead != 0 || stats.Pages < 1 || stats.Listings != int64(len(want)) || len(want) == 0 {
		t.Fatalf("run %+v: want every one of the %d listings rendered, nothing dead", stats, len(want))
	}
	if spy.found != len(want) {
		t.Fatalf("%d findings stored, want one for each of the %d listings", spy.found, len(want))
	}
	for id, l := range spy.listings {
		if spy.suspect[id] && l.Evidence == "" {
			t.Fatalf("suspect listing %s stored without evidence", id)
		}
	}
	var agree, suspects int
	var wrong []string
	for _, w := range want {
		got, ok := spy.listings[w.ID]
		if !ok || got.Title != w.Title || got.Description != w.Description || got.Category != w.Category || got.Seller != w.Seller ||
			got.ShipFrom != w.ShipFrom || got.Price == nil || *got.Price != *w.Price || got.URL != urls.JS+w.URL {
			t.Fatalf("listing %s stored as %+v, want %+v", w.ID, got, w.Listing)
		}
		if w.Truth.Suspect {
			suspects++
		}
		if spy.suspect[w.ID] == w.Truth.Suspect {
			agree++
		} else {
			wrong = append(wrong, w.ID+" "+w.Truth.Class)
		}
	}
	// The matcher's own accuracy is measured by the demo; here the verdicts
	// must follow the site's truth as closely as the demo's 90 %.
	if suspects == 0 || suspects == len(want) || float64(agree) < 0.9*float64(len(want)) {
		t.Fatalf("verdicts agree with the truth on %d of %d listings (%d suspect); wrong: %v", agree, len(want), suspects, wrong)
	}
	t.Logf("verdicts agree with the JavaScript site's truth on %d of %d listings (%d suspect); wrong: %v", agree, len(want), suspects, wrong)
	for id, l := range spy.listings {
		hash := l.Evidence
		if hash == "" {
			continue
		}
		meta, err := st.Evidence().Meta(hash)
		if err != nil {
			t.Fatal(err)
		}
		png, err := st.Evidence().Screenshot(meta.Screenshot)
		if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
			t.Fatalf("evidence %s: screenshot %q: %v", hash, meta.Screenshot, err)
		}
		body, _, err := st.Evidence().Get(hash)
		if err != nil || !bytes.Contains(body, []byte(`<div class="detail" data-sku="`+id+`">`)) {
			t.Fatalf("evidence %s of %s is not its rendered item page: %v", hash, id, err)
		}
	}
}
