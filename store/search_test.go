package store_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/store"
	"github.com/markwatch/markwatch/store/storetest"
)

func TestSearch(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 10, 2, 0, 0, 0, 0, time.UTC)
	var fs []markwatch.Finding
	for _, c := range []struct{ id, mark, title, seller, desc string }{
		{"a", "劳力士", "高仿 劳力士 绿水鬼 手表", "莆田表行", "原单 机芯"},
		{"b", "nike", "耐克 Air Max 运动鞋", "Sneaker-World", "full box"},
		{"c", "阳澄湖", "阳澄湖 大闸蟹 礼盒", "苏州蟹庄", "gift box"},
		{"d", "nike", "NIKE 高仿 外套", "潮牌小店", ""},
	} {
		f := storetest.Finding("r1", "shop", c.id, c.mark, c.title, 100, at)
		f.Listing.Seller, f.Listing.Description = c.seller, c.desc
		fs = append(fs, f)
	}
	if _, err := st.PutFindings(ctx, fs); err != nil {
		t.Fatal(err)
	}
	ids := func(f store.Filter) []string {
		t.Helper()
		f.All = true
		rows, _, err := st.Suspects(ctx, f)
		if err != nil {
			t.Fatalf("%+v: %v", f, err)
		}
		var out []string
		for _, r := range rows {
			out = append(out, r.ListingID)
		}
		return out
	}
	cases := []struct {
		name string
		f    store.Filter
		want string
	}{
		{"two-character Chinese fragment of a title", store.Filter{Q: "力士"}, "a"},
		{"one character", store.Filter{Q: "蟹"}, "c"},
		{"two characters not adjacent do not match", store.Filter{Q: "劳士"}, ""},
		{"trigram term", store.Filter{Q: "绿水鬼"}, "a"},
		{"case-insensitive Latin", store.Filter{Q: "air max"}, "b"},
		{"description", store.Filter{Q: "机芯"}, ""}, // short terms search title and seller only
		{"description trigram", store.Filter{Q: "full box"}, "b"},
		{"trigram over descriptions", store.Filter{Q: "box"}, "cb"},
		{"all terms required", store.Filter{Q: "高仿 外套"}, "d"},
		{"seller substring", store.Filter{Seller: "world"}, "b"},
		{"seller short substring", store.Filter{Seller: "蟹庄"}, "c"},
		{"seller exact", store.Filter{Seller: "Sneaker-World", SellerExact: true}, "b"},
		{"seller exact needs the whole name", store.Filter{Seller: "World", SellerExact: true}, ""},
		{"search and seller combined", store.Filter{Q: "高仿", Seller: "莆田"}, "a"},
		{"marks", store.Filter{Marks: []string{"阳澄湖", "劳力士"}, Sort: "first_seen"}, "ca"},
		{"quotes are literal", store.Filter{Q: `"高仿" OR *`}, ""},
	}
	check := func(how string) {
		t.Helper()
		for _, c := range cases {
			got := ""
			for _, id := range ids(c.f) {
				got += id
			}
			if got != c.want {
				t.Errorf("%s: %s: got %q, want %q", how, c.name, got, c.want)
			}
			// Totals, paging one at a time, in both orders.
			for _, sort := range []string{"score", "likely"} {
				n := len(c.want)
				for off := 0; off <= n; off++ {
					f := c.f
					f.Sort, f.Limit, f.Offset = sort, 1, off
					pg, err := st.SuspectsPage(ctx, f)
					if err != nil {
						t.Fatal(err)
					}
					// Exact, or (a broad search) counted to one past the page.
					exact := !pg.LowerBound && pg.Total == n
					bound := pg.LowerBound && pg.Total == off+2 && n >= off+2
					if rows := min(1, n-off); len(pg.Rows) != rows || !exact && !bound {
						t.Errorf("%s: %s by %s, offset %d: %d rows, total %d (lower bound %v), want %d rows of %d",
							how, c.name, sort, off, len(pg.Rows), pg.Total, pg.LowerBound, rows, n)
					}
				}
			}
		}
	}
	check("selective terms (read from the index)")
	// Every term broad: each candidate's own text is checked instead.
	undo := store.SetBroadMatches(1)
	check("broad terms (checked per listing)")
	undo()
	// Renamed titles are searched by their new words.
	f := storetest.Finding("r2", "shop", "b", "nike", "耐克 新款 跑鞋", 90, at.Add(time.Hour))
	if _, err := st.PutFindings(ctx, []markwatch.Finding{f}); err != nil {
		t.Fatal(err)
	}
	if got := ids(store.Filter{Q: "跑鞋"}); len(got) != 1 || got[0] != "b" {
		t.Errorf("after a title change: %v", got)
	}
	if got := ids(store.Filter{Q: "Air"}); len(got) != 0 {
		t.Errorf("the old title still matches: %v", got)
	}
	// OCR text, when the images stage writes it, is searched too.
	c, _ := st.ListingByKey(ctx, "shop", "c")
	if err := st.SetOCRText(ctx, c, "防伪标签 正品保证"); err != nil {
		t.Fatal(err)
	}
	if got := ids(store.Filter{Q: "防伪标签"}); len(got) != 1 || got[0] != "c" {
		t.Errorf("OCR text not searched: %v", got)
	}
	if d, _ := st.Listing(ctx, c); d.OCRText != "防伪标签 正品保证" {
		t.Errorf("OCR text not stored: %q", d.OCRText)
	}
	for _, bad := range []store.Filter{{MinScore: math.NaN()}, {MinScore: math.Inf(1)}, {Offset: store.MaxOffset + 1}} {
		if _, _, err := st.Suspects(ctx, bad); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%+v: err = %v, want ErrInvalid", bad, err)
		}
	}
}
