package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/fakemarket"
)

func crawlGlobals() (*Globals, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &Globals{LogLevel: "error", stdout: &out, stderr: &errOut}, &out, &errOut
}

func startFakemarket(t *testing.T) (*fakemarket.Server, fakemarket.Sites) {
	t.Helper()
	srv := fakemarket.New(fakemarket.Generate(1, fakemarket.WithListings(90)), fakemarket.Options{})
	sites, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, sites
}

func TestCrawlCommandPrintsListingsAsJSONLines(t *testing.T) {
	srv, sites := startFakemarket(t)
	g, out, _ := crawlGlobals()
	c := &CrawlCmd{Site: "../../configs/sites/fakemart.yaml", Query: []string{"耐克"}, MaxPages: 1, BaseURL: sites.Mart}
	if err := c.Run(g); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, l := range srv.Catalogue().Search(fakemarket.SiteMart, "耐克") {
		want[l.ID] = true
	}
	sc := bufio.NewScanner(out)
	n := 0
	for sc.Scan() {
		var l markwatch.Listing
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		var raw map[string]any
		json.Unmarshal(sc.Bytes(), &raw)
		for _, k := range []string{"id", "title", "site", "url", "image", "fetched_at", "price", "seller"} {
			if _, ok := raw[k]; !ok {
				t.Fatalf("line lacks %q: %s", k, sc.Text())
			}
		}
		if !want[l.ID] || l.Site != "fakemart" || !strings.HasPrefix(l.URL, sites.Mart+"/mart/item/") {
			t.Fatalf("unexpected listing %+v", l)
		}
		n++
	}
	if n == 0 || n != min(len(want), fakemarket.PageSize) {
		t.Fatalf("printed %d listings, want %d", n, min(len(want), fakemarket.PageSize))
	}
}

func TestCrawlCommandFailsOnLayoutChange(t *testing.T) {
	srv, sites := startFakemarket(t)
	srv.SetFaults(fakemarket.FaultRule{Site: fakemarket.SiteMart, PathPrefix: "/mart/search", Fault: fakemarket.Fault{Kind: fakemarket.FaultLayout}})
	g, out, _ := crawlGlobals()
	c := &CrawlCmd{Site: "../../configs/sites/fakemart.yaml", Query: []string{"耐克"}, BaseURL: sites.Mart}
	err := c.Run(g)
	if err == nil || !strings.Contains(err.Error(), "matched neither listing.item nor listing.no_results") {
		t.Fatalf("got %v", err)
	}
	if out.Len() != 0 {
		t.Fatalf("printed %q", out.String())
	}
}

func TestSitesCheckShowsFieldsAndNamesEmptySelectors(t *testing.T) {
	_, sites := startFakemarket(t)
	resp, err := http.Get(sites.Mart + "/mart/search?q=%E8%80%90%E5%85%8B&p=1")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	dir := t.TempDir()
	saved := filepath.Join(dir, "saved.html")
	os.WriteFile(saved, page, 0o600)

	g, out, _ := crawlGlobals()
	if err := (&SitesCheckCmd{File: "../../configs/sites/fakemart.yaml", Page: saved}).Run(g); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"site fakemart", "card(s)", "title", "found on", "no problems found"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("report lacks %q:\n%s", want, out)
		}
	}

	adapter, _ := os.ReadFile("../../configs/sites/fakemart.yaml")
	broken := filepath.Join(dir, "broken.yaml")
	os.WriteFile(broken, bytes.Replace(adapter, []byte("span.goods-loc"), []byte("span.goods-location"), 1), 0o600)
	g, out, _ = crawlGlobals()
	err = (&SitesCheckCmd{File: broken, Page: saved}).Run(g)
	if err == nil || !strings.Contains(out.String(), `listing.fields.ship_from: selector ".goods-meta span.goods-location" found nothing on any of the`) {
		t.Fatalf("broken selector: %v\n%s", err, out)
	}

	typo := filepath.Join(dir, "typo.yaml")
	os.WriteFile(typo, bytes.Replace(adapter, []byte("  next_page:"), []byte("  nextpage:"), 1), 0o600)
	err = (&SitesCheckCmd{File: typo}).Run(g)
	if err == nil || !strings.Contains(err.Error(), "typo.yaml:") || !strings.Contains(err.Error(), "nextpage: unknown field; did you mean next_page?") {
		t.Fatalf("typo: %v", err)
	}
}
