// Package browser renders pages in headless Chromium for site adapters with
// fetch: browser: one browser process per Browser (per worker), a bounded
// number of tabs, the rendered DOM and a full-page PNG screenshot per
// page, and a restart when the browser's memory passes a limit. It knows
// nothing of adapters: the crawler hands it a small Request and takes the
// Result through its own extraction, so the two never import each other.
package browser

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// Options configure a Browser; zero values take the defaults stated.
type Options struct {
	// ExecPath is the Chromium binary. Default: chromium, chromium-browser
	// or google-chrome on PATH.
	ExecPath string
	// Tabs bounds the pages rendered at once. Default 4.
	Tabs int
	// MemoryLimit (bytes of resident memory of the browser and its
	// children) restarts the browser, once no page is being rendered.
	// Default 1 GiB.
	MemoryLimit int64
	// UserAgent of the browser. Default: Chromium's own.
	UserAgent string
}

// Request is one page to render.
type Request struct {
	URL string
	// WaitFor is a CSS selector to wait for after the page loads ("" only
	// waits for the load).
	WaitFor string
	// Scroll is how many times to scroll to the bottom (lazy loading),
	// waiting ScrollPause after each.
	Scroll      int
	ScrollPause time.Duration
	// Timeout bounds the whole page. Default 30s.
	Timeout time.Duration
	// Screenshot takes a full-page PNG.
	Screenshot bool
	// Cookies are set before the page loads, each for URL's host only
	// (host-only cookies): the caller chooses which cookies may go there.
	Cookies []Cookie
	// Proxy is the proxy server of this page ("http://host:port",
	// "socks5://host:port", without credentials). Loopback addresses go
	// through it too.
	Proxy string
	// ProxyUser and ProxyPassword answer the proxy's authentication
	// challenges (HTTP proxies; Chromium speaks no SOCKS5 authentication).
	// They are given once per request: a proxy that asks again has
	// refused them, and the page fails with ErrProxyAuth.
	ProxyUser, ProxyPassword string
	// Allow decides on every request the page makes (scripts, XHR and
	// fetch, images, frames, redirects) but its own document (URL): ""
	// lets it go, anything else fails it as blocked by the client and is
	// counted in Result.Blocked under that reason. nil: everything goes.
	// It runs on its own goroutine per request and may block (a robots.txt
	// fetch).
	Allow func(ctx context.Context, u *url.URL) (reason string)
}

// Cookie is a cookie for Request.Cookies.
type Cookie struct {
	Name, Value string
	Path        string    // default "/"
	Secure      bool      // sent over https only
	Expires     time.Time // zero: a session cookie
}

// Result is a rendered page.
type Result struct {
	Status     int    // of the HTML document; 0 if the browser did not say
	FinalURL   string // after redirects and scripts
	HTML       []byte // the rendered DOM, serialised
	Screenshot []byte // PNG, when asked
	// Blocked counts the requests Request.Allow failed, by reason, and
	// BlockedSample is one of them (the first decided).
	Blocked       map[string]int
	BlockedSample string
}

// ErrProxyAuth: the page's proxy refused the credentials it was given
// (or asked for some and none were given).
var ErrProxyAuth = errors.New("browser: the proxy refused the credentials")

// Browser is one Chromium process serving up to Options.Tabs pages at once.
type Browser struct {
	opts Options
	tabs chan struct{}

	mu           sync.RWMutex // fetches hold it for reading; a restart for writing
	browserCtx   context.Context
	stop         func()
	dataDir      string
	restartAfter atomic.Bool // over the memory limit: restart before the next page
	restarts     int
	pages        atomic.Int64
}

// memoryCheckEvery is how often (in pages) the browser's memory is read.
const memoryCheckEvery = 10

// ErrNoBrowser: no Chromium binary was found.
var ErrNoBrowser = errors.New("browser: no chromium binary found (apt-get install chromium)")

// NeededBy reports whether any of fetchModes is "browser": a process
// starts a Browser only for adapters that need one.
func NeededBy(fetchModes ...string) bool {
	for _, m := range fetchModes {
		if m == "browser" {
			return true
		}
	}
	return false
}

// FindChromium returns the path of a Chromium binary, or ErrNoBrowser.
func FindChromium() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoBrowser
}

// New returns a Browser; the process starts with the first page.
func New(opts Options) *Browser {
	if opts.Tabs <= 0 {
		opts.Tabs = 4
	}
	if opts.MemoryLimit <= 0 {
		opts.MemoryLimit = 1 << 30
	}
	return &Browser{opts: opts, tabs: make(chan struct{}, opts.Tabs)}
}

// start launches the browser; b.mu is held for writing.
func (b *Browser) start() error {
	path := b.opts.ExecPath
	if path == "" {
		p, err := FindChromium()
		if err != nil {
			return err
		}
		path = p
	}
	dir, err := os.MkdirTemp("", "markwatch-browser-")
	if err != nil {
		return err
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(dir),
	}
	if b.opts.UserAgent != "" {
		opts = append(opts, chromedp.UserAgent(b.opts.UserAgent))
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	// Start the process now, with a blank first tab that stays open.
	if err := chromedp.Do(bctx); err != nil {
		cancelBrowser()
		cancelAlloc()
		os.RemoveAll(dir)
		return fmt.Errorf("browser: start %s: %w", path, err)
	}
	b.browserCtx, b.dataDir = bctx, dir
	b.stop = func() { cancelBrowser(); cancelAlloc(); os.RemoveAll(dir) }
	return nil
}

// ensure starts the browser if needed, or restarts it when it passed its
// memory limit; it returns holding b.mu for reading.
func (b *Browser) ensure() error {
	b.mu.RLock()
	if b.browserCtx != nil && !b.restartAfter.Load() {
		return nil
	}
	b.mu.RUnlock()
	b.mu.Lock() // waits for the pages being rendered
	if b.restartAfter.Load() && b.stop != nil {
		b.stop()
		b.browserCtx, b.stop = nil, nil
		b.restartAfter.Store(false)
		b.restarts++
	}
	var err error
	if b.browserCtx == nil {
		err = b.start()
	}
	b.mu.Unlock()
	if err != nil {
		return err
	}
	b.mu.RLock()
	if b.browserCtx == nil {
		b.mu.RUnlock()
		return errors.New("browser: not running")
	}
	return nil
}

// Fetch renders one page in a new tab.
func (b *Browser) Fetch(ctx context.Context, req Request) (*Result, error) {
	select {
	case b.tabs <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-b.tabs }()
	if err := b.ensure(); err != nil {
		return nil, err
	}
	defer b.mu.RUnlock()
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	var tabOpts []chromedp.ContextOption
	if req.Proxy != "" || len(req.Cookies) > 0 {
		// A browser context of its own (like an incognito window): its
		// proxy, and cookies that no other page sees.
		tabOpts = append(tabOpts, chromedp.WithNewBrowserContext(func(p *target.CreateBrowserContextParams) {
			if req.Proxy != "" {
				p.ProxyServer, p.ProxyBypassList = req.Proxy, "<-loopback>"
			}
		}))
	}
	tab, closeTab := chromedp.NewContext(b.browserCtx, tabOpts...)
	defer closeTab()
	tab, cancel := context.WithTimeout(tab, timeout)
	defer cancel()
	stopWatch := context.AfterFunc(ctx, cancel) // the caller gave up
	defer stopWatch()

	res := &Result{}
	if len(req.Cookies) > 0 {
		var params []*network.CookieParam
		for _, c := range req.Cookies {
			path := c.Path
			if path == "" {
				path = "/"
			}
			cp := &network.CookieParam{Name: c.Name, Value: c.Value, URL: req.URL, Path: path, Secure: c.Secure}
			if !c.Expires.IsZero() {
				cp.Expires = cdp.TimeSinceEpoch(float64(c.Expires.UnixMilli()) / 1000)
			}
			params = append(params, cp)
		}
		if _, err := chromedp.Call(tab, network.SetCookies, network.SetCookiesParams{Cookies: params}); err != nil {
			return nil, fmt.Errorf("browser: %s: set cookies: %w", req.URL, err)
		}
	}
	var icpt *interceptor
	if req.Allow != nil || req.Proxy != "" {
		icpt = &interceptor{req: req, blocked: map[string]int{}}
		if err := icpt.start(tab); err != nil {
			return nil, fmt.Errorf("browser: %s: intercept requests: %w", req.URL, err)
		}
		// Wait for the requests being decided, then read their counts.
		defer func() {
			res.Blocked, res.BlockedSample = icpt.finish()
		}()
	}
	resp, err := chromedp.Run(tab, chromedp.NavigateResponse(req.URL))
	if icpt != nil && icpt.proxyAuthRefused.Load() && (err != nil || (resp != nil && resp.Status == 407)) {
		return nil, fmt.Errorf("browser: load %s: %w", req.URL, ErrProxyAuth)
	}
	if err != nil {
		if icpt != nil {
			if nb := icpt.navigationBlocked(); nb != nil {
				return nil, nb
			}
		}
		return nil, fmt.Errorf("browser: load %s: %w", req.URL, err)
	}
	if resp != nil {
		res.Status = int(resp.Status)
	}
	if req.WaitFor != "" {
		if err := chromedp.Do(tab, chromedp.WaitReady(chromedp.CSS(req.WaitFor))); err != nil {
			return nil, fmt.Errorf("browser: %s: waiting for %q: %w", req.URL, req.WaitFor, err)
		}
	}
	pause := req.ScrollPause
	if pause <= 0 {
		pause = 200 * time.Millisecond
	}
	for range req.Scroll {
		if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`window.scrollTo(0, document.body.scrollHeight), true`)); err != nil {
			return nil, fmt.Errorf("browser: %s: scroll: %w", req.URL, err)
		}
		if err := chromedp.Do(tab, chromedp.Sleep(pause)); err != nil {
			return nil, err
		}
	}
	if res.FinalURL, err = chromedp.Run(tab, chromedp.Location()); err != nil {
		return nil, fmt.Errorf("browser: %s: location: %w", req.URL, err)
	}
	html, err := chromedp.Run(tab, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		return nil, fmt.Errorf("browser: %s: read the DOM: %w", req.URL, err)
	}
	res.HTML = []byte("<!DOCTYPE html>\n" + html)
	if req.Screenshot {
		if res.Screenshot, err = chromedp.Run(tab, chromedp.FullScreenshot(100)); err != nil {
			return nil, fmt.Errorf("browser: %s: screenshot: %w", req.URL, err)
		}
	}
	// Reading the process tree's memory costs tens of milliseconds: check
	// every memoryCheckEvery pages.
	if b.pages.Add(1)%memoryCheckEvery == 1 || memoryCheckEvery == 1 {
		if rss := b.rssLocked(); rss > b.opts.MemoryLimit {
			b.restartAfter.Store(true)
		}
	}
	return res, nil
}

// RSS is the memory the browser and its child processes hold, in bytes:
// the sum of their proportional set sizes (shared pages split among the
// processes sharing them), or of their resident sizes where Pss is not
// readable; 0 when the browser is not running.
func (b *Browser) RSS() int64 {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.rssLocked()
}

// Restarts counts restarts for the memory limit.
func (b *Browser) Restarts() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.restarts
}

func (b *Browser) rssLocked() int64 {
	if b.browserCtx == nil {
		return 0
	}
	c := chromedp.FromContext(b.browserCtx)
	if c == nil || c.Browser == nil || c.Browser.Process() == nil {
		return 0
	}
	return treeRSS(c.Browser.Process().Pid)
}

// treeRSS sums VmRSS of pid and its descendants (Linux /proc).
func treeRSS(root int) int64 {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	parent := map[int]int{}
	rss := map[int]int64{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		status, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(status), "\n") {
			switch {
			case strings.HasPrefix(line, "PPid:"):
				parent[pid], _ = strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "PPid:")))
			case strings.HasPrefix(line, "VmRSS:"):
				rss[pid] = kb(strings.TrimPrefix(line, "VmRSS:"))
			}
		}
		// Chromium's processes share most of their pages: count each
		// process's proportional share (Pss) where the kernel gives it, so
		// that the sum is the memory the browser really holds.
		if rollup, err := os.ReadFile(filepath.Join("/proc", e.Name(), "smaps_rollup")); err == nil {
			for _, line := range strings.Split(string(rollup), "\n") {
				if strings.HasPrefix(line, "Pss:") {
					rss[pid] = kb(strings.TrimPrefix(line, "Pss:"))
					break
				}
			}
		}
	}
	var total int64
	for pid, v := range rss {
		for p := pid; p > 1; p = parent[p] {
			if p == root {
				total += v
				break
			}
		}
	}
	return total
}

// kb reads "  1234 kB" as bytes.
func kb(field string) int64 {
	f := strings.Fields(field)
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.ParseInt(f[0], 10, 64)
	return n << 10
}

// Close stops the browser.
func (b *Browser) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stop != nil {
		b.stop()
		b.browserCtx, b.stop = nil, nil
	}
}
