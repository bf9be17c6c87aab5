package images

import (
	"image"

	xdraw "golang.org/x/image/draw"
	"math/bits"

	"github.com/corona10/goimagehash"
)

// Hashes are the perceptual hashes of one image: pHash (DCT of a 32×32
// grey thumbnail; robust to re-encoding, resizing and small edits) to
// search, dHash (gradients of a 9×8 thumbnail) to confirm.
type Hashes struct {
	P, D uint64
	// C is the mean colour of a 3×3 grid (RGB, 27 bytes): pHash and dHash
	// see only grey, so a toy of the same shape in other colours would
	// pass them.
	C [27]uint8
}

// ColorDistance is the mean absolute difference of two colour grids, 0..255.
func ColorDistance(a, b [27]uint8) int {
	sum := 0
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d < 0 {
			d = -d
		}
		sum += d
	}
	return sum / len(a)
}

func colorGrid(img image.Image) [27]uint8 {
	t := thumbnail(img, 48)
	b := t.Bounds()
	var sums [27]int
	var counts [9]int
	for y := b.Min.Y; y < b.Max.Y; y++ {
		gy := (y - b.Min.Y) * 3 / b.Dy()
		for x := b.Min.X; x < b.Max.X; x++ {
			gx := (x - b.Min.X) * 3 / b.Dx()
			r, g, bl, _ := t.At(x, y).RGBA()
			c := gy*3 + gx
			sums[c*3] += int(r >> 8)
			sums[c*3+1] += int(g >> 8)
			sums[c*3+2] += int(bl >> 8)
			counts[c]++
		}
	}
	var out [27]uint8
	for i := range out {
		if n := counts[i/3]; n > 0 {
			out[i] = uint8(sums[i] / n)
		}
	}
	return out
}

// HashImage returns img's hashes. Images are first scaled down to at most
// 256 pixels a side, so hashing costs the same whatever the photo's size.
func HashImage(img image.Image) (Hashes, error) {
	img = thumbnail(img, 256)
	p, err := goimagehash.PerceptionHash(img)
	if err != nil {
		return Hashes{}, err
	}
	d, err := goimagehash.DifferenceHash(img)
	if err != nil {
		return Hashes{}, err
	}
	return Hashes{P: p.GetHash(), D: d.GetHash(), C: colorGrid(img)}, nil
}

// Distance is the Hamming distance of two 64-bit hashes.
func Distance(a, b uint64) int { return bits.OnesCount64(a ^ b) }

// Mirror returns img flipped left to right.
func Mirror(img image.Image) image.Image {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			out.Set(b.Dx()-1-x, y, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return out
}

// thumbnail scales img down (approximate bilinear, golang.org/x/image/draw)
// so that its longer side is at most side; smaller images are returned as
// they are.
func thumbnail(img image.Image, side int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= side && h <= side {
		return img
	}
	tw, th := side, h*side/w
	if h > w {
		tw, th = w*side/h, side
	}
	out := image.NewRGBA(image.Rect(0, 0, max(tw, 1), max(th, 1)))
	xdraw.ApproxBiLinear.Scale(out, out.Bounds(), img, b, xdraw.Src, nil)
	return out
}
