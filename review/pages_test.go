package review_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/review"
	"github.com/markwatch/markwatch/store/storetest"
)

func TestBulkDecisionFromTheQueue(t *testing.T) {
	f := newFixture(t, review.Options{})
	c, csrf := f.login("rita")
	form := url.Values{"csrf": {csrf}, "status": {"dismissed"}, "note": {"not infringing"}, "return": {"/queue?site=mart"},
		"id": {fmt.Sprint(f.plain), fmt.Sprint(f.hostile)}}
	resp, _ := f.do(c, "POST", "/queue/decide", "", "", "application/x-www-form-urlencoded", form.Encode())
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/queue?") ||
		!strings.Contains(resp.Header.Get("Location"), "site=mart") {
		t.Fatalf("bulk: %d → %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, id := range []int64{f.plain, f.hostile} {
		d, _ := f.store.Listing(t.Context(), id)
		if d.Status != "dismissed" || d.Note != "not infringing" || d.StatusBy != "rita" {
			t.Errorf("listing %d: %s %q by %s", id, d.Status, d.Note, d.StatusBy)
		}
	}
	// The next page tells what happened, once; a message in the URL is not shown.
	html := f.get(c, "/queue?status=dismissed", http.StatusOK)
	if !strings.Contains(html, "2 listing(s) marked dismissed") {
		t.Error("no flash message")
	}
	html = f.get(c, "/queue?status=dismissed&flash=call+this+number", http.StatusOK)
	if strings.Contains(html, "marked dismissed") || strings.Contains(html, "call this number") {
		t.Error("flash message shown twice, or taken from the URL")
	}
	form.Set("return", "https://evil.example/")
	form.Set("status", "confirmed")
	resp, _ = f.do(c, "POST", "/queue/decide", "", "", "application/x-www-form-urlencoded", form.Encode())
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/queue") {
		t.Errorf("off-site return followed: %s", loc)
	}
}

func TestQueuePagingAndFilters(t *testing.T) {
	f := newFixture(t, review.Options{})
	var more []markwatch.Finding
	for i := 0; i < 60; i++ {
		fd := storetest.Finding("r3", "bulkmart", fmt.Sprintf("b%02d", i), "Puma", "", 10, time.Now().UTC())
		fd.Verdict.Score = float64(i) / 100
		more = append(more, fd)
	}
	if _, err := f.store.PutFindings(context.Background(), more); err != nil {
		t.Fatal(err)
	}
	c, _ := f.login("vera")
	html := f.get(c, "/queue?site=bulkmart", http.StatusOK)
	if !strings.Contains(html, "Showing 1–50 of 60") || !strings.Contains(html, `id="next-page"`) {
		t.Errorf("page 1 summary/pager missing")
	}
	if strings.Index(html, "b59") > strings.Index(html, "b58") {
		t.Error("not highest score first")
	}
	next := regexp.MustCompile(`href="(/queue\?[^"]+)" rel="next"`).FindStringSubmatch(html)
	if next == nil {
		t.Fatal("no next link")
	}
	html = f.get(c, strings.ReplaceAll(next[1], "&amp;", "&"), http.StatusOK)
	if !strings.Contains(html, "Showing 51–60 of 60") || strings.Contains(html, `id="next-page"`) || !strings.Contains(html, `rel="prev"`) {
		t.Error("page 2 wrong")
	}
	// The filter form keeps its values.
	html = f.get(c, "/queue?site=bulkmart&score=0.5&sort=price&from=2020-01-01", http.StatusOK)
	for _, want := range []string{`<option selected>bulkmart</option>`, `name="score" id="f-score" value="0.5"`, `value="price" selected`, `value="2020-01-01"`} {
		if !strings.Contains(html, want) {
			t.Errorf("filter form lacks %s", want)
		}
	}
	if !strings.Contains(html, "of 10") {
		t.Error("score filter not applied")
	}
}

// TestOpenAPIDescribesEveryRoute keeps openapi.yaml and the API in step.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	f := newFixture(t, review.Options{})
	resp, body := f.do(nil, "GET", "/api/v1/openapi.yaml", "", "", "", "")
	if resp.StatusCode != 200 {
		t.Fatalf("openapi.yaml: %d", resp.StatusCode)
	}
	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	routes := map[string][]string{
		"/api/v1/me": {"get"}, "/api/v1/listings": {"get"}, "/api/v1/listings/{id}": {"get"},
		"/api/v1/listings/{id}/decision": {"post"}, "/api/v1/decisions": {"post"}, "/api/v1/facets": {"get"},
		"/api/v1/stats": {"get"}, "/api/v1/sellers": {"get"}, "/api/v1/runs": {"get"}, "/api/v1/runs/{id}": {"get"},
		"/api/v1/runs/{id}/finish": {"post"}, "/api/v1/batches": {"get", "post"}, "/api/v1/batches/{id}": {"get"},
		"/api/v1/batches/{id}/takedown.csv": {"get"}, "/api/v1/batches/{id}/takedown.xlsx": {"get"},
		"/api/v1/batches/{id}/requested": {"post"}, "/api/v1/evidence/{hash}": {"get"}, "/api/v1/audit": {"get"},
		"/api/v1/users": {"get", "post"}, "/api/v1/users/{name}": {"post"}, "/api/v1/tokens": {"get", "post"},
		"/api/v1/tokens/{id}/revoke": {"post"}, "/api/v1/listings/count": {"get"}, "/api/v1/listings/{id}/next": {"get"},
		"/api/v1/decisions/by-filter": {"post"}, "/api/v1/undo": {"post"}, "/api/v1/dashboard": {"get"},
		"/api/v1/dashboard.xlsx": {"get"}, "/api/v1/calibration": {"get"},
	}
	if len(doc.Paths) != len(routes) {
		t.Errorf("openapi.yaml has %d paths, the API %d", len(doc.Paths), len(routes))
	}
	for path, methods := range routes {
		for _, m := range methods {
			if _, ok := doc.Paths[path][m]; !ok {
				t.Errorf("openapi.yaml lacks %s %s", strings.ToUpper(m), path)
			}
		}
		// And the route exists: anything but the mux's own 404/405.
		probe := strings.NewReplacer("{id}", "1", "{hash}", strings.Repeat("a", 64), "{name}", "vera").Replace(path)
		method := strings.ToUpper(methods[0])
		resp, body := f.do(nil, method, probe, f.tokens["adam"], "", "application/json", "{}")
		if resp.StatusCode == http.StatusMethodNotAllowed || body == "404 page not found\n" {
			t.Errorf("%s %s is documented but not served: %d", method, probe, resp.StatusCode)
		}
	}
}

func TestHighlight(t *testing.T) {
	hits := []markwatch.Hit{
		{Mark: "nike", Kind: "trademark", Field: "title", Start: 3, End: 5, Text: "耐克"},
		{Mark: "nike", Kind: "trademark", Field: "title", Start: 6, End: 10, Text: "Nike"},
		{Mark: "nike", Kind: "trademark", Field: "title", Start: 7, End: 12, Text: "ike 运"}, // overlaps: merged
		{Mark: "x", Field: "title", Start: 0, End: 2, Text: "wrong"},                        // text mismatch: skipped
		{Mark: "x", Field: "title", Start: 10, End: 99, Text: "?"},                          // out of range: skipped
		{Mark: "y", Field: "description", Start: 0, End: 2, Text: "高仿"},                     // another field
	}
	var b strings.Builder
	for _, s := range review.Highlight("高仿 耐克 Nike 运动鞋 1:1", hits, "title") {
		if s.Hit {
			b.WriteString("[" + s.Text + "]")
		} else {
			b.WriteString(s.Text)
		}
	}
	if got, want := b.String(), "高仿 [耐克] [Nike 运]动鞋 1:1"; got != want {
		t.Errorf("highlight = %q, want %q", got, want)
	}
}

func TestAdminManagesUsers(t *testing.T) {
	f := newFixture(t, review.Options{})
	adam, csrf := f.login("adam")
	resp, _ := f.do(adam, "POST", "/users/rita", "", "", "application/x-www-form-urlencoded", url.Values{"csrf": {csrf}, "role": {"viewer"}}.Encode())
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("set role: %d", resp.StatusCode)
	}
	if r, _ := f.do(nil, "POST", "/api/v1/decisions", f.tokens["rita"], "", "application/json", `{"ids":[1],"status":"confirmed"}`); r.StatusCode != 403 {
		t.Errorf("demoted reviewer writes: %d, want 403", r.StatusCode)
	}
	resp, body := f.do(nil, "POST", "/api/v1/users/rita", f.tokens["adam"], "", "application/json", `{"disabled":true}`)
	if resp.StatusCode != 200 || !strings.Contains(body, `"disabled": true`) {
		t.Fatalf("disable: %d %s", resp.StatusCode, body)
	}
	if r, _ := f.do(nil, "GET", "/api/v1/me", f.tokens["rita"], "", "", ""); r.StatusCode != 401 {
		t.Errorf("disabled user's token: %d, want 401", r.StatusCode)
	}
	if r, _ := f.do(nil, "POST", "/api/v1/users/adam", f.tokens["adam"], "", "application/json", `{"role":"viewer"}`); r.StatusCode != 400 {
		t.Errorf("admin demotes themselves: %d, want 400", r.StatusCode)
	}
	if r, _ := f.do(nil, "POST", "/api/v1/users/adam", f.tokens["rita"], "", "application/json", `{"role":"viewer"}`); r.StatusCode != 401 {
		t.Errorf("disabled reviewer edits users: %d", r.StatusCode)
	}
	if r, _ := f.do(nil, "POST", "/api/v1/users/nobody", f.tokens["adam"], "", "application/json", `{"role":"viewer"}`); r.StatusCode != 404 {
		t.Errorf("unknown user: %d", r.StatusCode)
	}
	html := f.get(adam, "/users", http.StatusOK)
	if !strings.Contains(html, `value="false">Enable</button>`) {
		t.Error("users page offers no Enable for the disabled user")
	}
}

// FuzzHighlight: any text and any offsets give segments that put the text
// back together exactly, without panicking.
func FuzzHighlight(f *testing.F) {
	f.Add("高仿 耐克 Nike 运动鞋", 3, 5, "耐克", 6, 10, "Nike")
	f.Add("", 0, 1, "x", -1, 2, "")
	f.Add("a\xffb", 1, 2, "\xff", 0, 3, "a\xffb")
	f.Fuzz(func(t *testing.T, text string, s1, e1 int, t1 string, s2, e2 int, t2 string) {
		hits := []markwatch.Hit{
			{Mark: "m1", Field: "title", Start: s1, End: e1, Text: t1},
			{Mark: "m2", Field: "title", Start: s2, End: e2, Text: t2},
		}
		var b strings.Builder
		for _, seg := range review.Highlight(text, hits, "title") {
			b.WriteString(seg.Text)
		}
		if want := string([]rune(text)); b.String() != want {
			t.Errorf("segments = %q, want %q", b.String(), want)
		}
	})
}

// A price of zero or below is no price (markwatch.Listing.PriceValue): the
// listing page shows no "% of the genuine floor" for it, which would read
// as the strongest counterfeit signal.
func TestListingFloorRatioOnlyForAPrice(t *testing.T) {
	f := newFixture(t, review.Options{Marks: review.MarkMap{"Adidas": {Name: "阿迪达斯", Floor: 500}}})
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	var ids []int64
	for i, price := range []float64{0, -1} {
		key := fmt.Sprintf("zero%d", i)
		if _, err := f.store.PutFindings(ctx, []markwatch.Finding{storetest.Finding("r1", "mart", key, "Adidas", "", price, now)}); err != nil {
			t.Fatal(err)
		}
		id, err := f.store.ListingByKey(ctx, "mart", key)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	c, _ := f.login("vera")
	if page := f.get(c, fmt.Sprintf("/listings/%d", f.plain), http.StatusOK); !strings.Contains(page, "5% of the genuine floor ¥500.00") {
		t.Fatalf("a listing at ¥25 does not show 5%% of the floor ¥500")
	}
	for _, id := range ids {
		if page := f.get(c, fmt.Sprintf("/listings/%d", id), http.StatusOK); strings.Contains(page, "of the genuine floor") {
			i := strings.Index(page, "of the genuine floor")
			t.Errorf("listing %d without a price shows a floor ratio: %s", id, page[max(0, i-40):i+30])
		}
	}
}

// A price in US dollars is stored with its currency and shown with it, in
// the queue and on the listing page, and is not set against a CNY floor.
func TestPriceShownWithItsCurrency(t *testing.T) {
	f := newFixture(t, review.Options{Marks: review.MarkMap{"Adidas": {Name: "阿迪达斯", Floor: 500}}})
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	usd := storetest.Finding("r1", "ae", "usd1", "Adidas", "", 20.97, now)
	usd.Listing.Currency = "USD"
	if _, err := f.store.PutFindings(ctx, []markwatch.Finding{usd}); err != nil {
		t.Fatal(err)
	}
	id, err := f.store.ListingByKey(ctx, "ae", "usd1")
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.store.Listing(ctx, id)
	if err != nil || d.Currency != "USD" || d.Price == nil || *d.Price != 20.97 {
		t.Fatalf("stored listing %+v: %v", d, err)
	}
	c, _ := f.login("vera")
	page := f.get(c, fmt.Sprintf("/listings/%d", id), http.StatusOK)
	if !strings.Contains(page, `<dd id="price">US $20.97`) || strings.Contains(page, "of the genuine floor") {
		i := strings.Index(page, `id="price"`)
		t.Fatalf("listing page price: %s", page[max(0, i):min(len(page), i+120)])
	}
	if queue := f.get(c, "/queue?site=ae", http.StatusOK); !strings.Contains(queue, "US $20.97") {
		t.Fatal("the queue does not show the price in US dollars")
	}
	// A CNY listing still shows ¥.
	if page := f.get(c, fmt.Sprintf("/listings/%d", f.plain), http.StatusOK); !strings.Contains(page, `<dd id="price">¥25.00`) {
		t.Fatal("a CNY price is not shown with ¥")
	}
}
