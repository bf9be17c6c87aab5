package queue

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/markwatch/markwatch"
)

// A browser page's screenshot travels with its kept body through the
// findings stream to the store.
func TestFindingsBatchCarriesTheScreenshot(t *testing.T) {
	page := &markwatch.Page{URL: "http://x/s", Status: 200, Body: []byte("<html>rendered</html>"), Screenshot: []byte("\x89PNG\r\n\x1a\nshot")}
	for keep, want := range map[bool][]byte{true: page.Screenshot, false: nil} {
		b, err := NewFindingsBatch(page, nil, keep)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := json.Marshal(b)
		var back FindingsBatch
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		p, err := back.PageOf()
		if err != nil || !bytes.Equal(p.Screenshot, want) {
			t.Fatalf("keep body %v: screenshot %q, want %q (%v)", keep, p.Screenshot, want, err)
		}
	}
}
