package images

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"path"

	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/matchers"
)

// Distances that make a photo a near-duplicate of a reference, chosen on
// the fake marketplace's edits (crops up to a tenth of an edge, resizes,
// JPEG at quality 50, a watermark band, mirroring), which land within
// them, while unrelated pictures of the same kinds stay outside
// (index_test.go checks both): pHash ≤ 14, pHash + dHash ≤ 24, and the 3×3
// colour grids within 16 of 255 on average.
const (
	DefaultMaxDistance = 14
	DefaultMaxSum      = 24
	DefaultMaxColor    = 16
)

// cropVariants are the crops of each reference also indexed (left, top,
// right, bottom fractions cut): pHash follows the whole frame, so a seller's
// crop of a stolen photo is nearer one of these than the full picture.
var cropVariants = [][4]float64{{0, 0, 0, 0}, {.06, .06, .06, .06}, {.12, .12, .12, .12}, {.1, .1, 0, 0}, {0, 0, .1, .1}, {.1, 0, 0, .1}, {0, .1, .1, 0}}

// AddReference indexes img as a reference picture of mark: its crops and
// the mirror image of each.
func (ix *Index) AddReference(mark, file string, img image.Image) error {
	for _, c := range cropVariants {
		v := crop(img, c)
		for _, mirrored := range []bool{false, true} {
			w := v
			if mirrored {
				w = Mirror(v)
			}
			h, err := HashImage(w)
			if err != nil {
				return fmt.Errorf("images: hash %s: %w", file, err)
			}
			ix.Add(Reference{Mark: mark, File: file, Hashes: h, Mirrored: mirrored})
		}
	}
	return nil
}

func crop(img image.Image, c [4]float64) image.Image {
	if c == [4]float64{} {
		return img
	}
	b := img.Bounds()
	r := image.Rect(b.Min.X+int(c[0]*float64(b.Dx())), b.Min.Y+int(c[1]*float64(b.Dy())),
		b.Max.X-int(c[2]*float64(b.Dx())), b.Max.Y-int(c[3]*float64(b.Dy())))
	out := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(out, out.Bounds(), img, r.Min, draw.Src)
	return out
}

// NewIndex returns an empty index with the default distances.
func NewIndex() *Index {
	return &Index{MaxDistance: DefaultMaxDistance, MaxSum: DefaultMaxSum, MaxColor: DefaultMaxColor}
}

// LoadReferences reads the images: of every mark (paths relative to the
// marks folder loc, or to the folder of loc when it is one file) into a
// new index. An error names the mark file, the mark and the image.
func LoadReferences(loc config.Location, marks []matchers.Mark, maxPixels int) (*Index, error) {
	ix := NewIndex()
	base := loc.Path
	if files, err := loc.Files(); err == nil && len(files) == 1 && files[0] == loc.Path {
		base = path.Dir(loc.Path)
	}
	var errs []error
	for _, mk := range marks {
		for i, file := range mk.Images {
			where := fmt.Sprintf("%s: mark %s: images[%d] %q", mk.File(), mk.ID, i, file)
			data, err := loc.ReadFile(path.Join(base, file))
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", where, errors.Unwrap(err)))
				continue
			}
			img, _, err := Decode(data, maxPixels)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", where, err))
				continue
			}
			if err := ix.AddReference(mk.ID, path.Base(file), img); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", where, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return ix, nil
}

// ReferenceFiles returns the bytes of every mark's reference images by
// file name (the review app shows them beside the photos that matched);
// files that cannot be read are left out (LoadReferences reports them).
func ReferenceFiles(loc config.Location, marks []matchers.Mark) map[string][]byte {
	base := loc.Path
	if files, err := loc.Files(); err == nil && len(files) == 1 && files[0] == loc.Path {
		base = path.Dir(loc.Path)
	}
	out := map[string][]byte{}
	for _, mk := range marks {
		for _, file := range mk.Images {
			if data, err := loc.ReadFile(path.Join(base, file)); err == nil {
				out[path.Base(file)] = data
			}
		}
	}
	return out
}
