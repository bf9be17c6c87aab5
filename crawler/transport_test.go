package crawler

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestGzipBombIsBounded(t *testing.T) {
	var bomb bytes.Buffer
	// 16 MiB of zeros compress to ~16 KiB; the limit is 64 KiB.
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestSpeed)
	zw.Write(make([]byte, 16<<20))
	zw.Close()
	ts := newTestSite(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", "gzip") // sent although not asked for
		w.Write(bomb.Bytes())
	}))
	// Go's transport asks for gzip and undoes it; an adapter that sets
	// Accept-Encoding itself gets the bytes as sent, undone by the crawler.
	for _, extra := range []string{"", "headers: {Accept-Encoding: gzip}\n"} {
		site := mustSite(t, ts.URL, shopYAML+extra)
		cfg := testCfg()
		cfg.BodyLimit = 64 << 10
		c, m, _ := newTestCrawler(t, cfg, site)
		_, err := c.Crawl(context.Background(), site.SearchTask("r", "q", 1))
		if !errors.Is(err, ErrBodyTooLarge) {
			t.Fatalf("gzip bomb %q: %v", extra, err)
		}
		if got := counter(m.ResponseBytes, "shop"); got != 64<<10 {
			t.Fatalf("gzip bomb %q: read %d decompressed bytes, want the 64 KiB limit", extra, got)
		}
	}
}

func TestRedirectToRobotsDisallowedIsNotFollowed(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n") })
	mux.HandleFunc("/search", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/private/login", http.StatusFound) })
	mux.HandleFunc("/private/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "secret") })
	ts := newTestSite(t, mux)
	site := mustSite(t, ts.URL, shopYAML)
	c, m, _ := newTestCrawler(t, testCfg(), site)
	_, err := c.Crawl(context.Background(), site.SearchTask("r", "q", 1))
	if !errors.Is(err, ErrRobotsDisallowed) {
		t.Fatalf("got %v", err)
	}
	if ts.count("/private/login") != 0 || counter(m.RobotsDisallowed, "shop") != 1 {
		t.Fatalf("followed a redirect robots.txt forbids (hits %d)", ts.count("/private/login"))
	}
}

func TestSlowBodyWithCustomTransportIsBounded(t *testing.T) {
	ts := newTestSite(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(200)
		for range 100 { // a body trickling for 100 s, unless the client hangs up
			if _, err := w.Write([]byte("<p>")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-time.After(time.Second):
			case <-r.Context().Done():
				return
			}
		}
	}))
	site := mustSite(t, ts.URL, shopYAML)
	cfg := testCfg()
	cfg.Timeout.UnmarshalText([]byte("500ms"))
	c := New(cfg, map[string]*Site{"shop": site}, WithTransport(&http.Transport{}))
	start := time.Now()
	_, err := c.Crawl(context.Background(), site.SearchTask("r", "q", 1))
	var fe *FetchError
	// 500ms allowed against 100s offered: a generous bound that no load
	// reaches, and that an unbounded read could not meet.
	if !errors.As(err, &fe) || !fe.Temporary || time.Since(start) > 30*time.Second {
		t.Fatalf("trickling body: %v after %v", err, time.Since(start))
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"120": 2 * time.Minute, "0": 0, "-3": 0, "soon": 0, "": 0, "99999": time.Hour,
		now.Add(30 * time.Second).Format(http.TimeFormat): 30 * time.Second,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestRedirectWithinSiteRecordsFinalURL(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/robots.txt", http.NotFound)
	mux.HandleFunc("/search", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/v2/search?"+r.URL.RawQuery, http.StatusMovedPermanently)
	})
	mux.HandleFunc("/v2/search", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Last-Modified", "Tue, 01 Sep 2026 08:00:00 GMT")
		w.Header().Set("Set-Cookie", "session=secret")
		fmt.Fprint(w, strings.Replace(shopPage(1, 2), `href="/item/`, `href="item/`, -1))
	})
	ts := newTestSite(t, mux)
	site := mustSite(t, ts.URL, shopYAML)
	c, m, _ := newTestCrawler(t, testCfg(), site)
	task := site.SearchTask("r", "q", 1)
	ex := crawlOK(t, c, task)
	p := ex.Page
	if p.URL != task.URL || p.FinalURL != ts.URL+"/v2/search?q=q&p=1" || p.Status != 200 {
		t.Fatalf("page %s → %s (%d)", p.URL, p.FinalURL, p.Status)
	}
	if p.Header["Last-Modified"] == "" || p.Header["Set-Cookie"] != "" {
		t.Fatalf("kept headers %v: want evidence headers, not cookies", p.Header)
	}
	// Relative links resolve against the final URL.
	if got := ex.Listings[0].URL; got != ts.URL+"/v2/item/1?spm=a1" {
		t.Fatalf("listing URL %s", got)
	}
	if got := counter(m.Pages, "shop", "2xx"); got != 1 {
		t.Fatalf("pages{2xx} = %d", got)
	}
}
