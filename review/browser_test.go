package review_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/review"
	"github.com/markwatch/markwatch/store/storetest"
)

// findChromium returns Debian's chromium, installing it with apt-get when
// missing and running as root. It fails the test loudly otherwise: the
// review UI must be tested in a real browser.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Geteuid() == 0 {
		t.Log("chromium not found: installing it with apt-get")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "apt-get", "install", "-y", "chromium")
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		out, err := cmd.CombinedOutput()
		if err != nil {
			update := exec.CommandContext(ctx, "apt-get", "update")
			update.Run()
			cmd = exec.CommandContext(ctx, "apt-get", "install", "-y", "chromium")
			cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
			out, err = cmd.CombinedOutput()
		}
		if err == nil {
			if p, err := exec.LookPath("chromium"); err == nil {
				return p
			}
		}
		t.Fatalf("chromium is missing and `apt-get install -y chromium` failed: %v\n%s", err, out)
	}
	t.Fatal("chromium is missing: install it with `sudo apt-get install -y chromium` (the browser test cannot run without it)")
	return ""
}

// TestBrowserReviewFlow drives the app in headless Chromium: log in, filter
// the queue, open a suspect, confirm it, batch it and download the export.
// Along the way it checks that no hostile payload ever ran.
func TestBrowserReviewFlow(t *testing.T) {
	f := newFixture(t, review.Options{})
	// A few more suspects on another site, so that the filter has work to do.
	var more []markwatch.Finding
	for i := 0; i < 5; i++ {
		more = append(more, storetest.Finding("r2", "jsonmart", fmt.Sprintf("j%d", i), "Puma", "", 40, time.Now().UTC()))
	}
	if _, err := f.store.PutFindings(t.Context(), more); err != nil {
		t.Fatal(err)
	}

	downloads := t.TempDir()
	ctx, cancel := chromedp.NewContext(sharedBrowser(t), chromedp.WithNewBrowserContext())
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()

	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	noXSS := func(where string) {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`String(window.__xss)`))
		if err != nil || v != "undefined" {
			t.Errorf("%s: a hostile payload ran (window.__xss = %q, %v)", where, v, err)
		}
	}

	step("open the queue, land on the login form",
		chromedp.Navigate(f.srv.URL+"/queue"),
		chromedp.WaitVisible(chromedp.CSS("#login-form")))
	step("log in",
		chromedp.SendKeys(chromedp.CSS("#name"), "rita"),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#login")),
		chromedp.WaitVisible(chromedp.CSS("#queue")))
	if got := text("#summary"); !strings.Contains(got, "of 7") {
		t.Errorf("unfiltered queue: %q, want 7 suspects", got)
	}
	noXSS("queue")

	// waitFor polls until the page says what a navigation should lead to.
	waitFor := func(what, js string) {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); ; { // generous: chromium under load
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
			if err == nil && ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %s: %v", what, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	step("filter by site",
		chromedp.SetValue(chromedp.CSS("#f-site"), "mart"),
		chromedp.Click(chromedp.CSS("#apply")))
	waitFor("the filtered queue", `location.search.includes("site=mart") && document.readyState === "complete" && !!document.getElementById("queue")`)
	if got := text("#summary"); !strings.Contains(got, "1–1 of 1") {
		t.Errorf("filtered queue: %q, want exactly the mart suspect", got)
	}

	step("open the suspect",
		chromedp.Click(chromedp.CSS("#queue a.open")),
		chromedp.WaitVisible(chromedp.CSS("#decide")))
	if got := text("#title mark"); got != "Adidas" {
		t.Errorf("highlighted span = %q, want Adidas", got)
	}
	step("confirm it",
		chromedp.SendKeys(chromedp.CSS("#note"), "replica, confirmed in the browser"),
		chromedp.Click(chromedp.CSS("#to-confirmed")))
	// Decide and next: the filtered queue had one listing, so the app
	// goes back to it and says so.
	waitFor("back in the queue", `document.readyState === "complete" && !!document.getElementById("queue") && !!document.querySelector("p.flash")`)
	if got := text("p.flash"); !strings.Contains(got, "1 listing(s) marked confirmed") || !strings.Contains(got, "last listing") {
		t.Errorf("flash = %q", got)
	}
	step("open the confirmed listing",
		chromedp.Navigate(fmt.Sprintf("%s/listings/%d", f.srv.URL, f.plain)),
		chromedp.WaitVisible(chromedp.CSS("#status")))
	if got := text("#status"); got != "confirmed" {
		t.Errorf("status after confirming = %q", got)
	}
	if got := text("#decisions"); !strings.Contains(got, "rita") || !strings.Contains(got, "replica, confirmed in the browser") {
		t.Errorf("decisions = %q", got)
	}

	// The hostile listing: its page, the evidence frame, the seller page.
	step("open the hostile listing",
		chromedp.Navigate(fmt.Sprintf("%s/listings/%d", f.srv.URL, f.hostile)),
		chromedp.WaitVisible(chromedp.CSS("#evidence-frame")),
		chromedp.Sleep(300*time.Millisecond)) // let the frame load
	noXSS("hostile listing with its evidence frame")
	frameDoc, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById('evidence-frame').contentDocument === null`))
	if err != nil || !frameDoc {
		t.Errorf("the evidence frame is not isolated (contentDocument reachable): %v", err)
	}
	if got := text("#title"); !strings.Contains(got, "<script>window.__xss=1</script>") {
		t.Errorf("title not shown as text: %q", got)
	}
	step("open the seller page", chromedp.Click(chromedp.CSS("#seller-link")), chromedp.WaitVisible(chromedp.CSS("table.queue")))
	noXSS("seller page")

	step("create a takedown batch",
		chromedp.Navigate(f.srv.URL+"/exports"),
		chromedp.WaitVisible(chromedp.CSS("#pending")),
		chromedp.Click(chromedp.CSS("button.create-batch")),
		chromedp.WaitVisible(chromedp.CSS("#download-csv")))

	step("allow downloads", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: ptr(true),
			BrowserContextID: chromedp.FromContext(ctx).BrowserContextID})
		return err
	}))
	progress := chromedp.BrowserEvents(ctx, browser.DownloadProgress)
	step("download the CSV", chromedp.Click(chromedp.CSS("#download-csv")))
	var file string
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			file = filepath.Join(downloads, ev.GUID)
			break
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatal("download cancelled")
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	csv := string(data)
	if !strings.Contains(csv, strings.Join(review.TakedownHeader, ",")) || !strings.Contains(csv, "https://mart.example/item/p1") ||
		!strings.Contains(csv, `"'=HYPERLINK(""http://evil.example"",""click"")"`) {
		t.Errorf("downloaded export:\n%s", csv)
	}
}

func ptr[T any](v T) *T { return &v }
