// Package storetest builds findings and pages for tests of the review store
// and the packages above it.
package storetest

import (
	"fmt"
	"strings"
	"time"

	"github.com/markwatch/markwatch"
)

// Finding returns a suspect finding on listing id of site in run: a title
// mentioning mark with a counterfeit-slang signal, the hit's rune offsets
// pointing at the mark in the title.
func Finding(run, site, id, mark, title string, price float64, at time.Time) markwatch.Finding {
	if title == "" {
		title = "高仿 " + mark + " 运动鞋"
	}
	start := strings.Index(title, mark)
	hits := []markwatch.Hit{}
	if start >= 0 {
		rs := len([]rune(title[:start]))
		hits = append(hits, markwatch.Hit{Mark: mark, Kind: markwatch.Trademark, Field: "title",
			Start: rs, End: rs + len([]rune(mark)), Text: mark})
	}
	p := price
	return markwatch.Finding{
		Run: run,
		Listing: markwatch.Listing{
			ID: id, Site: site, Title: title, Price: &p, Seller: "seller-" + id[:min(len(id), 1)],
			ShipFrom: "广东 莆田", URL: fmt.Sprintf("https://%s.example/item/%s", site, id), FetchedAt: at,
		},
		Verdict: markwatch.Verdict{
			ID: id, Suspect: true, Score: 0.9, Hits: hits,
			Signals: []markwatch.Signal{{Type: "slang", Mark: mark, Detail: "counterfeit slang 高仿", Weight: 0.6}},
		},
	}
}

// Page returns a fetched page of site with body.
func Page(site, run, body string, at time.Time) *markwatch.Page {
	return &markwatch.Page{
		Task:      markwatch.Task{Run: run, Site: site, Kind: markwatch.KindSearch, URL: "https://" + site + ".example/search?q=x"},
		URL:       "https://" + site + ".example/search?q=x",
		FinalURL:  "https://" + site + ".example/search?q=x&p=1",
		Status:    200,
		Header:    map[string]string{"Content-Type": "text/html; charset=utf-8"},
		Body:      []byte(body),
		FetchedAt: at,
	}
}
