package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/evidence"
	"github.com/markwatch/markwatch/store"
	"github.com/markwatch/markwatch/store/storetest"
)

// PutGzipped (serve's path for a findings batch) keeps the page as
// verifiable evidence, stores each finding once, and refuses a body that
// does not match its hash without storing the findings.
func TestPutGzipped(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 10, 2, 9, 0, 0, 0, time.UTC)
	body := "<html>高仿 耐克 运动鞋</html>"
	page := storetest.Page("fakemart", "r1", "", at)
	f := storetest.Finding("r1", "fakemart", "a1", "耐克", "", 99, at)
	hash := evidence.Hash([]byte(body))
	if err := st.PutGzipped(ctx, page, hash, evidence.Gzip([]byte(body)), []markwatch.Finding{f}); err != nil {
		t.Fatal(err)
	}
	got, meta, err := st.Evidence().Get(hash)
	if err != nil || string(got) != body || meta.URL != page.URL {
		t.Fatalf("evidence: %q %+v %v", got, meta, err)
	}
	// Delivered again (a redelivered batch): nothing new.
	if err := st.PutGzipped(ctx, page, hash, evidence.Gzip([]byte(body)), []markwatch.Finding{f}); err != nil {
		t.Fatal(err)
	}
	if n, err := st.PutFindings(ctx, []markwatch.Finding{f}); err != nil || n != 0 {
		t.Fatalf("finding stored again: %d new, %v", n, err)
	}
	// A body that does not hash to its name is refused, findings unstored.
	g := storetest.Finding("r1", "fakemart", "a2", "耐克", "", 99, at)
	err = st.PutGzipped(ctx, page, evidence.Hash([]byte("other")), evidence.Gzip([]byte(body)), []markwatch.Finding{g})
	if !errors.Is(err, evidence.ErrTampered) {
		t.Fatalf("tampered body: %v, want ErrTampered", err)
	}
	if n, err := st.PutFindings(ctx, []markwatch.Finding{g}); err != nil || n != 1 {
		t.Fatalf("the refused batch's finding was stored (%d new, %v)", n, err)
	}
}
