package review_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/review"
	"github.com/markwatch/markwatch/store"
	"github.com/markwatch/markwatch/store/storetest"
)

// TestCalibrationPageAndWeights: the page shows the precision of the
// team's decisions; the queue ranks by it once there are enough of them;
// an admin writes the reviewed weight diff to signals.yaml (audited); a
// stale diff is refused.
func TestCalibrationPageAndWeights(t *testing.T) {
	signals := filepath.Join(t.TempDir(), "signals.yaml")
	if err := os.WriteFile(signals, []byte("threshold: 0.5\nweights:\n  mention: 0.2\n  region: 0.9   # gi shipped from outside\n  price: 0.5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, review.Options{SignalsFile: signals})
	ctx := t.Context()
	now := time.Now().UTC()
	var fs []markwatch.Finding
	decide := map[store.Status][]string{}
	for i := 0; i < 52; i++ {
		id := fmt.Sprintf("c%02d", i)
		x := storetest.Finding("rc", "shop", id, "Rolex", "", 100, now)
		// 12 region listings, 2 confirmed; 40 slang listings, 35 confirmed.
		typ, confirmed := "slang", i < 12+35
		if i < 12 {
			typ, confirmed = "region", i < 2
		}
		x.Verdict.Signals = []markwatch.Signal{{Type: typ, Detail: typ}}
		// The shipped score puts region first (the 0.92 vs 0.68).
		x.Verdict.Score = map[string]float64{"region": 0.92, "slang": 0.68}[typ]
		fs = append(fs, x)
		if confirmed {
			decide[store.Confirmed] = append(decide[store.Confirmed], id)
		} else {
			decide[store.Dismissed] = append(decide[store.Dismissed], id)
		}
	}
	if _, err := f.store.PutFindings(ctx, fs); err != nil {
		t.Fatal(err)
	}
	admin, csrf := f.login("adam")
	// Too few decisions yet: the shipped weights, and the page says so.
	if q := f.get(admin, "/queue", http.StatusOK); !strings.Contains(q, "ranked by the shipped signal weights") {
		t.Errorf("before calibration, the queue does not say it ranks by the shipped weights")
	}
	for st, keys := range decide {
		var ids []int64
		for _, k := range keys {
			id, _ := f.store.ListingByKey(ctx, "shop", k)
			ids = append(ids, id)
		}
		if _, err := f.store.Decide(ctx, "rita", ids, st, ""); err != nil {
			t.Fatal(err)
		}
	}
	page := f.get(admin, "/calibration", http.StatusOK)
	for _, want := range []string{"37 confirmed, 15 dismissed", "<td>region</td><td class=\"num\">2</td><td class=\"num\">10</td><td class=\"num\">0.17</td>",
		"-   region: 0.9", "+   region: 0.16", "id=\"apply-weights\""} {
		if !strings.Contains(page, want) {
			t.Errorf("calibration page lacks %q", want)
		}
	}
	digest := regexp.MustCompile(`name="digest" value="([0-9a-f]+)"`).FindStringSubmatch(page)
	if digest == nil {
		t.Fatal("no digest on the page")
	}
	// A viewer may look but not write.
	if r, _ := f.do(nil, "POST", "/calibration/weights", f.tokens["rita"], "", "application/x-www-form-urlencoded", "digest="+digest[1]); r.StatusCode != http.StatusForbidden {
		t.Errorf("reviewer wrote weights: %d", r.StatusCode)
	}
	r, _ := f.do(admin, "POST", "/calibration/weights", "", "", "application/x-www-form-urlencoded", url.Values{"csrf": {csrf}, "digest": {"stale"}}.Encode())
	if b, _ := os.ReadFile(signals); r.StatusCode != http.StatusSeeOther || !strings.Contains(string(b), "region: 0.9 ") {
		t.Errorf("a stale digest wrote the file: %d\n%s", r.StatusCode, b)
	}
	r, _ = f.do(admin, "POST", "/calibration/weights", "", "", "application/x-www-form-urlencoded", url.Values{"csrf": {csrf}, "digest": {digest[1]}}.Encode())
	b, _ := os.ReadFile(signals)
	// Region alone: likelihood (2 + 5·37/52)/(12 + 5) ≈ 0.327, so the
	// weight is 1 − (1 − 0.327)/0.8 ≈ 0.16; the comment is kept.
	if r.StatusCode != http.StatusSeeOther || !strings.Contains(string(b), "  region: 0.16   # gi shipped from outside") || !strings.Contains(string(b), "price: 0.5") {
		t.Errorf("after writing: %d\n%s", r.StatusCode, b)
	}
	log, _ := f.store.AuditLog(ctx, 5, 0)
	if len(log) == 0 || log[0].Action != "apply_signal_weights" || !strings.Contains(log[0].Detail, "region 0.90→0.16") {
		t.Errorf("audit: %+v", log)
	}
	// Ranking: with enough decisions the default queue ranks by the
	// calibrated likelihood at once (no admin step), and says so; slang
	// (35 of 40 confirmed) before region (2 of 12) whatever the score.
	if !strings.Contains(page, "The queue ranks by these likelihoods now") || !strings.Contains(page, "<bdi>slang</bdi> 0.86, <bdi>region</bdi> 0.33.") {
		t.Errorf("calibration page does not state the live ranking:\n%s", page)
	}
	if q := f.get(admin, "/queue?status=any", http.StatusOK); !strings.Contains(q, "ranked by calibrated likelihood") {
		t.Errorf("the queue does not say it ranks by calibrated likelihood")
	}
	// The API's default order is the same: every slang listing before
	// every region one (c00–c11 are region).
	order := func(query string) string {
		t.Helper()
		r, body := f.do(nil, "GET", "/api/v1/listings?status=any"+query, f.tokens["rita"], "", "", "")
		var got struct {
			Listings []store.Row `json:"listings"`
		}
		if err := json.Unmarshal([]byte(body), &got); r.StatusCode != http.StatusOK || err != nil {
			t.Fatalf("api listings: %d %v %s", r.StatusCode, err, body)
		}
		var kinds string
		for _, l := range got.Listings {
			if n, ok := strings.CutPrefix(l.ListingID, "c"); ok {
				if n < "12" {
					kinds += "r"
				} else {
					kinds += "s"
				}
			}
		}
		return kinds
	}
	// (a page of 50: the fixture's other listings take two places.)
	sThenR := regexp.MustCompile(`^s{40}r{8,}$`)
	if got := order(""); !sThenR.MatchString(got) {
		t.Errorf("API default order by kind of listing: %s", got)
	}
	// A search lists its matches by score unless asked (and says so).
	if q := f.get(admin, "/queue?status=any&q=Rolex", http.StatusOK); !strings.Contains(q, "search results ranked by the shipped signal weights") {
		t.Errorf("a search does not say it ranks by score")
	}
	if got := order("&q=Rolex&sort=likely"); !sThenR.MatchString(got) {
		t.Errorf("a search sorted by likelihood: %s", got)
	}
}
