package fakemarket

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/markwatch/markwatch/images/synth"
)

// The stand-in reference pictures shipped with the default marks are the
// ones the fake marketplace draws its stolen photos from.
func TestReferenceImagesAreCurrent(t *testing.T) {
	for _, r := range ReferenceImages {
		got, err := os.ReadFile(filepath.Join("..", "configs", "marks", "images", r.File))
		if err != nil {
			t.Fatal(err)
		}
		if want := synth.PNG(synth.Draw(r.Kind, r.Seed, ReferenceSize)); !bytes.Equal(got, want) {
			t.Errorf("configs/marks/images/%s differs from synth.Draw(%q, %d, %d): regenerate it", r.File, r.Kind, r.Seed, ReferenceSize)
		}
	}
}

func TestCatalogueHasImageTruth(t *testing.T) {
	counts := map[string]int{}
	for _, l := range Generate(1).Listings() {
		if it := l.Truth.Image; it != nil {
			counts[it.Kind]++
			if it.Kind != "innocent" && !l.Truth.Suspect {
				t.Errorf("%s: a %s photo on a listing whose text truth is not suspect", l.ID, it.Kind)
			}
		}
	}
	for _, k := range []string{"duplicate", "text", "innocent"} {
		if counts[k] < 10 {
			t.Errorf("only %d %s photos in the default catalogue", counts[k], k)
		}
	}
	t.Logf("photos: %v", counts)
}

// Some mart listings keep the stolen photo in the item page's gallery:
// the card's photo is a detail shot, the gallery's the edited reference.
func TestGalleryPhotos(t *testing.T) {
	srv := New(Generate(1), Options{})
	moved, shown := 0, 0
	for _, l := range srv.cat.Listings() {
		if !HasGallery(&l) {
			if it := l.Truth.Image; it != nil && it.Photo == 2 {
				t.Fatalf("%s: truth in a gallery it does not show", l.ID)
			}
			continue
		}
		shown++
		page := string(srv.martItem(&l, martLayouts[1]))
		if !strings.Contains(page, `<img src="`+GalleryPath(&l)+`"`) {
			t.Fatalf("%s: item page lacks the gallery photo", l.ID)
		}
		main, further := srv.image(l.Image).body, srv.image(GalleryPath(&l)).body
		truth := ListingImage(l)
		if l.Truth.Image.Photo == 2 {
			moved++
			if !bytes.Equal(further, truth) || bytes.Equal(main, truth) {
				t.Fatalf("%s: the stolen photo is not (only) the gallery's", l.ID)
			}
		} else if !bytes.Equal(main, truth) || bytes.Equal(further, truth) {
			t.Fatalf("%s: the truth photo is not (only) the main one", l.ID)
		}
	}
	if moved < 3 || shown < 10 {
		t.Fatalf("%d listings show a gallery photo, %d of them the stolen one", shown, moved)
	}
	t.Logf("%d gallery photos, %d stolen", shown, moved)
}
