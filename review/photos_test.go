package review_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/images"
	"github.com/markwatch/markwatch/images/synth"
	"github.com/markwatch/markwatch/review"
	"github.com/markwatch/markwatch/store/storetest"
	"github.com/markwatch/markwatch/takedown"
)

// The listing page shows the photos, the reference each matched beside
// it, and refusals; the photo and reference routes serve the images.
func TestListingPageShowsPhotosAndReferences(t *testing.T) {
	ref := synth.PNG(synth.Draw(synth.Emblem, 1, 64))
	f := newFixture(t, review.Options{References: map[string][]byte{"emblem.png": ref}})
	ctx := context.Background()
	st, err := images.OpenStore(filepath.Join(f.store.Evidence().Dir(), "images"))
	if err != nil {
		t.Fatal(err)
	}
	photo := synth.JPEG(synth.Draw(synth.Emblem, 1, 64), 80)
	sum, err := st.Put(photo, "jpeg")
	if err != nil {
		t.Fatal(err)
	}
	fd := storetest.Finding("r2", "mart", "ph1", "hangzhou-2022-emblem", "毛绒 钥匙扣", 19, time.Now().UTC())
	fd.Listing.Photos = []markwatch.Photo{{URL: "https://img.example/1.jpg", SHA256: sum, Format: "jpeg", Width: 64, Height: 64},
		{URL: "https://evil.example/2.jpg", Refused: "domain: not allowed"}}
	fd.Verdict.Hits = append(fd.Verdict.Hits, markwatch.Hit{Mark: "hangzhou-2022-emblem", Field: "photo", Via: "photo", Reference: "emblem.png", Photo: 1, Distance: 3})
	if _, err := f.store.PutFindings(ctx, []markwatch.Finding{fd}); err != nil {
		t.Fatal(err)
	}
	id, _ := f.store.ListingByKey(ctx, "mart", "ph1")
	c, _ := f.login("vera")
	page := f.get(c, fmt.Sprintf("/listings/%d", id), 200)
	for _, want := range []string{`src="/photos/` + sum + `"`, `src="/references/emblem.png"`, "distance 3", "Photo 2 refused"} {
		if !strings.Contains(page, want) {
			t.Errorf("listing page lacks %q", want)
		}
	}
	if queue := f.get(c, "/queue?site=mart", 200); !strings.Contains(queue, `src="/photos/`+sum+`"`) {
		t.Error("queue lacks the thumbnail")
	}
	if got := f.get(c, "/photos/"+sum, 200); got != string(photo) {
		t.Error("photo route served other bytes")
	}
	if got := f.get(c, "/references/emblem.png", 200); got != string(ref) {
		t.Error("reference route served other bytes")
	}
	f.get(c, "/references/nothing.png", 404)
	f.get(c, "/photos/"+strings.Repeat("0", 64), 404)
}

// A confirmed listing's stored photos travel in the batch's evidence
// bundle (hashed in the manifest, verified) and its export names them.
func TestBundleAndExportCarryPhotos(t *testing.T) {
	f := newFixture(t, review.Options{})
	ctx := context.Background()
	st, err := images.OpenStore(images.EvidenceDir(f.store.Evidence().Dir()))
	if err != nil {
		t.Fatal(err)
	}
	photo := synth.JPEG(synth.Draw(synth.Mascot, 2, 64), 80)
	sum, err := st.Put(photo, "jpeg")
	if err != nil {
		t.Fatal(err)
	}
	fd := storetest.Finding("r3", "mart", "ph2", "Nike", "耐克 鞋", 19, time.Now().UTC())
	fd.Listing.Photos = []markwatch.Photo{{URL: "https://img.example/9.jpg", SHA256: sum, Format: "jpeg", Text: "NIKE"}}
	if _, err := f.store.PutFindings(ctx, []markwatch.Finding{fd}); err != nil {
		t.Fatal(err)
	}
	id, _ := f.store.ListingByKey(ctx, "mart", "ph2")
	if r, body := f.do(nil, "POST", "/api/v1/decisions", f.tokens["rita"], "", "application/json", fmt.Sprintf(`{"ids":[%d],"status":"confirmed"}`, id)); r.StatusCode != 200 {
		t.Fatalf("confirm: %d %s", r.StatusCode, body)
	}
	c, csrf := f.login("rita")
	resp, err := c.PostForm(f.srv.URL+"/exports", url.Values{"csrf": {csrf}, "site": {"mart"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	batch := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || batch == "" {
		t.Fatalf("create batch: %d", resp.StatusCode)
	}
	zipped := f.get(c, batch+"/evidence.zip", 200)
	v, err := takedown.VerifyBundle(strings.NewReader(zipped), int64(len(zipped)), takedown.VerifyTimestampOptions{})
	if err != nil {
		t.Fatal(err)
	}
	file := "photos/" + sum + ".jpeg"
	if len(v.Manifest.Listings) != 1 || len(v.Manifest.Listings[0].Photos) != 1 || v.Manifest.Listings[0].Photos[0].File != file ||
		v.Manifest.Files[file] != sum {
		t.Fatalf("bundle photos: %+v, files %v", v.Manifest.Listings, v.Manifest.Files)
	}
	csv := f.get(c, batch+"/export?profile=generic&format=csv", 200)
	if !strings.Contains(csv, "Photo files") || !strings.Contains(csv, file) {
		t.Fatalf("generic export lacks the photo file:\n%s", csv)
	}
}
