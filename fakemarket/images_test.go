package fakemarket

import (
	"bytes"
	"os"
	"path/filepath"
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
