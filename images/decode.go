package images

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"mime"
	"strings"

	"golang.org/x/image/webp"
)

// Refusal is why an image was not used: Reason is a short stable word (a
// metric label), Err the detail.
type Refusal struct {
	Reason string
	Err    error
}

func (r *Refusal) Error() string { return "image refused (" + r.Reason + "): " + r.Err.Error() }
func (r *Refusal) Unwrap() error { return r.Err }

// Reasons an image is refused; the label values of
// markwatch_images_refused_total.
const (
	ReasonDomain      = "domain"       // host not in the adapter's allowed_domains
	ReasonRobots      = "robots"       // robots.txt forbids it
	ReasonStatus      = "status"       // HTTP status not 200
	ReasonFetch       = "fetch"        // network error or timeout
	ReasonTooLarge    = "too_large"    // body over the size limit
	ReasonContentType = "content_type" // Content-Type is not an image
	ReasonFormat      = "format"       // magic number of no supported format
	ReasonPixels      = "pixels"       // width × height over the pixel limit (a decompression bomb)
	ReasonDecode      = "decode"       // truncated or corrupt
)

// Reasons lists every refusal reason (to pre-create metric series).
var Reasons = []string{ReasonDomain, ReasonRobots, ReasonStatus, ReasonFetch, ReasonTooLarge, ReasonContentType, ReasonFormat, ReasonPixels, ReasonDecode}

func refuse(reason, format string, args ...any) *Refusal {
	return &Refusal{Reason: reason, Err: fmt.Errorf(format, args...)}
}

// ReasonOf returns the refusal reason of err, or "" when err is no refusal.
func ReasonOf(err error) string {
	var r *Refusal
	if errors.As(err, &r) {
		return r.Reason
	}
	return ""
}

// Sniff names the format of body from its magic number: jpeg, png, gif,
// webp, or "" for anything else.
func Sniff(body []byte) string {
	switch {
	case len(body) >= 3 && body[0] == 0xFF && body[1] == 0xD8 && body[2] == 0xFF:
		return "jpeg"
	case len(body) >= 8 && bytes.Equal(body[:8], []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case len(body) >= 6 && (bytes.Equal(body[:6], []byte("GIF87a")) || bytes.Equal(body[:6], []byte("GIF89a"))):
		return "gif"
	case len(body) >= 12 && bytes.Equal(body[:4], []byte("RIFF")) && bytes.Equal(body[8:12], []byte("WEBP")):
		return "webp"
	}
	return ""
}

// imageContentType reports whether a Content-Type header may carry an
// image: image/*, or a generic binary type (some CDNs), or none; the magic
// number decides the format.
func imageContentType(v string) bool {
	if v == "" {
		return true
	}
	t, _, err := mime.ParseMediaType(v)
	if err != nil {
		return false
	}
	return strings.HasPrefix(t, "image/") || t == "application/octet-stream" || t == "binary/octet-stream"
}

// Decode checks body's magic number, reads its dimensions from the header
// and refuses more than maxPixels before decoding anything (so a
// 20,000 × 20,000 PNG of a few kilobytes never allocates its 1.6 GB), then
// decodes it (a GIF's first frame). Errors are *Refusal.
func Decode(body []byte, maxPixels int) (image.Image, string, error) {
	format := Sniff(body)
	if format == "" {
		return nil, "", refuse(ReasonFormat, "not a JPEG, PNG, GIF or WebP file (starts % x)", body[:min(len(body), 8)])
	}
	var (
		configOf func([]byte) (image.Config, error)
		decode   func([]byte) (image.Image, error)
	)
	switch format {
	case "jpeg":
		configOf = func(b []byte) (image.Config, error) { return jpeg.DecodeConfig(bytes.NewReader(b)) }
		decode = func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) }
	case "png":
		configOf = func(b []byte) (image.Config, error) { return png.DecodeConfig(bytes.NewReader(b)) }
		decode = func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) }
	case "gif":
		configOf = func(b []byte) (image.Config, error) { return gif.DecodeConfig(bytes.NewReader(b)) }
		decode = func(b []byte) (image.Image, error) { return gif.Decode(bytes.NewReader(b)) } // first frame
	case "webp":
		configOf = func(b []byte) (image.Config, error) { return webp.DecodeConfig(bytes.NewReader(b)) }
		decode = func(b []byte) (image.Image, error) { return webp.Decode(bytes.NewReader(b)) }
	}
	cfg, err := configOf(body)
	if err != nil {
		return nil, format, refuse(ReasonDecode, "%s header: %w", format, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, format, refuse(ReasonDecode, "%s header: %d×%d pixels", format, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
		return nil, format, refuse(ReasonPixels, "%s of %d×%d pixels is over the limit of %d pixels", format, cfg.Width, cfg.Height, maxPixels)
	}
	img, err := decode(body)
	if err != nil {
		return nil, format, refuse(ReasonDecode, "%s: %w", format, err)
	}
	return img, format, nil
}
