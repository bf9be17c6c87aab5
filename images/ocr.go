package images

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// OCR reads the text in images with the Tesseract command-line program
// (Debian's tesseract-ocr with tesseract-ocr-chi-sim), at most
// Workers at a time. The CLI rather than gosseract's cgo binding: the
// binary stays pure Go (cross-builds and the distroless image keep
// working), a crash or a hung page kills one process and not the worker,
// the timeout is a process kill, and the process start (~30 ms) is small
// beside recognition itself (hundreds of ms an image), which dominates.
type OCR struct {
	path      string
	languages string
	timeout   time.Duration
	slots     chan struct{}
}

// OCROptions configure an OCR pool.
type OCROptions struct {
	// Binary is the tesseract program. Default "tesseract" on PATH.
	Binary string
	// Languages are Tesseract's, joined by +. Default "chi_sim": its model
	// reads Latin letters too, while "chi_sim+eng" read rendered Han
	// names as Latin gibberish ("吉祥物" as "Hitt") in our tests.
	Languages string
	// Workers bounds concurrent recognitions. Default 2.
	Workers int
	// Timeout bounds one recognition. Default 30s.
	Timeout time.Duration
}

// ErrNoTesseract: the tesseract program or its language data is missing.
var ErrNoTesseract = errors.New("images: tesseract not available")

// NewOCR finds tesseract and checks it has the languages; the error wraps
// ErrNoTesseract and says what to install.
func NewOCR(opts OCROptions) (*OCR, error) {
	if opts.Binary == "" {
		opts.Binary = "tesseract"
	}
	if opts.Languages == "" {
		opts.Languages = "chi_sim"
	}
	if opts.Workers <= 0 {
		opts.Workers = 2
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	p, err := exec.LookPath(opts.Binary)
	if err != nil {
		return nil, fmt.Errorf("%w: %v (install tesseract-ocr, tesseract-ocr-chi-sim and tesseract-ocr-eng: scripts/setup.sh test)", ErrNoTesseract, err)
	}
	out, err := exec.Command(p, "--list-langs").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%w: %s --list-langs: %v", ErrNoTesseract, p, err)
	}
	have := map[string]bool{}
	for _, l := range strings.Fields(string(out)) {
		have[l] = true
	}
	for _, l := range strings.Split(opts.Languages, "+") {
		if !have[l] {
			return nil, fmt.Errorf("%w: language %q missing (install tesseract-ocr-%s)", ErrNoTesseract, l, strings.ReplaceAll(l, "_", "-"))
		}
	}
	return &OCR{path: p, languages: opts.Languages, timeout: opts.Timeout, slots: make(chan struct{}, opts.Workers)}, nil
}

var pngEncoders = sync.Pool{New: func() any { return &png.Encoder{CompressionLevel: png.BestSpeed} }}

// Read returns the text Tesseract reads in img. Tesseract is given the
// decoded pixels re-encoded as PNG, never the fetched bytes: only a file
// that passed the size and pixel checks reaches it.
func (o *OCR) Read(ctx context.Context, img image.Image) (string, error) {
	var buf bytes.Buffer
	if err := pngEncoders.Get().(*png.Encoder).Encode(&buf, img); err != nil {
		return "", fmt.Errorf("images: ocr: encode: %w", err)
	}
	select {
	case o.slots <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-o.slots }()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	// --psm 11: sparse text, as product photos have it (words anywhere).
	cmd := exec.CommandContext(ctx, o.path, "stdin", "stdout", "-l", o.languages, "--psm", "11")
	cmd.Stdin = &buf
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = []string{"OMP_THREAD_LIMIT=1"} // one core a recognition: the pool is the parallelism
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("images: ocr: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return cleanOCR(stdout.String()), nil
}

// cleanOCR joins Tesseract's lines with single spaces and drops the spaces
// it puts between Han characters ("路 易 威 登" → "路易威登"), which would
// otherwise keep names from matching.
func cleanOCR(s string) string {
	s = strings.ReplaceAll(s, "\f", " ")
	var out []rune
	rs := []rune(strings.Join(strings.Fields(s), " "))
	for i, r := range rs {
		if r == ' ' && i > 0 && i+1 < len(rs) && isHan(rs[i-1]) && isHan(rs[i+1]) {
			continue
		}
		out = append(out, r)
	}
	return string(out)
}

func isHan(r rune) bool { return r >= 0x3400 && r <= 0x9FFF || r >= 0xF900 && r <= 0xFAFF }
