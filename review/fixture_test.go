package review_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/review"
	"github.com/markwatch/markwatch/store"
	"github.com/markwatch/markwatch/store/storetest"
)

// Hostile strings a marketplace could put in a listing. window.__xss is set
// if any of them ever runs (checked by the browser test).
const (
	xssTitle  = `<script>window.__xss=1</script><img src=x onerror="window.__xss=2">Nike 高仿`
	xssSeller = `"><svg onload="window.__xss=3">`
	xssDesc   = `</p><iframe src="javascript:window.__xss=4"></iframe><b onmouseover="window.__xss=5">Nike</b>`
	xssShip   = `<style>body{display:none}</style>广东`
	xssURL    = `javascript:window.__xss=6`
	xssPage   = `<html><body><h1>stored page</h1><script>parent.__xss=7;window.__xss=7</script><img src=x onerror="parent.__xss=8"></body></html>`
)

// rawPayload matches markup from the payloads that survived unescaped.
var rawPayload = regexp.MustCompile(`<script>window|<img src=x|<svg onload|<iframe src="javascript|<b onmouseover|<style>body|href="javascript:`)

const password = "correct horse battery"

type fixture struct {
	t              *testing.T
	store          *store.Store
	srv            *httptest.Server
	reg            *prometheus.Registry
	tokens         map[string]string // user → API token
	hostile, plain int64             // listing ids
	evidence       string            // hash of the hostile listing's page
}

func newFixture(t *testing.T, opts review.Options) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir(), store.WithBcryptCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{t: t, store: st, reg: prometheus.NewRegistry(), tokens: map[string]string{}}
	for name, role := range map[string]store.Role{"vera": store.Viewer, "rita": store.Reviewer, "adam": store.Admin} {
		if _, err := st.AddUser(ctx, "test", name, role, password); err != nil {
			t.Fatal(err)
		}
		if f.tokens[name], err = st.CreateToken(ctx, "test", name, "test"); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC().Truncate(time.Second)
	hostile := storetest.Finding(`<i>run</i>`, "shop", "h1", "Nike", xssTitle, 59, now)
	hostile.Sweep = `<u>sweep</u>`
	hostile.Listing.Seller, hostile.Listing.Description, hostile.Listing.ShipFrom, hostile.Listing.URL = xssSeller, xssDesc, xssShip, xssURL
	hostile.Verdict.Signals = append(hostile.Verdict.Signals, markwatch.Signal{Type: "price", Mark: "Nike", Detail: `<script>window.__xss=9</script> below floor`})
	descStart := len([]rune(xssDesc[:strings.Index(xssDesc, "Nike")]))
	hostile.Verdict.Hits = append(hostile.Verdict.Hits, markwatch.Hit{Mark: "Nike", Kind: markwatch.Trademark, Field: "description", Start: descStart, End: descStart + 4, Text: "Nike"})
	put := []markwatch.Finding{hostile}
	if err := st.Put(ctx, storetest.Page("shop", "<i>run</i>", xssPage, now), put); err != nil {
		t.Fatal(err)
	}
	f.evidence = put[0].Listing.Evidence
	plain := storetest.Finding("r1", "mart", "p1", "Adidas", "", 25, now)
	plain.Listing.Seller = "=HYPERLINK(\"http://evil.example\",\"click\")"
	plain.Listing.Title = "+Adidas 高仿 -1+2 @SUM(A1)"
	plain.Verdict.Hits[0].Start, plain.Verdict.Hits[0].End = 1, 7
	if _, err := st.PutFindings(ctx, []markwatch.Finding{plain}); err != nil {
		t.Fatal(err)
	}
	f.hostile, _ = st.ListingByKey(ctx, "shop", "h1")
	f.plain, _ = st.ListingByKey(ctx, "mart", "p1")
	opts.Registerer = f.reg
	f.srv = httptest.NewServer(review.New(st, opts))
	t.Cleanup(f.srv.Close)
	return f
}

// client is a browser-like HTTP client with a cookie jar that does not
// follow redirects (so tests see them).
func (f *fixture) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// login logs a user in through the form and returns the client and the
// session's CSRF token.
func (f *fixture) login(name string) (*http.Client, string) {
	f.t.Helper()
	c := f.client()
	csrf := f.loginCSRF(c)
	resp, err := c.PostForm(f.srv.URL+"/login", url.Values{"name": {name}, "password": {password}, "csrf": {csrf}, "next": {"/queue"}})
	if err != nil {
		f.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/queue" {
		f.t.Fatalf("login %s: %d → %s", name, resp.StatusCode, resp.Header.Get("Location"))
	}
	var me struct{ CSRF string }
	f.getJSON(c, "/api/v1/me", &me)
	return c, me.CSRF
}

func (f *fixture) loginCSRF(c *http.Client) string {
	f.t.Helper()
	body := f.get(c, "/login", http.StatusOK)
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		f.t.Fatal("login form has no CSRF token")
	}
	return m[1]
}

func (f *fixture) get(c *http.Client, path string, want int) string {
	f.t.Helper()
	resp, err := c.Get(f.srv.URL + path)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		f.t.Fatalf("GET %s: %d, want %d: %s", path, resp.StatusCode, want, b)
	}
	return string(b)
}

func (f *fixture) getJSON(c *http.Client, path string, v any) {
	f.t.Helper()
	if err := json.Unmarshal([]byte(f.get(c, path, http.StatusOK)), v); err != nil {
		f.t.Fatalf("GET %s: %v", path, err)
	}
}

// do sends a request with optional bearer token, CSRF header and body.
func (f *fixture) do(c *http.Client, method, path, token, csrf, contentType, body string) (*http.Response, string) {
	f.t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c == nil {
		c = f.client()
	}
	resp, err := c.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}
