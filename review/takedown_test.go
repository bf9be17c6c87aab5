package review_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/review"
	"github.com/markwatch/markwatch/store"
	"github.com/markwatch/markwatch/store/storetest"
	"github.com/markwatch/markwatch/takedown"
)

func TestBatchByOwnerExportsProfileAndBundle(t *testing.T) {
	f := newFixture(t, review.Options{Marks: review.MarkMap{
		"Nike":   {Name: "耐克", Owner: "Nike Innovate C.V.", Registration: "TEST-NIKE-1"},
		"Adidas": {Name: "阿迪达斯", Owner: "adidas AG"},
	}})
	r, body := f.do(nil, "POST", "/api/v1/decisions", f.tokens["rita"], "", "application/json", fmt.Sprintf(`{"ids":[%d,%d],"status":"confirmed"}`, f.plain, f.hostile))
	if r.StatusCode != 200 {
		t.Fatalf("confirm: %d %s", r.StatusCode, body)
	}
	c, csrf := f.login("rita")
	create := func(form url.Values) string {
		t.Helper()
		form.Set("csrf", csrf)
		resp, err := c.PostForm(f.srv.URL+"/exports", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("create batch %v: %d", form, resp.StatusCode)
		}
		return resp.Header.Get("Location")
	}
	// Any site, Nike's rights holder only: the Adidas listing stays out.
	nike := create(url.Values{"owner": {"Nike Innovate C.V."}})
	page := f.get(c, nike, http.StatusOK)
	if !strings.Contains(page, "owner=Nike Innovate C.V.") || strings.Contains(page, "missing-registrations") {
		t.Fatalf("Nike batch page: filter or warning wrong:\n%.2000s", page)
	}
	for _, prof := range []string{"alibaba-ipp", "jd", "pinduoduo", "generic"} {
		if !strings.Contains(page, "profile="+prof) {
			t.Errorf("batch page lacks profile %s", prof)
		}
	}
	resp, err := c.Get(f.srv.URL + nike + "/export?profile=jd&format=xlsx")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	x, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("jd export: %d %v", resp.StatusCode, err)
	}
	rows, _ := x.GetRows("Sheet1")
	x.Close()
	if len(rows) != 2 || rows[0][0] != "商品链接" || rows[0][5] != "注册证号" || rows[1][5] != "TEST-NIKE-1" || rows[1][7] == "" {
		t.Fatalf("jd export rows: %q", rows)
	}
	// The evidence bundle of the batch verifies and holds the stored page.
	resp, err = c.Get(f.srv.URL + nike + "/evidence.zip")
	if err != nil {
		t.Fatal(err)
	}
	data, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	v, err := takedown.VerifyBundle(bytes.NewReader(data), int64(len(data)), takedown.VerifyTimestampOptions{})
	if err != nil {
		t.Fatalf("bundle: %d %v", resp.StatusCode, err)
	}
	if len(v.Manifest.Listings) != 1 || v.Manifest.Listings[0].Page != takedown.EvidenceFile(f.evidence, "text/html") {
		t.Fatalf("bundle listings: %+v", v.Manifest.Listings)
	}
	if _, ok := v.Manifest.Files[v.Manifest.Listings[0].Page]; !ok {
		t.Fatalf("bundle lacks the page: %v", v.Manifest.Files)
	}
	// The rest (Adidas, no registration number) is warned about.
	rest := create(url.Values{})
	page = f.get(c, rest, http.StatusOK)
	if m := regexp.MustCompile(`id="missing-registrations"[^<]*<bdi>([^<]+)</bdi>`).FindStringSubmatch(page); m == nil || m[1] != "阿迪达斯" {
		t.Fatalf("no warning naming 阿迪达斯:\n%.3000s", page)
	}
	// An unknown owner is refused.
	form := url.Values{"owner": {"Nobody"}, "csrf": {csrf}}
	resp, err = c.PostForm(f.srv.URL+"/exports", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown owner: %d", resp.StatusCode)
	}
}

func TestNotificationsPageShowsDeliveryLog(t *testing.T) {
	f := newFixture(t, review.Options{})
	if _, err := f.store.EnqueueNotifications(t.Context(), []store.Notification{{Channel: "team-dingtalk", Key: "suspect/shop/h1", Kind: "new_suspect", Payload: "{}"}}); err != nil {
		t.Fatal(err)
	}
	c, _ := f.login("vera")
	page := f.get(c, "/notifications", http.StatusOK)
	if !strings.Contains(page, "team-dingtalk") || !strings.Contains(page, "suspect/shop/h1") || !strings.Contains(page, "pending") {
		t.Fatalf("delivery log:\n%.2000s", page)
	}
}

func TestNetworksPageLinksSellersAcrossSites(t *testing.T) {
	f := newFixture(t, review.Options{})
	ctx := t.Context()
	now := time.Now().UTC()
	var fs []markwatch.Finding
	for i, c := range []struct{ site, seller, desc string }{
		{"mart", "阿强潮鞋旗舰店", "加V: aq_shoe1 支持验货"},
		{"gbk", "东哥优选店", "薇信 aq_shoe1，电话 139-0011-2233"},
		{"api", "小美精品店", "联系 13900112233"},
		{"api", "无关百货店", "QQ 55555555"},
	} {
		for k := range 2 {
			fd := storetest.Finding("run-n", c.site, fmt.Sprintf("N%d%d", i, k), "Nike", "", 59, now)
			fd.Listing.Seller, fd.Listing.Description = c.seller, c.desc
			fs = append(fs, fd)
		}
	}
	if _, err := f.store.PutFindings(ctx, fs); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 3 {
		id, _ := f.store.ListingByKey(ctx, []string{"mart", "gbk", "api"}[i], fmt.Sprintf("N%d0", i))
		ids = append(ids, fmt.Sprint(id))
	}
	if r, body := f.do(nil, "POST", "/api/v1/decisions", f.tokens["rita"], "", "application/json", `{"ids":[`+strings.Join(ids, ",")+`],"status":"confirmed"}`); r.StatusCode != 200 {
		t.Fatalf("confirm: %d %s", r.StatusCode, body)
	}
	c, _ := f.login("vera")
	if page := f.get(c, "/networks", http.StatusOK); !strings.Contains(page, "Not built yet") {
		t.Fatalf("networks page before the first build:\n%.2000s", page)
	}
	if rebuilt, n, err := review.RebuildNetworks(ctx, f.store, now, false); err != nil || !rebuilt || n != 1 {
		t.Fatalf("rebuild: %v %d %v, want one network", rebuilt, n, err)
	}
	if rebuilt, _, err := review.RebuildNetworks(ctx, f.store, now, false); err != nil || rebuilt {
		t.Fatalf("rebuild with nothing changed: %v %v, want skipped", rebuilt, err)
	}
	page := f.get(c, "/networks", http.StatusOK)
	m := regexp.MustCompile(`href="/networks/([0-9a-f]+)"`).FindAllStringSubmatch(page, -1)
	if len(m) != 1 || !strings.Contains(page, "repeat offender") || strings.Contains(page, "无关百货店") {
		t.Fatalf("want one repeat-offender network without the unrelated shop:\n%.3000s", page)
	}
	detail := f.get(c, "/networks/"+m[0][1], http.StatusOK)
	for _, want := range []string{"阿强潮鞋旗舰店", "东哥优选店", "小美精品店", "wechat", "aq_shoe1", "phone", "13900112233", "6 listing(s): 3 confirmed"} {
		if !strings.Contains(detail, want) {
			t.Errorf("network page lacks %q", want)
		}
	}
	// The queue filtered by the network: its 6 listings on three sites, not
	// the unrelated shop's.
	queue := f.get(c, "/queue?status=any&network="+m[0][1], http.StatusOK)
	if n := strings.Count(queue, `href="/listings/`); n != 6 || strings.Contains(queue, "无关百货店") {
		t.Errorf("queue by network shows %d listings (want 6, none of the unrelated shop)", n)
	}
	csvBody := f.get(c, "/networks/"+m[0][1]+"/export.csv", http.StatusOK)
	if n := strings.Count(csvBody, "\n"); n != 7 {
		t.Errorf("network export has %d lines, want header + 6", n)
	}
	// A reviewer cuts a takedown batch of the network: its 3 confirmed
	// listings, not the unrelated shop's.
	rc, csrf := f.login("rita")
	resp, err := rc.PostForm(f.srv.URL+"/networks/"+m[0][1]+"/batch", url.Values{"csrf": {csrf}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("network batch: %d", resp.StatusCode)
	}
	batch := f.get(rc, resp.Header.Get("Location"), http.StatusOK)
	if !strings.Contains(batch, "3 listing(s)") || !strings.Contains(batch, "network="+m[0][1]) {
		t.Fatalf("network batch page:\n%.1500s", batch)
	}
}

// Two shops on two sites whose listings carry the same photo file (the
// images step's SHA-256) are one network, linked by the image; a third
// with another photo is not in it.
func TestNetworksLinkSharedPhotos(t *testing.T) {
	f := newFixture(t, review.Options{})
	ctx := t.Context()
	now := time.Now().UTC()
	shared, other := strings.Repeat("ab", 32), strings.Repeat("cd", 32)
	var fs []markwatch.Finding
	for i, c := range []struct{ site, seller, photo string }{
		{"mart", "星光潮品店", shared}, {"gbk", "月影精品屋", shared}, {"api", "路人甲百货", other},
	} {
		fd := storetest.Finding("run-p", c.site, fmt.Sprintf("P%d", i), "Nike", "", 59, now)
		fd.Listing.Seller = c.seller
		fd.Listing.Photos = []markwatch.Photo{{URL: "http://img.test/" + c.photo[:4] + ".jpg", SHA256: c.photo, Format: "jpeg"}}
		fs = append(fs, fd)
	}
	if _, err := f.store.PutFindings(ctx, fs); err != nil {
		t.Fatal(err)
	}
	if _, n, err := review.RebuildNetworks(ctx, f.store, now, true); err != nil || n != 1 {
		t.Fatalf("rebuild: %d networks, %v; want 1", n, err)
	}
	c, _ := f.login("vera")
	m := regexp.MustCompile(`href="/networks/([0-9a-f]+)"`).FindStringSubmatch(f.get(c, "/networks", http.StatusOK))
	if m == nil {
		t.Fatal("no network listed")
	}
	detail := f.get(c, "/networks/"+m[1], http.StatusOK)
	for _, want := range []string{"星光潮品店", "月影精品屋", "image", shared} {
		if !strings.Contains(detail, want) {
			t.Errorf("network page lacks %q", want)
		}
	}
	if strings.Contains(detail, "路人甲百货") {
		t.Error("the shop with another photo is in the network")
	}
}
