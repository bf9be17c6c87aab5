package review_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/markwatch/markwatch/store"
)

// TestTriageAPIAndBulkConfirmation: next, count, a decision by filter that
// must name the count, undo of it; the confirmation page states the count.
func TestTriageAPIAndBulkConfirmation(t *testing.T) {
	f := triageFixture(t)
	token := f.tokens["rita"]
	ctx := t.Context()
	first, _ := f.store.ListingByKey(ctx, "taobao", "t21")
	second, _ := f.store.ListingByKey(ctx, "taobao", "t20")
	_, body := f.do(nil, "GET", fmt.Sprintf("/api/v1/listings/%d/next?site=taobao", first), token, "", "", "")
	if !strings.Contains(body, fmt.Sprintf(`"next": %d`, second)) {
		t.Errorf("next after t21: %s", body)
	}
	_, body = f.do(nil, "GET", "/api/v1/listings/count?site=taobao&q="+url.QueryEscape("水鬼"), token, "", "", "")
	var count struct{ Count int }
	json.Unmarshal([]byte(body), &count)
	if count.Count != 22 {
		t.Fatalf("count: %s", body)
	}
	r, _ := f.do(nil, "POST", "/api/v1/decisions/by-filter", token, "", "application/json", `{"filter":"site=taobao","status":"dismissed","expect":21}`)
	if r.StatusCode != http.StatusConflict {
		t.Errorf("wrong expected count: %d, want 409", r.StatusCode)
	}
	r, body = f.do(nil, "POST", "/api/v1/decisions/by-filter", token, "", "application/json", `{"filter":"site=taobao","status":"dismissed","expect":22,"note":"parts seller"}`)
	if r.StatusCode != http.StatusOK || strings.Count(body, "\n    ") != 22 {
		t.Errorf("by filter: %d %s", r.StatusCode, body)
	}
	r, body = f.do(nil, "POST", "/api/v1/undo", token, "", "application/json", ``)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("undo: %d %s", r.StatusCode, body)
	}
	if rows, _, _ := f.store.Suspects(ctx, store.Filter{Site: "taobao", Status: store.New}); len(rows) != 22 {
		t.Errorf("after undo %d new, want 22", len(rows))
	}
	// The page: a confirmation that states the count, then the write.
	c, csrf := f.login("rita")
	page := f.get(c, "/queue/bulk?to=dismissed&site=taobao&status=new", http.StatusOK)
	if !strings.Contains(page, "This will mark <strong>22</strong> listing(s) dismissed") {
		t.Errorf("confirmation page does not state the count")
	}
	r, _ = f.do(c, "POST", "/queue/bulk", "", "", "application/x-www-form-urlencoded",
		url.Values{"csrf": {csrf}, "filter": {"site=taobao&status=new"}, "status": {"dismissed"}, "expect": {"22"}}.Encode())
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("bulk form: %d", r.StatusCode)
	}
	if n, _ := f.store.CountFilter(ctx, store.Filter{Site: "taobao", Status: store.Dismissed}); n != 22 {
		t.Errorf("%d dismissed after the bulk form, want 22", n)
	}
	if r, _ := f.do(nil, "POST", "/api/v1/undo", f.tokens["vera"], "", "", ""); r.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer's undo: %d", r.StatusCode)
	}
}
