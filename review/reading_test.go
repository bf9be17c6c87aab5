package review_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/store/storetest"
)

// TestListingReadsInTheReviewersWords: slang and mark hits highlighted
// with a legend, reasons naming marks by name, a price above the floor
// shown without alarm, user text isolated with <bdi>; the mark filter
// offers names.
func TestListingReadsInTheReviewersWords(t *testing.T) {
	f := triageFixture(t)
	x := storetest.Finding("r9", "tmall", "above", "劳力士", "原单 劳力士 手表 1:1 高仿", 52000, time.Now().UTC())
	x.Verdict.Signals = []markwatch.Signal{
		{Type: "slang", Mark: "劳力士", Detail: "原单, 1:1, 高仿 (replica words)", Weight: 0.6},
		{Type: "seller", Mark: "劳力士", Detail: "seller is not authorized for 劳力士"},
	}
	if _, err := f.store.PutFindings(t.Context(), []markwatch.Finding{x}); err != nil {
		t.Fatal(err)
	}
	id, _ := f.store.ListingByKey(t.Context(), "tmall", "above")
	c, _ := f.login("vera")
	page := f.get(c, fmt.Sprintf("/listings/%d", id), http.StatusOK)
	for _, want := range []string{
		`<mark class="slang" title="counterfeit slang">原单</mark>`,
		`<mark class="slang" title="counterfeit slang">1:1</mark>`,
		`<mark class="slang" title="counterfeit slang">高仿</mark>`,
		`<mark class="" title="劳力士 (registered trademark)">劳力士</mark>`,
		`id="legend"`, `counterfeit slang</mark>`,
		"seller is not authorized for 劳力士 Rolex", // the mark's name, not its id
		`<span class="plain">173% of the genuine floor ¥30000.00</span>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("listing page lacks %s", want)
		}
	}
	if strings.Contains(page, `class="warn">173%`) {
		t.Error("a price above the floor is shown as a warning")
	}
	below, _ := f.store.ListingByKey(t.Context(), "taobao", "t00")
	if p := f.get(c, fmt.Sprintf("/listings/%d", below), http.StatusOK); !strings.Contains(p, `<strong class="warn">3% of the genuine floor`) {
		t.Error("a price below the floor is not a warning")
	}
	queue := f.get(c, "/queue?status=any", http.StatusOK)
	if !strings.Contains(queue, `<option value="劳力士 Rolex">`) {
		t.Error("the mark filter does not offer the mark's name")
	}
	if !strings.Contains(queue, "<bdi>原单 劳力士 手表 1:1 高仿</bdi>") {
		t.Error("queue titles are not isolated with <bdi>")
	}
	// By name, or part of it, in the URL and the API alike.
	var got struct{ Total int }
	f.getJSON(c, "/api/v1/listings?status=any&mark=Rolex", &got)
	if got.Total != 23 {
		t.Errorf("mark=Rolex: %d listings, want 23", got.Total)
	}
}
