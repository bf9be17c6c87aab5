package review_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/review"
	"github.com/markwatch/markwatch/store"
	"github.com/markwatch/markwatch/store/storetest"
)

// chrome is a logged-in headless Chromium on a fixture's server.
type chrome struct {
	t   *testing.T
	ctx context.Context
	f   *fixture
}

// sharedChromium is one headless Chromium for the package's tests: each
// test gets its own browser context in it (cookies and storage apart),
// instead of starting a browser of its own. TestMain stops it.
var sharedChromium struct {
	sync.Mutex
	ctx  context.Context
	stop func()
}

func sharedBrowser(t *testing.T) context.Context {
	t.Helper()
	sharedChromium.Lock()
	defer sharedChromium.Unlock()
	if sharedChromium.ctx != nil {
		return sharedChromium.ctx
	}
	chromium := findChromium(t)
	dir, err := os.MkdirTemp("", "markwatch-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true), chromedp.Flag("disable-background-networking", true), chromedp.UserDataDir(dir))
	ctx, cancel := chromedp.NewContext(actx)
	stop := func() { cancel(); cancelAlloc(); os.RemoveAll(dir) }
	// Start the browser now (its first tab stays blank). Not under a
	// timeout: the browser lives as long as the context of its first run.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		stop()
		t.Fatalf("start chromium: %v", err)
	}
	sharedChromium.ctx, sharedChromium.stop = ctx, stop
	return ctx
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedChromium.stop != nil {
		sharedChromium.stop()
	}
	os.Exit(code)
}

func newBrowser(t *testing.T, f *fixture, user string) *chrome {
	t.Helper()
	ctx, cancel := chromedp.NewContext(sharedBrowser(t), chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 10*time.Minute) // only against a hang
	t.Cleanup(cancelTimeout)
	b := &chrome{t: t, ctx: ctx, f: f}
	b.do("log in", chromedp.Navigate(f.srv.URL+"/login"), chromedp.WaitVisible(chromedp.CSS("#login-form")),
		chromedp.SendKeys(chromedp.CSS("#name"), user), chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#login")), chromedp.WaitVisible(chromedp.CSS("#queue")))
	return b
}

func (b *chrome) do(name string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", name, err)
	}
}

func (b *chrome) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// waitFor polls a JavaScript condition (a navigation's outcome).
func (b *chrome) waitFor(what, js string) {
	b.t.Helper()
	for deadline := time.Now().Add(90 * time.Second); ; { // generous: chromium and a race-enabled server under load
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](js))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

func (b *chrome) eval(js string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("%s: %v", js, err)
	}
	return s
}

// triageFixture adds 22 listings of one seller on taobao (queue order
// t21 … t00) and one crab listing to the usual fixture.
func triageFixture(t *testing.T) *fixture {
	f := newFixture(t, review.Options{Marks: review.MarkMap{
		"劳力士": {ID: "劳力士", Name: "劳力士 Rolex", Kind: "trademark", Floor: 30000, Names: []string{"劳力士", "Rolex"}},
	}})
	now := time.Now().UTC()
	var fs []markwatch.Finding
	for i := 0; i < 22; i++ {
		x := storetest.Finding("r3", "taobao", fmt.Sprintf("t%02d", i), "劳力士", fmt.Sprintf("高仿 劳力士 绿水鬼 手表 %02d", i), 800, now)
		x.Verdict.Score = 0.5 + float64(i)/100
		fs = append(fs, x)
	}
	fs = append(fs, storetest.Finding("r3", "jd", "crab", "阳澄湖", "阳澄湖 大闸蟹 礼盒 正宗", 90, now))
	if _, err := f.store.PutFindings(t.Context(), fs); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestBrowserSearchAndKeyboardTriage: a reviewer finds a listing by a
// two-character Chinese fragment, triages 20 listings with the keyboard
// alone (decide-and-next), and undoes the last decision.
func TestBrowserSearchAndKeyboardTriage(t *testing.T) {
	f := triageFixture(t)
	b := newBrowser(t, f, "rita")

	b.do("search 闸蟹", chromedp.SendKeys(chromedp.CSS("#f-q"), "闸蟹"), chromedp.Click(chromedp.CSS("#apply")))
	b.waitFor("search results", `location.search.includes("q=") && document.readyState === "complete" && !!document.getElementById("summary")`)
	if got := b.text("#summary"); !strings.Contains(got, "1–1 of 1") {
		t.Errorf("search 闸蟹: %q, want exactly one listing", got)
	}
	if got := b.text("#queue tbody"); !strings.Contains(got, "阳澄湖 大闸蟹") {
		t.Errorf("search 闸蟹 found %q", got)
	}

	// The keyboard only from here: the queue of the taobao seller.
	b.do("open the taobao queue", chromedp.Navigate(f.srv.URL+"/queue?site=taobao"), chromedp.WaitVisible(chromedp.CSS("#queue")))
	b.do("open the first row by keyboard", chromedp.KeyEvent("?"))
	if open := b.eval(`String(document.getElementById("shortcuts").open)`); open != "true" {
		t.Errorf("? did not open the shortcuts")
	}
	b.do("close, move, open", chromedp.KeyEvent("?"), chromedp.KeyEvent("j"), chromedp.KeyEvent("o"))
	b.waitFor("the first listing", `location.pathname.startsWith("/listings/") && !!document.getElementById("decide")`)
	seen := map[string]bool{}
	for i := 0; i < 20; i++ {
		path := b.eval(`location.pathname`)
		if seen[path] {
			t.Fatalf("decision %d: %s shown twice", i, path)
		}
		seen[path] = true
		key := "c"
		if i%2 == 1 {
			key = "d"
		}
		b.do(fmt.Sprintf("decision %d (%s)", i, key), chromedp.KeyEvent(key))
		b.waitFor(fmt.Sprintf("the listing after decision %d", i),
			fmt.Sprintf(`document.readyState === "complete" && location.pathname !== %q && !!document.getElementById("status")`, path))
	}
	rows, _, err := f.store.Suspects(t.Context(), store.Filter{Site: "taobao", Status: store.New})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d taobao listings still new after 20 keyboard decisions, want 2", len(rows))
	}
	// t21 … t02 were decided in queue order: t02 last, dismissed.
	last, _ := f.store.ListingByKey(t.Context(), "taobao", "t02")
	if d, _ := f.store.Listing(t.Context(), last); d.Status != store.Dismissed {
		t.Fatalf("t02 is %s, want dismissed (the 20th decision)", d.Status)
	}

	b.do("undo", chromedp.KeyEvent("u"))
	b.waitFor("the restored listing", fmt.Sprintf(`location.pathname === "/listings/%d" && !!document.getElementById("status")`, last))
	if got := b.text("#status"); got != "new" {
		t.Errorf("status after undo = %q, want new", got)
	}
	if got := b.text("#decisions"); !strings.Contains(got, "undo of decision") {
		t.Errorf("the undo is not a decision of its own: %q", got)
	}
	if d, _ := f.store.Listing(t.Context(), last); d.Status != store.New {
		t.Errorf("store: t02 is %s after undo", d.Status)
	}

	// From the queue: move to a row and dismiss it without opening it;
	// the cursor stays in place for the next row.
	b.do("open the queue again", chromedp.Navigate(f.srv.URL+"/queue?site=taobao"), chromedp.WaitVisible(chromedp.CSS("#queue")))
	if got := b.text("#summary"); !strings.Contains(got, "of 3") {
		t.Fatalf("queue before: %q", got)
	}
	b.do("dismiss the first row", chromedp.KeyEvent("j"), chromedp.KeyEvent("d"))
	b.waitFor("the queue after the decision", `document.readyState === "complete" && !!document.querySelector("p.flash") && document.getElementById("summary").textContent.includes("of 2")`)
	if got := b.eval(`String(document.querySelectorAll("tr.cursor").length)`); got != "1" {
		t.Errorf("the cursor was not kept after a decision from the queue (%s rows marked)", got)
	}
}
