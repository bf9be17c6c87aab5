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
	mu     sync.Mutex
	hashes map[string]bool
	found  int
}

func (s *evidenceSpy) Put(ctx context.Context, page *markwatch.Page, fs []markwatch.Finding) error {
	if err := s.Store.Put(ctx, page, fs); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range fs {
		s.found++
		if f.Listing.Evidence != "" {
			s.hashes[f.Listing.Evidence] = true
		}
	}
	return nil
}

// The fake mart's JavaScript search, crawled through fetch: browser by a
// worker into the real store: findings are stored, and their evidence is
// the rendered page with its screenshot beside it.
func TestBrowserSiteFindingsAndScreenshotsInTheStore(t *testing.T) {
	chromium, err := browser.FindChromium()
	if err != nil {
		t.Skipf("%v: scripts/setup.sh installs it", err)
	}
	market := fakemarket.New(fakemarket.Generate(1, fakemarket.WithListings(90)), fakemarket.Options{})
	urls, err := market.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer market.Close()
	site, err := crawler.LoadSite(config.Dir("../configs/sites/examples/fakejs.yaml"), "")
	if err != nil {
		t.Fatal(err)
	}
	if site, err = site.Rebase(urls.Mart); err != nil {
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
	spy := &evidenceSpy{Store: st, hashes: map[string]bool{}}
	f := queue.NewMemory(queue.Options{})
	w := &pipeline.Worker{Frontier: f, Crawler: cr, Matcher: m, Sink: spy, Concurrency: 2, Idle: 5 * time.Millisecond}
	seed := site.SearchTask("browser-run", "耐克", 1)
	seed.MaxPages = 2
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
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
	want := len(market.Catalogue().Search(fakemarket.SiteMart, seed.Query))
	if stats.Dead != 0 || stats.Pages < 1 || stats.Listings != int64(want) || want == 0 {
		t.Fatalf("run %+v: want every one of the %d listings rendered, nothing dead", stats, want)
	}
	if spy.found == 0 || len(spy.hashes) == 0 {
		t.Fatalf("%d findings stored with %d evidence pages: the catalogue's 耐克 listings should give findings", spy.found, len(spy.hashes))
	}
	for hash := range spy.hashes {
		meta, err := st.Evidence().Meta(hash)
		if err != nil {
			t.Fatal(err)
		}
		png, err := st.Evidence().Screenshot(meta.Screenshot)
		if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
			t.Fatalf("evidence %s: screenshot %q: %v", hash, meta.Screenshot, err)
		}
		body, _, err := st.Evidence().Get(hash)
		if err != nil || !bytes.Contains(body, []byte(`class="js-card"`)) {
			t.Fatalf("evidence %s is not the rendered page: %v", hash, err)
		}
	}
}
