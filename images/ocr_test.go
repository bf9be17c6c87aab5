package images

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/markwatch/markwatch/images/synth"
)

func newTestOCR(t *testing.T) *OCR {
	t.Helper()
	o, err := NewOCR(OCROptions{Workers: 1})
	if errors.Is(err, ErrNoTesseract) {
		t.Skipf("OCR test skipped: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// Brand text rendered into a picture, Latin and Han, is read back.
func TestOCRReadsRenderedText(t *testing.T) {
	o := newTestOCR(t)
	face, err := synth.CJKFace(40)
	if err != nil {
		t.Skipf("no CJK font: %v", err)
	}
	img := synth.Label(face, []string{"LOUIS VUITTON", "杭州亚运会 吉祥物"}, 480, 200, 1)
	text, err := o.Read(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"LOUIS VUITTON", "杭州亚运会"} {
		if !strings.Contains(text, want) {
			t.Errorf("OCR read %q, want it to contain %q", text, want)
		}
	}
}

func TestNewOCRMissingBinarySaysWhatToInstall(t *testing.T) {
	_, err := NewOCR(OCROptions{Binary: "/nonexistent/tesseract"})
	if !errors.Is(err, ErrNoTesseract) || !strings.Contains(err.Error(), "tesseract-ocr") {
		t.Fatalf("got %v, want ErrNoTesseract naming the package", err)
	}
}

func TestCleanOCR(t *testing.T) {
	for in, want := range map[string]string{
		"路 易 威 登\n包\f":       "路易威登包",
		"LOUIS  VUITTON\n\n": "LOUIS VUITTON",
		"吉祥物 Congcong 琮琮":    "吉祥物 Congcong 琮琮",
	} {
		if got := cleanOCR(in); got != want {
			t.Errorf("cleanOCR(%q) = %q, want %q", in, got, want)
		}
	}
}
