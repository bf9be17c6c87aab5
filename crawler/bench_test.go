package crawler_test

import (
	stdbytes "bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"github.com/gocolly/colly/v2"
	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/crawler"
	"github.com/markwatch/markwatch/fakemarket"
	"github.com/markwatch/markwatch/internal/rss"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// BenchmarkCrawl crawls the fake mart on loopback, every catalogue query
// with its item pages, once with markwatch's crawler (Runner over Crawler:
// robots.txt, rate limiter, bounded transport, evidence copy, metrics) and
// once with a bare Colly collector in async mode using the same selectors,
// at concurrency 8 and 64, in the same run. Reported per sub-benchmark:
// pages/s, listings/s, duplicate fetches (pages the server served more than
// once) and peak RSS (VmHWM, reset before each run) in MB.
//
//	go test -run XXX -bench BenchmarkCrawl -benchtime 2x ./crawler/
func BenchmarkCrawl(b *testing.B) { benchmarkCrawl(b, 6000, true) }

// BenchmarkCrawlSearchPages is BenchmarkCrawl on search pages alone (item
// pages not followed): 40-card pages of about 40 KB, closer to a real
// marketplace's search page than the small item pages that dominate
// BenchmarkCrawl.
func BenchmarkCrawlSearchPages(b *testing.B) { benchmarkCrawl(b, 24000, false) }

func benchmarkCrawl(b *testing.B, listings int, items bool) {
	if v, err := strconv.Atoi(os.Getenv("MARKWATCH_BENCH_LISTINGS")); err == nil && v > 0 {
		listings = v
	}
	srv := fakemarket.New(fakemarket.Generate(1, fakemarket.WithListings(listings)), fakemarket.Options{})
	bases, err := srv.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	queries := srv.Catalogue().Queries()
	// Warm the fake server's search cache (it matches queries against the
	// whole catalogue once), so that the first sub-benchmark does not pay
	// for it.
	crawlBareColly(b, bases.Mart, queries, 8, items)
	for _, conc := range []int{8, 64} {
		b.Run(fmt.Sprintf("markwatch/c=%d", conc), func(b *testing.B) {
			benchRun(b, srv, func() (int, int, int64) { return crawlMarkwatch(b, bases.Mart, queries, conc, items) })
		})
		b.Run(fmt.Sprintf("colly/c=%d", conc), func(b *testing.B) {
			benchRun(b, srv, func() (int, int, int64) { return crawlBareColly(b, bases.Mart, queries, conc, items) })
		})
	}
}

func benchRun(b *testing.B, srv *fakemarket.Server, crawl func() (pages, listings int, bytes int64)) {
	var pages, listings, dups int
	var bytes int64
	var elapsed time.Duration
	peak := 0.0
	for range b.N {
		srv.ResetCounts()
		runtime.GC()
		debug.FreeOSMemory()
		resetPeakRSS()
		start := time.Now()
		p, l, n := crawl()
		elapsed += time.Since(start)
		pages += p
		listings += l
		bytes += n
		peak = max(peak, peakRSSMB())
		for uri, n := range srv.HitCounts() {
			if n > 1 && strings.Contains(uri, "/mart/") {
				dups += n - 1
			}
		}
	}
	b.ReportMetric(float64(pages)/elapsed.Seconds(), "pages/s")
	b.ReportMetric(float64(listings)/elapsed.Seconds(), "listings/s")
	b.ReportMetric(float64(dups)/float64(b.N), "dup-fetches")
	b.ReportMetric(peak, "peak-RSS-MB")
	b.ReportMetric(float64(bytes)/float64(max(pages, 1))/1024, "KB/page")
	b.ReportMetric(0, "ns/op")
	if strings.Contains(b.Name(), "/markwatch/") {
		if dups > 0 {
			b.Errorf("markwatch fetched %d pages more than once", dups)
		}
		if peak > 200 {
			b.Errorf("peak RSS %.0f MB, over 200 MB", peak)
		}
	}
}

func crawlMarkwatch(b *testing.B, base string, queries []string, conc int, items bool) (pages, listings int, bytes int64) {
	site := shippedAdapter(b, "fakemart", base)
	if !items {
		searchOnly := *site
		searchOnly.Item = nil
		site = &searchOnly
	}
	site.Rate = crawler.Rate{RequestsPerSecond: 1e6, Burst: 10000} // measure the crawler, not the politeness
	cfg := defaultCrawlConfig(b)
	metrics := crawler.NewMetrics(nil)
	c := crawler.New(cfg, map[string]*crawler.Site{site.Name: site}, crawler.WithConcurrency(conc), crawler.WithMetrics(metrics))
	var seeds []markwatch.Task
	for _, q := range queries {
		seeds = append(seeds, site.SearchTask("bench", q, 1))
	}
	runner := &crawler.Runner{Crawler: c, Concurrency: conc}
	stats, err := runner.Run(context.Background(), seeds, func(*markwatch.Extracted) {})
	if err != nil || stats.Failed > 0 {
		b.Fatalf("markwatch crawl: %v %+v", err, stats)
	}
	return stats.Pages, stats.Listings, int64(testutil.ToFloat64(metrics.ResponseBytes.WithLabelValues(site.Name)))
}

// crawlBareColly is the strongest bare Colly we know for these pages (the
// baseline must be honest, issue 14): an async collector with a pooled
// transport sized for the concurrency, the fakemart adapter's selectors
// compiled once and run on one goquery document per response, links
// resolved with net/url (Colly's AbsoluteURL runs a WHATWG parser).
func crawlBareColly(b *testing.B, base string, queries []string, conc int, items bool) (pages, listings int, bytes int64) {
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
		iDesc, iCrumbs                     = sel("div.item-desc"), sel("nav.crumbs")
	)
	var pageCount, listingCount, byteCount atomic.Int64
	c.OnResponse(func(r *colly.Response) {
		pageCount.Add(1)
		byteCount.Add(int64(len(r.Body)))
		doc, err := goquery.NewDocumentFromReader(bytesReader(r.Body))
		if err != nil {
			return
		}
		abs := func(href string) string {
			ref, err := url.Parse(href)
			if err != nil {
				return ""
			}
			return r.Request.URL.ResolveReference(ref).String()
		}
		doc.FindMatcher(card).Each(func(_ int, e *goquery.Selection) {
			a := e.FindMatcher(title)
			l := markwatch.Listing{ID: e.AttrOr("data-sku", ""), Title: a.AttrOr("title", ""), URL: abs(a.AttrOr("href", "")),
				Image: abs(e.FindMatcher(pic).AttrOr("src", "")), Seller: strings.TrimSpace(e.FindMatcher(shop).Text()),
				ShipFrom: strings.TrimSpace(e.FindMatcher(loc).Text())}
			if p, ok := crawler.ParsePrice(e.FindMatcher(price).Text()); ok {
				l.Price = &p
			}
			if items {
				r.Request.Visit(l.URL)
			} else {
				listingCount.Add(1)
			}
		})
		if href, ok := doc.FindMatcher(next).Attr("href"); ok {
			r.Request.Visit(abs(href))
		}
		doc.FindMatcher(item).Each(func(_ int, e *goquery.Selection) {
			l := markwatch.Listing{ID: e.AttrOr("data-sku", ""), Title: strings.TrimSpace(e.FindMatcher(iTitle).Text()),
				Seller: strings.TrimSpace(e.FindMatcher(iShop).Text()), ShipFrom: strings.TrimSpace(e.FindMatcher(iLoc).Text()),
				Description: strings.TrimSpace(e.FindMatcher(iDesc).Text()), Category: e.FindMatcher(iCrumbs).AttrOr("data-path", "")}
			if p, ok := crawler.ParsePrice(e.FindMatcher(iPrice).Text()); ok {
				l.Price = &p
			}
			_ = l
			listingCount.Add(1)
		})
	})
	for _, q := range queries {
		c.Visit(base + "/mart/search?q=" + url.QueryEscape(q) + "&p=1")
	}
	c.Wait()
	return int(pageCount.Load()), int(listingCount.Load()), byteCount.Load()
}

func bytesReader(b []byte) io.Reader { return stdbytes.NewReader(b) }

// resetPeakRSS and peakRSSMB measure the process's peak resident set
// (internal/rss).
func resetPeakRSS()      { rss.ResetPeak() }
func peakRSSMB() float64 { return rss.PeakMB() }
