package fakemarket

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestGenerateDeterministic(t *testing.T) {
	a, err := json.Marshal(Generate(7).Listings())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(Generate(7).Listings())
	if string(a) != string(b) {
		t.Fatal("same seed gave different catalogues")
	}
	c, _ := json.Marshal(Generate(8).Listings())
	if string(a) == string(c) {
		t.Fatal("different seeds gave the same catalogue")
	}
	if n := len(Generate(7, WithListings(123)).Listings()); n != 123 {
		t.Fatalf("WithListings(123) gave %d listings", n)
	}
}

func TestEveryClassOnEverySite(t *testing.T) {
	t.Logf("%d recipes a cycle", RecipesPerCycle())
	for _, seed := range []int64{1, 2, 3, 4} {
		for _, n := range []int{RecipesPerCycle(), 900, 2000} {
			cat := Generate(seed, WithListings(n))
			for _, site := range SiteNames() {
				got := map[string]int{}
				for _, l := range cat.SiteListings(site) {
					got[l.Truth.Class]++
				}
				for _, class := range Classes() {
					if got[class] == 0 {
						t.Errorf("seed %d, %d listings, site %s: no listing of class %s", seed, n, site, class)
					}
				}
			}
			suspects := 0
			for _, l := range cat.Listings() {
				if l.Truth.Suspect {
					suspects++
				}
			}
			if share := float64(suspects) / float64(n); share < 0.30 || share > 0.40 {
				t.Errorf("seed %d, %d listings: suspect share %.3f, want 0.30–0.40", seed, n, share)
			}
		}
	}
	cat := Generate(1)
	suspects := 0
	for _, l := range cat.Listings() {
		if l.Truth.Suspect {
			suspects++
		}
	}
	share := float64(suspects) / float64(len(cat.Listings()))
	if share < 0.30 || share > 0.40 {
		t.Errorf("suspect share %.3f, want 0.30–0.40", share)
	}
	t.Logf("%d listings, %d suspect (%.1f%%)", len(cat.Listings()), suspects, share*100)
}

// The default queries together return every listing, and every class
// appears in their results on every site.
func TestQueriesCoverCatalogue(t *testing.T) {
	cat := Generate(3)
	for _, site := range SiteNames() {
		seen := map[string]bool{}
		classes := map[string]bool{}
		for _, q := range cat.Queries() {
			res := cat.Search(site, q)
			if len(res) == 0 {
				t.Errorf("site %s query %q: no results", site, q)
			}
			for _, l := range res {
				seen[l.ID] = true
				classes[l.Truth.Class] = true
			}
		}
		for _, l := range cat.SiteListings(site) {
			if !seen[l.ID] {
				t.Errorf("site %s: listing %s (%s %q) is in no default query's results", site, l.ID, l.Truth.Class, l.Title)
			}
		}
		if len(classes) != len(Classes()) {
			t.Errorf("site %s: default queries reach %d classes, want %d", site, len(classes), len(Classes()))
		}
	}
	// Obfuscated and hard-negative listings come back under their family's query.
	for _, l := range cat.Search(SiteMart, "苹果") {
		if strings.Contains(l.Title, "耐克") {
			t.Errorf("query 苹果 returned %q", l.Title)
		}
	}
	classes := map[string]bool{}
	for _, site := range SiteNames() {
		for _, l := range cat.Search(site, "苹果") {
			classes[l.Truth.Class] = true
		}
	}
	for _, want := range []string{ClassFruitApple, ClassLatinSubstring, ClassDescriptive, ClassTraditional, ClassPlainMention} {
		if !classes[want] {
			t.Errorf("query 苹果: no %s listing", want)
		}
	}
	// Every mark family query returns suspects and non-suspects, and a
	// sweep finds some listings through more than one query (the dedup
	// tests need that).
	overlap := 0
	for _, site := range SiteNames() {
		total := 0
		for _, q := range cat.Queries() {
			total += len(cat.Search(site, q))
		}
		reach := cat.Reachable(site, cat.Queries()...)
		if len(reach) != len(cat.SiteListings(site)) {
			t.Errorf("site %s: Reachable %d of %d", site, len(reach), len(cat.SiteListings(site)))
		}
		overlap += total - len(reach)
	}
	if overlap < 50 {
		t.Errorf("only %d listings are found by more than one query", overlap)
	}
	for _, b := range brands {
		kinds := map[bool]int{}
		for _, site := range SiteNames() {
			for _, l := range cat.Search(site, b.query) {
				kinds[l.Truth.Suspect]++
			}
		}
		if kinds[true] == 0 || kinds[false] == 0 {
			t.Errorf("query %q: %d suspects, %d others", b.query, kinds[true], kinds[false])
		}
	}
	if got := cat.Search(SiteMart, "   "); got != nil {
		t.Errorf("blank query returned %d listings", len(got))
	}
}

func TestPatentCheck(t *testing.T) {
	for _, n := range []string{"201110006009.X", "201310699744.2", "201510958772.0", "202322865413.3", "202010566088.9", "95115608.X", "97101765.4"} {
		digits, check, _ := strings.Cut(n, ".")
		c, err := patentCheck(digits)
		if err != nil || string(c) != check {
			t.Errorf("patentCheck(%s) = %q, %v; want %s", digits, c, err, check)
		}
	}
	if _, err := patentCheck("2011100060"); err == nil {
		t.Error("patentCheck accepted 10 digits")
	}
}

// contract looks a mark up in the copy of the contract.
func contractBrand(t *testing.T, id string) *brand {
	t.Helper()
	b := brandByID(id)
	if b == nil {
		t.Fatalf("mark %q is not in the contract", id)
	}
	return b
}

// The ground truth follows the contract's verdict rules, listing by listing.
func TestTruthFollowsContract(t *testing.T) {
	cat := Generate(5, WithListings(1500))
	for _, l := range cat.Listings() {
		tr := l.Truth
		if tr.Suspect != SuspectClass(tr.Class) {
			t.Fatalf("%s: suspect %v for class %s", l.ID, tr.Suspect, tr.Class)
		}
		if l.Price == nil || *l.Price <= 0 || math.IsNaN(*l.Price) {
			t.Fatalf("%s: bad price %v", l.ID, l.Price)
		}
		if l.PriceHigh != 0 && l.PriceHigh <= *l.Price {
			t.Errorf("%s: range %v-%v", l.ID, *l.Price, l.PriceHigh)
		}
		price := *l.Price
		if tr.Suspect && len(tr.Marks) == 0 {
			t.Errorf("%s (%s): suspect without a mark", l.ID, tr.Class)
		}
		if !tr.Suspect && slices.Contains(tr.Marks, "patent") {
			t.Errorf("%s: patent mark on a non-suspect", l.ID)
		}
		for _, id := range tr.Marks {
			if id == "patent" {
				continue
			}
			b := contractBrand(t, id)
			switch b.kind {
			case kindTrademark:
				signal := strings.HasPrefix(tr.Detail, "slang:") || strings.Contains(tr.Detail, "+slang:") ||
					tr.Detail == "price" || strings.HasSuffix(tr.Detail, "+price") || strings.Contains(tr.Detail, "+claim:")
				if tr.Suspect != signal {
					t.Errorf("%s (%s %q): suspect %v but counterfeit signal %v", l.ID, tr.Class, l.Title, tr.Suspect, signal)
				}
				cheap := strings.Contains(tr.Detail, "price")
				if cheap && price > 0.4*b.minPrice {
					t.Errorf("%s: %q priced %v, not clearly below the floor %v", l.ID, l.Title, price, b.minPrice)
				}
				if !cheap && price < 1.3*b.minPrice {
					t.Errorf("%s: %q priced %v, not clearly above the floor %v", l.ID, l.Title, price, b.minPrice)
				}
				if l.Seller == b.seller && tr.Suspect {
					t.Errorf("%s: authorized seller but suspect", l.ID)
				}
				compact := strings.NewReplacer(" ", "", ".", "", "-", "", "*", "").Replace(l.Title + l.Description)
				if strings.Contains(tr.Detail, "slang") && !containsAny(compact, slangWords) {
					t.Errorf("%s: slang class without slang: %q", l.ID, l.Title)
				}
			case kindSpecial:
				if tr.Suspect == (l.Seller == b.seller) {
					t.Errorf("%s (%s): special mark, seller %q, suspect %v", l.ID, tr.Class, l.Seller, tr.Suspect)
				}
			case kindGI:
				inside := l.ShipFrom != "" && containsAny(l.ShipFrom, b.regions)
				want := l.ShipFrom != "" && !inside
				if tr.Suspect != want {
					t.Errorf("%s (%s): GI shipped from %q, suspect %v", l.ID, tr.Class, l.ShipFrom, tr.Suspect)
				}
			}
		}
		if tr.Patent != "" {
			digits, check, _ := strings.Cut(tr.Patent, ".")
			c, err := patentCheck(digits)
			if err != nil {
				t.Fatalf("%s: %v", l.ID, err)
			}
			valid := string(c) == check
			year := atoi(digits[:4])
			switch tr.Detail {
			case "valid":
				expiry := map[byte]int{'1': 20, '2': 10, '3': 15}[digits[4]]
				if !valid || year > 2026 || year+expiry <= 2028 {
					t.Errorf("%s: %s marked valid", l.ID, tr.Patent)
				}
			case "bad-check":
				if valid {
					t.Errorf("%s: %s has a right check character", l.ID, tr.Patent)
				}
			case "future":
				if !valid || year <= 2030 {
					t.Errorf("%s: %s is not a well-formed future number", l.ID, tr.Patent)
				}
			case "expired-utility-model":
				if !valid || digits[4] != '2' || year+10 >= 2026 {
					t.Errorf("%s: %s is not an expired utility model", l.ID, tr.Patent)
				}
			default:
				t.Errorf("%s: patent detail %q", l.ID, tr.Detail)
			}
			if !strings.Contains(normDigits(l.Title+" "+l.Description), strings.ReplaceAll(tr.Patent, ".", "")) {
				t.Errorf("%s: number %s not written in %q / %q", l.ID, tr.Patent, l.Title, l.Description)
			}
		}
	}
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

func TestTruthLookups(t *testing.T) {
	cat := Generate(2)
	for _, l := range cat.Listings()[:50] {
		tr, ok := cat.Truth(l.ID)
		if !ok || !reflect.DeepEqual(tr, l.Truth) {
			t.Fatalf("Truth(%s) = %+v, %v", l.ID, tr, ok)
		}
	}
	if _, ok := cat.Truth("nope"); ok {
		t.Fatal("Truth of an unknown id")
	}
}
