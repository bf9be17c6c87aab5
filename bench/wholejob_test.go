// Package bench holds the whole-job benchmark: a sweep of the fake
// marketplace through real `markwatch worker` and `markwatch serve`
// processes against one redis-server, beside a bare Colly crawl of the same
// pages.
package bench

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"github.com/gocolly/colly/v2"
	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/configs"
	"github.com/markwatch/markwatch/crawler"
	"github.com/markwatch/markwatch/evidence"
	"github.com/markwatch/markwatch/internal/testredis"
	"github.com/markwatch/markwatch/queue"
	"github.com/redis/go-redis/v9"
	_ "modernc.org/sqlite"
)

// BenchmarkWholeJob measures a sweep end to end, as it runs in production:
// `markwatch fakemarket`, one `markwatch worker` (concurrency 8), and
// `markwatch serve` storing findings in SQLite with evidence, each its own
// process, against a private redis-server (appendonly, as testredis runs
// it), the fakemart adapter's politeness rate raised out of the way. Each
// round seeds every catalogue query into a flushed Redis and a fresh data
// directory, and ends when the run is finished and serve has consumed the
// findings stream through its last entry. In the same round, a bare Colly
// crawl (tuned: a pooled transport, selectors compiled once, net/url to
// resolve links) fetches the same pages with the adapter's selectors.
// Rounds alternate markwatch / Colly (MARKWATCH_BENCH_ROUNDS, default 3).
//
// CPU per process comes from /proc/PID/stat (utime+stime) read before the
// seeds go in and after the run ends, so process start-up is not counted;
// Redis's from INFO CPU (used_cpu_sys+used_cpu_user); Colly's from
// getrusage of this process, which does nothing else during its crawl
// (the fake marketplace is its own process). Reported: medians over the
// rounds, with the range of the throughput ratio, and each round logged.
//
//	go test -run '^$' -bench WholeJob -benchtime 1x ./bench/
func BenchmarkWholeJob(b *testing.B) {
	if testing.Short() {
		b.Skip("runs markwatch processes")
	}
	rounds := 3
	if v, err := strconv.Atoi(os.Getenv("MARKWATCH_BENCH_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	listings := 6000
	if v, err := strconv.Atoi(os.Getenv("MARKWATCH_BENCH_LISTINGS")); err == nil && v > 0 {
		listings = v
	}
	bin := buildMarkwatch(b)
	market := startProc(b, bin, "fakemarket", "--addr", "127.0.0.1:0", "--seed", "1", "--listings", strconv.Itoa(listings))
	defer market.stop()
	var ready struct {
		Mart    string   `json:"mart"`
		Queries []string `json:"queries"`
	}
	if err := json.Unmarshal([]byte(market.waitStdoutLine(b)), &ready); err != nil || ready.Mart == "" {
		b.Fatalf("fakemarket's ready line: %v", err)
	}
	sitesDir := b.TempDir()
	adapter, err := configs.FS.ReadFile("sites/fakemart.yaml")
	if err != nil {
		b.Fatal(err)
	}
	text := regexp.MustCompile(`(?m)^base_url: .*$`).ReplaceAllString(string(adapter), "base_url: "+ready.Mart)
	text = regexp.MustCompile(`(?m)^rate: .*$`).ReplaceAllString(text, "rate: {requests_per_second: 10000, burst: 1000}")
	if err := os.WriteFile(filepath.Join(sitesDir, "fakemart.yaml"), []byte(text), 0o644); err != nil {
		b.Fatal(err)
	}
	sites, err := crawler.LoadSites(config.Dir(sitesDir))
	if err != nil {
		b.Fatal(err)
	}
	site := sites["fakemart"]
	rdb := testredis.Start(b)
	client := rdb.Client()

	// Warm the fake marketplace's search cache (both crawlers fetch the
	// same pages afterwards).
	colly0 := crawlTunedColly(b, ready.Mart, ready.Queries, 8)
	b.Logf("warm-up: bare Colly %d pages", colly0.pages)

	var mw []jobRound
	var cl []collyRound
	for r := range rounds {
		mw = append(mw, runJob(b, bin, sitesDir, site, rdb, client, ready.Queries, fmt.Sprintf("bench-%d", r)))
		cl = append(cl, crawlTunedColly(b, ready.Mart, ready.Queries, 8))
		j, c := mw[r], cl[r]
		b.Logf("round %d: markwatch %d pages in %.2fs = %.0f pages/s, %d findings (worker %.3f ms/page, serve %.3f ms/finding, redis %.3f ms/page); bare Colly %d pages in %.2fs = %.0f pages/s (%.3f ms/page); ratio %.3f",
			r+1, j.pages, j.seconds, j.pagesPerSec(), j.findings, j.workerMS/float64(j.pages), j.serveMS/float64(max(j.findings, 1)),
			j.redisMS/float64(j.pages), c.pages, c.seconds, c.pagesPerSec(), c.cpuMS/float64(c.pages), j.pagesPerSec()/c.pagesPerSec())
		if r > 0 && (j.pages != mw[0].pages || j.findings != mw[0].findings) {
			b.Errorf("round %d: %d pages, %d findings; round 1: %d, %d", r+1, j.pages, j.findings, mw[0].pages, mw[0].findings)
		}
	}
	var ratios, mwRate, clRate, worker, serve, serveFinding, redisCPU, collyCPU []float64
	for i := range mw {
		j, c := mw[i], cl[i]
		ratios = append(ratios, j.pagesPerSec()/c.pagesPerSec())
		mwRate = append(mwRate, j.pagesPerSec())
		clRate = append(clRate, c.pagesPerSec())
		worker = append(worker, j.workerMS/float64(j.pages))
		serve = append(serve, j.serveMS/float64(j.pages))
		serveFinding = append(serveFinding, j.serveMS/float64(max(j.findings, 1)))
		redisCPU = append(redisCPU, j.redisMS/float64(j.pages))
		collyCPU = append(collyCPU, c.cpuMS/float64(c.pages))
	}
	b.ReportMetric(median(mwRate), "markwatch_pages/s")
	b.ReportMetric(median(clRate), "colly_pages/s")
	b.ReportMetric(median(ratios), "ratio")
	b.ReportMetric(slices.Min(ratios), "ratio_min")
	b.ReportMetric(slices.Max(ratios), "ratio_max")
	b.ReportMetric(median(worker), "worker_cpu_ms/page")
	b.ReportMetric(median(serveFinding), "serve_cpu_ms/finding")
	b.ReportMetric(median(serve), "serve_cpu_ms/page")
	b.ReportMetric(median(redisCPU), "redis_cpu_ms/page")
	b.ReportMetric(median(collyCPU), "colly_cpu_ms/page")
	b.ReportMetric(float64(mw[0].pages), "pages")
	b.ReportMetric(float64(mw[0].findings), "findings")
	b.ReportMetric(0, "ns/op")
	b.Logf("ranges: markwatch %.0f-%.0f pages/s, Colly %.0f-%.0f, worker %.3f-%.3f ms/page, serve %.3f-%.3f ms/finding, redis %.3f-%.3f ms/page, Colly %.3f-%.3f ms/page",
		slices.Min(mwRate), slices.Max(mwRate), slices.Min(clRate), slices.Max(clRate), slices.Min(worker), slices.Max(worker),
		slices.Min(serveFinding), slices.Max(serveFinding), slices.Min(redisCPU), slices.Max(redisCPU), slices.Min(collyCPU), slices.Max(collyCPU))
}

type jobRound struct {
	pages, findings            int
	seconds                    float64
	workerMS, serveMS, redisMS float64
}

func (j jobRound) pagesPerSec() float64 { return float64(j.pages) / j.seconds }

type collyRound struct {
	pages   int
	seconds float64
	cpuMS   float64
}

func (c collyRound) pagesPerSec() float64 { return float64(c.pages) / c.seconds }

// runJob runs one sweep through fresh serve and worker processes and checks
// what it kept: every finding stored once, every evidence record verifying.
func runJob(b *testing.B, bin, sitesDir string, site *crawler.Site, rdb *testredis.Server, client redis.UniversalClient, queries []string, run string) jobRound {
	ctx := context.Background()
	if err := client.FlushAll(ctx).Err(); err != nil {
		b.Fatal(err)
	}
	data := b.TempDir()
	global := []string{"--sites", sitesDir, "--log-level", "warn"}
	serve := startProc(b, bin, append(global, "serve", "--data", data, "--redis", rdb.URL(), "--addr", "127.0.0.1:0")...)
	defer serve.stop()
	worker := startProc(b, bin, append([]string{"--sites", sitesDir, "--log-level", "info"}, "worker", "--redis", rdb.URL(), "--concurrency", "8", "--metrics", "")...)
	defer worker.stop()
	worker.waitLog(b, "worker started")
	serve.waitStdout(b, "markwatch review:")
	time.Sleep(200 * time.Millisecond) // serve's findings group is created right after it starts

	var tasks []markwatch.Task
	for _, q := range queries {
		tasks = append(tasks, site.SearchTask(run, q, 1))
	}
	f := queue.NewRedis(client, queue.Options{})
	defer f.Close()
	w0, s0, r0 := worker.cpuMS(b), serve.cpuMS(b), redisCPUMS(b, client)
	start := time.Now()
	if _, err := f.Add(ctx, tasks...); err != nil {
		b.Fatal(err)
	}
	var st queue.RunStats
	deadline := time.Now().Add(10 * time.Minute)
	for {
		var err error
		st, err = f.Stats(ctx, run)
		if err == nil && st.Finished && st.Done > 0 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("run %s not finished: %+v %v\n%s", run, st, err, worker.logText())
		}
		time.Sleep(10 * time.Millisecond)
	}
	crawled := time.Since(start)
	mark, err := queue.FindingsMark(ctx, client)
	if err != nil {
		b.Fatal(err)
	}
	for {
		done, err := queue.FindingsConsumedThrough(ctx, client, mark)
		if err == nil && done {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("serve did not consume the findings: %v\n%s", err, serve.logText())
		}
		time.Sleep(10 * time.Millisecond)
	}
	elapsed := time.Since(start).Seconds()
	b.Logf("run %s: crawl finished after %.2fs, findings stored after %.2fs", run, crawled.Seconds(), elapsed)
	j := jobRound{pages: int(st.Done), seconds: elapsed,
		workerMS: worker.cpuMS(b) - w0, serveMS: serve.cpuMS(b) - s0, redisMS: redisCPUMS(b, client) - r0}
	if st.Failed != 0 || st.Dead != 0 {
		b.Errorf("run %s: %+v", run, st)
	}
	worker.stop()
	serve.stop()
	j.findings = checkStored(b, data, run)
	return j
}

// checkStored counts the run's stored findings (one verdict per listing
// and run: the table's key), checks that every listing has one, and that
// every evidence record it names verifies.
func checkStored(b *testing.B, data, run string) int {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "markwatch.db")+"?mode=ro")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var verdicts, distinct, listings int
	if err := db.QueryRow(`SELECT count(*), count(DISTINCT listing) FROM verdicts WHERE run = ?`, run).Scan(&verdicts, &distinct); err != nil {
		b.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM listings`).Scan(&listings); err != nil {
		b.Fatal(err)
	}
	if verdicts != distinct || distinct != listings || verdicts == 0 {
		b.Errorf("run %s: %d verdicts, %d listings with one, %d listings", run, verdicts, distinct, listings)
	}
	rows, err := db.Query(`SELECT DISTINCT evidence FROM listings WHERE evidence <> ''`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	ev, err := evidence.Open(filepath.Join(data, "evidence"))
	if err != nil {
		b.Fatal(err)
	}
	pages := 0
	for rows.Next() {
		var h string
		rows.Scan(&h)
		if _, _, err := ev.Get(h); err != nil {
			b.Errorf("evidence %s: %v", h, err)
		}
		pages++
	}
	if pages == 0 {
		b.Errorf("run %s kept no evidence", run)
	}
	return verdicts
}

// crawlTunedColly is the strongest bare Colly we know for these pages: an
// async collector with a pooled transport sized for the concurrency, the
// fakemart adapter's selectors compiled once and run on one goquery
// document per response, links resolved with net/url.
func crawlTunedColly(b *testing.B, base string, queries []string, conc int) collyRound {
	u, _ := url.Parse(base)
	c := colly.NewCollector(colly.Async(true), colly.AllowedDomains(u.Hostname()))
	c.WithTransport(&http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        4 * conc,
		MaxIdleConnsPerHost: 4 * conc,
		IdleConnTimeout:     90 * time.Second,
	})
	if err := c.Limit(&colly.LimitRule{DomainGlob: "*", Parallelism: conc}); err != nil {
		b.Fatal(err)
	}
	sel := func(s string) cascadia.Selector { return cascadia.MustCompile(s) }
	var (
		card, title, pic, price, shop, loc = sel("ul.goods-list > li.goods-card"), sel(".goods-title a"), sel(".goods-pic img"), sel(".goods-price strong"), sel(".goods-shop a.shop-name"), sel(".goods-meta span.goods-loc")
		next                               = sel(".pager a.pager-next")
		item, iTitle, iPrice, iShop, iLoc  = sel("div.item-detail"), sel("h1.item-title"), sel(".item-price span.price-now"), sel(".item-shop a.shop-name"), sel("dl.item-props dd.item-origin")
		iDesc, iCrumbs, iImg               = sel("div.item-desc"), sel("nav.crumbs"), sel("img.item-main-img")
	)
	var pages, listings atomic.Int64
	var failed atomic.Int64
	c.OnError(func(*colly.Response, error) { failed.Add(1) })
	c.OnResponse(func(r *colly.Response) {
		pages.Add(1)
		doc, err := goquery.NewDocumentFromReader(bytes.NewReader(r.Body))
		if err != nil {
			failed.Add(1)
			return
		}
		abs := func(href string) string {
			ref, err := url.Parse(href)
			if err != nil {
				return ""
			}
			return r.Request.URL.ResolveReference(ref).String()
		}
		doc.FindMatcher(card).Each(func(_ int, s *goquery.Selection) {
			a := s.FindMatcher(title)
			href, _ := a.Attr("href")
			l := markwatch.Listing{ID: s.AttrOr("data-sku", ""), Title: a.AttrOr("title", ""), URL: abs(href),
				Image: abs(s.FindMatcher(pic).AttrOr("src", "")), Seller: strings.TrimSpace(s.FindMatcher(shop).Text()),
				ShipFrom: strings.TrimSpace(s.FindMatcher(loc).Text())}
			if p, ok := crawler.ParsePrice(s.FindMatcher(price).Text()); ok {
				l.Price = &p
			}
			r.Request.Visit(l.URL)
		})
		if href, ok := doc.FindMatcher(next).Attr("href"); ok {
			r.Request.Visit(abs(href))
		}
		doc.FindMatcher(item).Each(func(_ int, s *goquery.Selection) {
			l := markwatch.Listing{ID: s.AttrOr("data-sku", ""), Title: strings.TrimSpace(s.FindMatcher(iTitle).Text()),
				Seller: strings.TrimSpace(s.FindMatcher(iShop).Text()), ShipFrom: strings.TrimSpace(s.FindMatcher(iLoc).Text()),
				Description: strings.TrimSpace(s.FindMatcher(iDesc).Text()), Category: s.FindMatcher(iCrumbs).AttrOr("data-path", ""),
				Image: abs(s.FindMatcher(iImg).AttrOr("src", ""))}
			if p, ok := crawler.ParsePrice(s.FindMatcher(iPrice).Text()); ok {
				l.Price = &p
			}
			_ = l
			listings.Add(1)
		})
	})
	cpu0 := selfCPUMS()
	start := time.Now()
	for _, q := range queries {
		c.Visit(base + "/mart/search?q=" + url.QueryEscape(q) + "&p=1")
	}
	c.Wait()
	round := collyRound{pages: int(pages.Load()), seconds: time.Since(start).Seconds(), cpuMS: selfCPUMS() - cpu0}
	if failed.Load() > 0 {
		b.Errorf("bare Colly: %d requests failed", failed.Load())
	}
	return round
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// selfCPUMS is this process's user+system CPU time in milliseconds.
func selfCPUMS() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e6
}

// redisCPUMS is redis-server's used_cpu_sys+used_cpu_user in milliseconds.
func redisCPUMS(b *testing.B, client redis.UniversalClient) float64 {
	info, err := client.Info(context.Background(), "cpu").Result()
	if err != nil {
		b.Fatal(err)
	}
	total := 0.0
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			x, _ := strconv.ParseFloat(v, 64)
			total += x * 1000
		}
	}
	return total
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// buildMarkwatch builds cmd/markwatch once (MARKWATCH_BIN names a
// prebuilt binary instead).
func buildMarkwatch(b *testing.B) string {
	if p := os.Getenv("MARKWATCH_BIN"); p != "" {
		return p
	}
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "markwatch-bench-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "markwatch")
		out, err := exec.Command("go", "build", "-trimpath", "-o", binPath, "github.com/markwatch/markwatch/cmd/markwatch").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build markwatch: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		b.Fatal(binErr)
	}
	return binPath
}

// proc is a markwatch process with its output captured.
type proc struct {
	cmd     *exec.Cmd
	done    chan struct{}
	mu      sync.Mutex
	stdout  bytes.Buffer
	stderr  bytes.Buffer
	stopped bool
}

func startProc(b *testing.B, bin string, args ...string) *proc {
	p := &proc{cmd: exec.Command(bin, args...), done: make(chan struct{})}
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = outW, errW
	copyLines := func(r io.Reader, into *bytes.Buffer) {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			p.mu.Lock()
			if into.Len() < 1<<20 {
				into.WriteString(sc.Text() + "\n")
			}
			p.mu.Unlock()
		}
		io.Copy(io.Discard, r)
	}
	go copyLines(outR, &p.stdout)
	go copyLines(errR, &p.stderr)
	if err := p.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	go func() { p.cmd.Wait(); outW.Close(); errW.Close(); close(p.done) }()
	return p
}

func (p *proc) logText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

func (p *proc) wait(b *testing.B, what string, cond func() bool) {
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		select {
		case <-p.done:
			b.Fatalf("%s exited before %s:\n%s", p.cmd.Args, what, p.logText())
		default:
		}
		if time.Now().After(deadline) {
			b.Fatalf("%s: no %s after 60s:\n%s", p.cmd.Args, what, p.logText())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *proc) waitLog(b *testing.B, s string) {
	p.wait(b, s, func() bool { return strings.Contains(p.logText(), s) })
}

func (p *proc) waitStdout(b *testing.B, s string) {
	p.wait(b, s, func() bool { p.mu.Lock(); defer p.mu.Unlock(); return strings.Contains(p.stdout.String(), s) })
}

func (p *proc) waitStdoutLine(b *testing.B) string {
	var line string
	p.wait(b, "a line on stdout", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		l, _, ok := strings.Cut(p.stdout.String(), "\n")
		line = l
		return ok
	})
	return line
}

// cpuMS is the process's user+system CPU time so far, from /proc/PID/stat
// (clock ticks of 10 ms).
func (p *proc) cpuMS(b *testing.B) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name (which may contain spaces) in ")".
	rest := string(data[bytes.LastIndexByte(data, ')')+2:])
	f := strings.Fields(rest)
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) * 10
}

func (p *proc) stop() {
	if p.stopped {
		return
	}
	p.stopped = true
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}
