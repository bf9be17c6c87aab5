package fakemarket

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"testing"
)

// Serving cost per page, so that crawl benchmarks know how much of their
// time the fake marketplace itself takes (the crawler's loopback benchmark
// runs in the same process).
func BenchmarkServe(b *testing.B) {
	cat := Generate(1, WithListings(3000))
	srv := New(cat, Options{})
	pages := map[string]string{
		"mart-search": "/mart/search?q=" + url.QueryEscape("百货"),
		"mart-item":   cat.SiteListings(SiteMart)[10].URL,
		"gbk-search":  "/gbk/search.php?kw=" + gbkEscape("百货"),
		"gbk-item":    cat.SiteListings(SiteGBK)[10].URL,
		"api-search":  "/api/v1/search?keyword=" + url.QueryEscape("百货"),
		"api-item":    cat.SiteListings(SiteAPI)[10].URL,
	}
	for _, name := range []string{"mart-search", "mart-item", "gbk-search", "gbk-item", "api-search", "api-item"} {
		b.Run(name, func(b *testing.B) {
			req := httptest.NewRequest("GET", pages[name], nil)
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, req)
			b.SetBytes(int64(w.Body.Len()))
			b.ReportAllocs()
			for b.Loop() {
				srv.ServeHTTP(httptest.NewRecorder(), req)
			}
			srv.ResetCounts()
		})
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, n := range []int{900, 20000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				Generate(1, WithListings(n))
			}
		})
	}
}
