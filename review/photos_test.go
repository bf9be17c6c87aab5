package review_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/images"
	"github.com/markwatch/markwatch/images/synth"
	"github.com/markwatch/markwatch/review"
	"github.com/markwatch/markwatch/store/storetest"
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
