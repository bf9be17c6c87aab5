package fakemarket_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/markwatch/markwatch/fakemarket"
)

// Serve a catalogue on three loopback ports, search the mart site and
// compare with the ground truth.
func Example() {
	cat := fakemarket.Generate(1)
	srv := fakemarket.New(cat, fakemarket.Options{})
	sites, err := srv.Start("127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	resp, err := http.Get(sites.Mart + "/mart/search?q=" + url.QueryEscape("耐克") + "&p=1")
	if err != nil {
		panic(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	results := cat.Search(fakemarket.SiteMart, "耐克")
	suspects := 0
	for _, l := range results {
		if l.Truth.Suspect {
			suspects++
		}
	}
	fmt.Println(resp.StatusCode, srv.Hits("/mart/search"), len(results) > 0, suspects > 0)
	// Output: 200 1 true true
}
