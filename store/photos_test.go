package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/store"
	"github.com/markwatch/markwatch/store/storetest"
)

// A listing's photos and their OCR text are kept, shown on its detail and
// searchable.
func TestPhotosAndOCRTextKeptAndSearchable(t *testing.T) {
	ctx := context.Background()
	st, _, _ := open(t)
	at := time.Date(2026, 10, 2, 0, 0, 0, 0, time.UTC)
	f := storetest.Finding("r1", "shop", "p1", "louis-vuitton", "经典老花 女包", 199, at)
	f.Listing.Photos = []markwatch.Photo{
		{URL: "https://img.example/1.jpg", SHA256: "ab", Format: "jpeg", Width: 320, Height: 320, Text: "LOUIS VUITTON 专柜", OCR: true},
		{URL: "https://other.example/2.jpg", Refused: "domain: not allowed"},
	}
	f.Listing.ImageText = "LOUIS VUITTON 专柜" + markwatch.ImageTextSeparator
	if _, err := st.PutFindings(ctx, []markwatch.Finding{f}); err != nil {
		t.Fatal(err)
	}
	rows, _, err := st.Suspects(ctx, store.Filter{Q: "VUITTON", All: true})
	if err != nil || len(rows) != 1 {
		t.Fatalf("search of OCR text: got %d rows, %v", len(rows), err)
	}
	if rows[0].Thumbnail != "ab" {
		t.Errorf("queue row thumbnail = %q, want the first kept photo", rows[0].Thumbnail)
	}
	d, err := st.Listing(ctx, rows[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Photos) != 2 || d.Photos[0].Text != "LOUIS VUITTON 专柜" || d.Photos[1].Refused == "" {
		t.Fatalf("got photos %+v", d.Photos)
	}
	if d.OCRText == "" {
		t.Error("ocr_text not stored")
	}
}
