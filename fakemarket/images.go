package fakemarket

import (
	"hash/fnv"
	stdimage "image"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/markwatch/markwatch/images/synth"
)

// ImageTruth is the ground truth of a listing's generated photo (the image
// channel): Kind "duplicate" (an edited copy of a mark's reference image:
// Mark, Reference, Edit), "text" (Text rendered into the photo: Mark) or
// "innocent" (a picture of the same kinds that is no one's mark). Listings
// without one show a 1×1 placeholder GIF.
type ImageTruth struct {
	Kind      string `json:"kind"`
	Mark      string `json:"mark,omitempty"`
	Reference string `json:"reference,omitempty"`
	Edit      string `json:"edit,omitempty"`
	Text      string `json:"text,omitempty"`
	// Photo is which of the listing's photos shows it: 0 or 1 the main
	// image; 2 the further photo of a mart item page's gallery (a seller
	// who keeps the stolen photo off the search card), so that only an
	// adapter reading images: finds it.
	Photo int `json:"photo,omitempty"`
}

// ReferenceImage is one stand-in reference picture the default marks ship
// (configs/marks/images/): drawn by synth from Kind and Seed, no one's real
// artwork.
type ReferenceImage struct {
	Mark, File, Kind string
	Seed             uint64
}

// ReferenceImages are the default registry's reference pictures.
var ReferenceImages = []ReferenceImage{
	{"hangzhou-2022-emblem", "standin-emblem.png", synth.Emblem, 1},
	{"hangzhou-2022-mascots", "standin-mascot.png", synth.Mascot, 1},
	{"louis-vuitton", "standin-lv-catalogue.png", synth.Product, 1},
}

// ReferenceSize is the side of the reference pictures in pixels.
const ReferenceSize = 320

// imageTexts are the mark names rendered into "text" photos.
var imageTexts = []struct{ mark, text string }{
	{"louis-vuitton", "LOUIS VUITTON"},
	{"hangzhou-2022-asian-games", "杭州亚运会"},
	{"louis-vuitton", "路易威登"},
}

var edits = []string{"crop", "resize", "jpeg", "watermark", "mirror", "crop+mirror+jpeg"}

// assignImage gives a listing its photo's ground truth: a few suspect
// listings get a stolen reference photo or a mark written in the photo
// (so the text channel's truth stays right: they are suspect on their
// text anyway), a few innocent ones a harmless product picture.
func assignImage(l *Listing) {
	h := fnv.New64a()
	h.Write([]byte(l.ID))
	n := h.Sum64()
	switch k := n % 100; {
	case l.Truth.Suspect && k < 12:
		r := ReferenceImages[(n/100)%uint64(len(ReferenceImages))]
		l.Truth.Image = &ImageTruth{Kind: "duplicate", Mark: r.Mark, Reference: r.File, Edit: edits[(n/1000)%uint64(len(edits))]}
	case l.Truth.Suspect && k < 20:
		t := imageTexts[(n/100)%uint64(len(imageTexts))]
		l.Truth.Image = &ImageTruth{Kind: "text", Mark: t.mark, Text: t.text}
	case !l.Truth.Suspect && k < 12:
		l.Truth.Image = &ImageTruth{Kind: "innocent"}
	}
	if it := l.Truth.Image; it != nil && it.Kind == "duplicate" && l.Site == SiteMart && (n/10000)%3 == 0 {
		it.Photo = 2
	}
}

// HasGallery says whether the listing's item page shows a further photo
// (mart listings with a generated photo); GalleryPath is its path.
func HasGallery(l *Listing) bool { return l.Site == SiteMart && l.Truth.Image != nil }

// GalleryPath is the path of a listing's further photo.
func GalleryPath(l *Listing) string { return strings.TrimSuffix(l.Image, ".jpg") + "-2.jpg" }

var imageCache sync.Map // seed/listing id → *response

// image serves a listing's photo: generated from its ImageTruth, else the
// placeholder GIF.
func (s *Server) image(p string) *response {
	id := strings.TrimSuffix(path.Base(p), path.Ext(p))
	photo := 1
	if base, ok := strings.CutSuffix(id, "-2"); ok {
		id, photo = base, 2
	}
	l, ok := s.cat.Listing(id)
	if !ok || l.Truth.Image == nil || photo == 2 && !HasGallery(&l) {
		return image()
	}
	key := strconv.FormatInt(s.cat.Seed(), 10) + "/" + id + "/" + strconv.Itoa(photo)
	if r, ok := imageCache.Load(key); ok {
		return r.(*response)
	}
	body := ListingPhoto(l, photo)
	r := &response{status: http.StatusOK, contentType: "image/jpeg", body: body, header: map[string]string{"Cache-Control": "max-age=86400"}}
	imageCache.Store(key, r)
	return r
}

// ListingPhoto draws photo n (1 the main image, 2 the gallery's) of a
// listing with an ImageTruth: the truth's photo where it says, else a
// detail shot of the same kinds that is no one's mark.
func ListingPhoto(l Listing, n int) []byte {
	if max(l.Truth.Image.Photo, 1) == n {
		return ListingImage(l)
	}
	h := fnv.New64a()
	h.Write([]byte(l.ID + "/detail"))
	seed := h.Sum64()
	kinds := []string{synth.Emblem, synth.Mascot, synth.Product}
	return synth.JPEG(synth.Draw(kinds[seed%3], seed>>8|1<<41, 256), 85)
}

// ListingImage draws a listing's photo from its ImageTruth (JPEG bytes).
func ListingImage(l Listing) []byte {
	t := l.Truth.Image
	h := fnv.New64a()
	h.Write([]byte(l.ID))
	seed := h.Sum64()
	face, _ := synth.CJKFace(40)
	switch t.Kind {
	case "duplicate":
		var ref stdimage.Image
		for _, r := range ReferenceImages {
			if r.File == t.Reference {
				ref = synth.Draw(r.Kind, r.Seed, ReferenceSize)
			}
		}
		q := 85
		switch t.Edit {
		case "crop":
			ref = synth.Crop(ref, 0.08, 0.04, 0.02, 0.08)
		case "resize":
			ref = synth.Resize(ref, 240, 200)
		case "jpeg":
			q = 45
		case "watermark":
			ref = synth.Watermark(ref, face, "优选好店 正品保障")
		case "mirror":
			ref = synth.Mirror(ref)
		default:
			ref = synth.Mirror(synth.Crop(ref, 0.05, 0.05, 0.05, 0.05))
			q = 60
		}
		return synth.JPEG(ref, q)
	case "text":
		if face == nil {
			return synth.JPEG(synth.Draw(synth.Product, seed, 64), 85)
		}
		return synth.JPEG(synth.Label(face, []string{t.Text, "新品 特价"}, 360, 160, seed), 90)
	}
	kinds := []string{synth.Emblem, synth.Mascot, synth.Product}
	return synth.JPEG(synth.Draw(kinds[seed%3], seed>>8|1<<40, 256), 85)
}
