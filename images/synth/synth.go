// Package synth draws the synthetic pictures markwatch ships and tests
// with: stand-ins for an emblem, a mascot and a monogram (drawn here, no
// one's real artwork), innocent product pictures of the same categories,
// and the edits counterfeiters make to a stolen photo (crops, resizes,
// JPEG re-encodes, watermarks, mirroring), plus text rendered into a
// picture with an OpenType font.
package synth

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"os"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// Kinds of picture Draw knows.
const (
	Emblem   = "emblem"   // a ring of petals around a disc
	Mascot   = "mascot"   // a round animal with ears and eyes
	Monogram = "monogram" // a repeated pattern of flowers and diamonds on leather
	Product  = "product"  // an innocent product shot: a box or bag on a backdrop
)

// Draw draws a picture of kind, varied by seed, size × size pixels.
func Draw(kind string, seed uint64, size int) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, uint64(len(kind))*7919+1))
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	s := float64(size)
	bg1, bg2 := randColor(r, 150, 255), randColor(r, 100, 230)
	gradient(img, bg1, bg2, r.IntN(2) == 0)
	switch kind {
	case Emblem:
		cx, cy := s*(0.4+0.2*r.Float64()), s*(0.4+0.2*r.Float64())
		petals := 5 + r.IntN(5)
		rad := s * (0.25 + 0.1*r.Float64())
		for i := range petals {
			a := 2*math.Pi*float64(i)/float64(petals) + r.Float64()*0.3
			disc(img, cx+rad*math.Cos(a), cy+rad*math.Sin(a), s*(0.08+0.06*r.Float64()), randColor(r, 0, 200))
		}
		disc(img, cx, cy, rad*0.6, randColor(r, 0, 160))
		disc(img, cx, cy, rad*0.3, randColor(r, 120, 255))
		rect(img, int(s*0.1), int(s*0.85), int(s*(0.5+0.4*r.Float64())), int(s*0.92), randColor(r, 0, 120))
	case Mascot:
		cx, cy := s*(0.35+0.3*r.Float64()), s*(0.55+0.1*r.Float64())
		body := randColor(r, 40, 255)
		disc(img, cx, cy+s*0.15, s*(0.22+0.08*r.Float64()), body)
		head := s * (0.15 + 0.08*r.Float64())
		hx, hy := cx+s*(r.Float64()-0.5)*0.1, cy-s*0.12
		disc(img, hx-head*0.8, hy-head*0.9, head*0.45, randColor(r, 0, 255))
		disc(img, hx+head*0.8, hy-head*0.9, head*0.45, randColor(r, 0, 255))
		disc(img, hx, hy, head, body)
		disc(img, hx-head*0.4, hy-head*0.1, head*0.18, color.RGBA{20, 20, 20, 255})
		disc(img, hx+head*0.4, hy-head*0.1, head*0.18, color.RGBA{20, 20, 20, 255})
		disc(img, hx, hy+head*0.4, head*0.15, randColor(r, 150, 255))
		for range 2 + r.IntN(4) {
			disc(img, s*r.Float64(), s*r.Float64()*0.4, s*0.04, randColor(r, 100, 255))
		}
	case Monogram:
		leather := randColor(r, 60, 140)
		gradient(img, leather, scale(leather, 0.7), r.IntN(2) == 0)
		ink := randColor(r, 170, 240)
		step := s / float64(4+r.IntN(3))
		for y := 0.0; y < s+step; y += step {
			for x := 0.0; x < s+step; x += step {
				off := 0.0
				if int(y/step)%2 == 1 {
					off = step / 2
				}
				if (int(x/step)+int(y/step))%2 == 0 {
					for k := range 4 {
						a := float64(k) * math.Pi / 2
						disc(img, x+off+step*0.15*math.Cos(a), y+step*0.15*math.Sin(a), step*0.1, ink)
					}
				} else {
					diamond(img, x+off, y, step*0.2, ink)
				}
			}
		}
	default: // Product
		box := randColor(r, 0, 255)
		x0, y0 := int(s*(0.1+0.3*r.Float64())), int(s*(0.1+0.3*r.Float64()))
		x1, y1 := x0+int(s*(0.2+0.4*r.Float64())), y0+int(s*(0.2+0.4*r.Float64()))
		rect(img, x0+int(s*0.03), y0+int(s*0.03), x1+int(s*0.03), y1+int(s*0.03), color.RGBA{60, 60, 60, 255})
		rect(img, x0, y0, x1, y1, box)
		rect(img, x0, y0+(y1-y0)/3, x1, y0+(y1-y0)/3+int(s*0.04), randColor(r, 0, 255))
		for range 1 + r.IntN(3) {
			disc(img, s*r.Float64(), s*r.Float64(), s*(0.04+0.08*r.Float64()), randColor(r, 0, 255))
		}
	}
	return img
}

func randColor(r *rand.Rand, lo, hi int) color.RGBA {
	c := func() uint8 { return uint8(lo + r.IntN(hi-lo+1)) }
	return color.RGBA{c(), c(), c(), 255}
}

func scale(c color.RGBA, f float64) color.RGBA {
	return color.RGBA{uint8(float64(c.R) * f), uint8(float64(c.G) * f), uint8(float64(c.B) * f), 255}
}

func gradient(img *image.RGBA, a, b color.RGBA, vertical bool) {
	bd := img.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			t := float64(x) / float64(bd.Dx())
			if vertical {
				t = float64(y) / float64(bd.Dy())
			}
			img.SetRGBA(x, y, color.RGBA{mix(a.R, b.R, t), mix(a.G, b.G, t), mix(a.B, b.B, t), 255})
		}
	}
}

func mix(a, b uint8, t float64) uint8 { return uint8(float64(a)*(1-t) + float64(b)*t) }

func disc(img *image.RGBA, cx, cy, rad float64, c color.RGBA) {
	b := img.Bounds()
	for y := max(b.Min.Y, int(cy-rad)); y < min(b.Max.Y, int(cy+rad)+1); y++ {
		for x := max(b.Min.X, int(cx-rad)); x < min(b.Max.X, int(cx+rad)+1); x++ {
			if dx, dy := float64(x)-cx, float64(y)-cy; dx*dx+dy*dy <= rad*rad {
				img.SetRGBA(x, y, c)
			}
		}
	}
}

func diamond(img *image.RGBA, cx, cy, rad float64, c color.RGBA) {
	b := img.Bounds()
	for y := max(b.Min.Y, int(cy-rad)); y < min(b.Max.Y, int(cy+rad)+1); y++ {
		for x := max(b.Min.X, int(cx-rad)); x < min(b.Max.X, int(cx+rad)+1); x++ {
			if math.Abs(float64(x)-cx)+math.Abs(float64(y)-cy) <= rad {
				img.SetRGBA(x, y, c)
			}
		}
	}
}

func rect(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	draw.Draw(img, image.Rect(x0, y0, x1, y1).Intersect(img.Bounds()), &image.Uniform{c}, image.Point{}, draw.Src)
}

// Crop keeps the part of img inside fractions (left, top, right, bottom)
// of its size cut off each edge.
func Crop(img image.Image, left, top, right, bottom float64) *image.RGBA {
	b := img.Bounds()
	r := image.Rect(b.Min.X+int(left*float64(b.Dx())), b.Min.Y+int(top*float64(b.Dy())),
		b.Max.X-int(right*float64(b.Dx())), b.Max.Y-int(bottom*float64(b.Dy())))
	out := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.Draw(out, out.Bounds(), img, r.Min, draw.Src)
	return out
}

// Resize scales img to w × h (nearest neighbour, as cheap resizers do).
func Resize(img image.Image, w, h int) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			out.Set(x, y, img.At(b.Min.X+x*b.Dx()/w, b.Min.Y+y*b.Dy()/h))
		}
	}
	return out
}

// Mirror flips img left to right.
func Mirror(img image.Image) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			out.Set(b.Dx()-1-x, y, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return out
}

// Watermark lays a half-transparent band with a shop's name over the
// bottom eighth of img, as resellers stamp stolen photos (face nil: the
// band alone).
func Watermark(img image.Image, face font.Face, text string) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Src)
	band := image.Rect(0, b.Dy()*7/8, b.Dx(), b.Dy()*15/16)
	draw.Draw(out, band, &image.Uniform{color.RGBA{255, 255, 255, 110}}, image.Point{}, draw.Over)
	if face != nil {
		Text(out, face, text, b.Dx()/20, band.Max.Y-2, color.RGBA{80, 80, 80, 255})
	}
	return out
}

// Text draws s with face at (x, baseline y).
func Text(img *image.RGBA, face font.Face, s string, x, y int, c color.Color) {
	d := &font.Drawer{Dst: img, Src: image.NewUniform(c), Face: face, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// Label draws a picture of text alone: dark text on a light card, the way
// a seller puts a brand name or a mascot's name into a product photo.
func Label(face font.Face, lines []string, w, h int, seed uint64) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, 17))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	gradient(img, randColor(r, 215, 255), randColor(r, 200, 245), r.IntN(2) == 0)
	m := face.Metrics()
	lh := (m.Ascent + m.Descent).Ceil() * 5 / 4
	y := h/2 - lh*len(lines)/2 + m.Ascent.Ceil()
	for _, l := range lines {
		Text(img, face, l, w/12, y, randColor(r, 0, 70))
		y += lh
	}
	return img
}

// JPEG encodes img at quality q.
func JPEG(img image.Image, q int) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		panic(err) // encoding to memory cannot fail
	}
	return b.Bytes()
}

// PNG encodes img.
func PNG(img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// FontPaths are where Debian's packages put a CJK font, tried in order:
// fonts-droid-fallback (a plain TrueType file, 7 MB, that
// golang.org/x/image/font/opentype reads; wqy-zenhei's collection fails
// there with "invalid table offset"), then fonts-noto-cjk.
var FontPaths = []string{
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
}

// CJKFace loads the first CJK font of FontPaths at size points (72 dpi:
// points are pixels), with Go's own font (golang.org/x/image/font/gofont)
// for the runes it lacks (Droid Sans Fallback has no Latin letters). An
// error says which files were tried.
func CJKFace(size float64) (font.Face, error) {
	latinFont, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return nil, err
	}
	latin, err := opentype.NewFace(latinFont, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, err
	}
	for _, p := range FontPaths {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		coll, err := opentype.ParseCollection(data)
		if err != nil {
			return nil, fmt.Errorf("font %s: %w", p, err)
		}
		f, err := coll.Font(0)
		if err != nil {
			return nil, fmt.Errorf("font %s: %w", p, err)
		}
		cjk, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
		if err != nil {
			return nil, fmt.Errorf("font %s: %w", p, err)
		}
		return &fallbackFace{Face: cjk, font: f, latin: latin}, nil
	}
	return nil, fmt.Errorf("no CJK font found (tried %v; scripts/setup.sh test installs fonts-droid-fallback)", FontPaths)
}

// fallbackFace draws each rune with the CJK face when it has the glyph,
// else with the Latin one.
type fallbackFace struct {
	font.Face
	font  *sfnt.Font
	latin font.Face
	buf   sfnt.Buffer
}

func (f *fallbackFace) pick(r rune) font.Face {
	if i, err := f.font.GlyphIndex(&f.buf, r); err == nil && i != 0 {
		return f.Face
	}
	return f.latin
}

func (f *fallbackFace) Glyph(dot fixed.Point26_6, r rune) (image.Rectangle, image.Image, image.Point, fixed.Int26_6, bool) {
	return f.pick(r).Glyph(dot, r)
}

func (f *fallbackFace) GlyphBounds(r rune) (fixed.Rectangle26_6, fixed.Int26_6, bool) {
	return f.pick(r).GlyphBounds(r)
}

func (f *fallbackFace) GlyphAdvance(r rune) (fixed.Int26_6, bool) { return f.pick(r).GlyphAdvance(r) }

func (f *fallbackFace) Kern(r0, r1 rune) fixed.Int26_6 { return 0 }
