package config

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// Duration is a time.Duration written as Go writes it in YAML ("30s", "4h").
// It also accepts "d" for days ("10d"), which sweep windows need.
type Duration time.Duration

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return &ValueError{Value: string(b), Msg: err.Error()}
	}
	*d = Duration(v)
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalYAML decodes from the YAML node, so that a bad value is reported
// at its own line and column.
func (d *Duration) UnmarshalYAML(node ast.Node) error {
	return atNode(node, d.UnmarshalText)
}

// Std returns the value as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// ParseDuration is time.ParseDuration plus a leading whole number of days
// ("10d", "1d12h").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		var n int
		if _, err := fmt.Sscanf(s[:i], "%d", &n); err == nil && fmt.Sprint(n) == strings.TrimPrefix(s[:i], "+") {
			days = time.Duration(n) * 24 * time.Hour
			s = s[i+1:]
			if s == "" {
				return days, nil
			}
		}
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q (want e.g. 30s, 4h, 10d)", s)
	}
	return days + v, nil
}

// Date is a calendar date written YYYY-MM-DD.
type Date struct{ time.Time }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Date) UnmarshalText(b []byte) error {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(string(b)))
	if err != nil {
		return &ValueError{Value: string(b), Msg: fmt.Sprintf("bad date %q (want YYYY-MM-DD)", string(b))}
	}
	d.Time = t
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.Format(time.DateOnly)), nil }

// UnmarshalYAML decodes from the YAML node, so that a bad value is reported
// at its own line and column.
func (d *Date) UnmarshalYAML(node ast.Node) error {
	return atNode(node, d.UnmarshalText)
}

// atNode reads a scalar node's text with parse and gives a *ValueError the
// node's position.
func atNode(node ast.Node, parse func([]byte) error) error {
	var text string
	if err := yaml.NodeToValue(node, &text); err != nil {
		text = node.String()
	}
	err := parse([]byte(text))
	var ve *ValueError
	if errors.As(err, &ve) {
		if tk := node.GetToken(); tk != nil && tk.Position != nil {
			ve.Line, ve.Column = tk.Position.Line, tk.Position.Column
		}
	}
	return err
}

// ValueError is returned by the text unmarshalers of config types (Duration,
// Date, and those of other packages) for a value they cannot read. The YAML
// decoder does not know where such an error happened; Decode finds the line
// by the value's text.
type ValueError struct {
	Value string
	Msg   string
	// Line and Column locate the value when the decoder could tell (0: not).
	Line, Column int
}

func (e *ValueError) Error() string { return e.Msg }

// Images configures the image channel (package images).
type Images struct {
	// Enabled turns the channel on: listing photos are fetched (under the
	// site's allowed_domains, robots.txt and rate), kept beside the page
	// evidence, compared with the marks' images: and read by OCR where
	// OCR says. Default false.
	Enabled bool `yaml:"enabled"`
	// MaxPerListing bounds the photos fetched per listing, main image
	// first. Default 4.
	MaxPerListing int `yaml:"max_per_listing"`
	// MaxBytes is the largest image body read. Default 8 MiB.
	MaxBytes int64 `yaml:"max_bytes"`
	// MaxPixels is the largest width × height decoded (checked from the
	// header before decoding). Default 16,777,216.
	MaxPixels int `yaml:"max_pixels"`
	// OCR says which listings' photos Tesseract reads: off, hit (a mark
	// hit in the text or a photo hit), slang (also counterfeit slang),
	// category (also a registered mark's category), all. Default hit.
	OCR string `yaml:"ocr"`
	// OCRWorkers bounds concurrent OCR processes. Default 2.
	OCRWorkers int `yaml:"ocr_workers"`
}
