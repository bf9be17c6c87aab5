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

// PutPages stores several pages' findings in one transaction: the same
// body from two pages is kept once, a page without a body keeps none, and
// one bad body refuses the whole call (serve then stores each page alone).
func TestPutPages(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 10, 2, 9, 0, 0, 0, time.UTC)
	body := []byte("<html>高仿 耐克</html>")
	hash := evidence.Hash(body)
	pf := func(id string, withBody bool) store.PageFindings {
		p := store.PageFindings{Page: storetest.Page("fakemart", "r1", "", at),
			Findings: []markwatch.Finding{storetest.Finding("r1", "fakemart", id, "耐克", "", 99, at)}}
		if withBody {
			p.BodyHash, p.BodyGzip = hash, evidence.Gzip(body)
		}
		return p
	}
	bad := pf("b9", true)
	bad.BodyHash = evidence.Hash([]byte("something else"))
	if err := st.PutPages(ctx, []store.PageFindings{pf("b1", true), bad}); !errors.Is(err, evidence.ErrTampered) {
		t.Fatalf("a batch with a tampered body: %v, want ErrTampered", err)
	}
	if n, err := st.PutFindings(ctx, []markwatch.Finding{storetest.Finding("r1", "fakemart", "b1", "耐克", "", 99, at)}); err != nil || n != 1 {
		t.Fatalf("listing b1 was stored by the refused batch (%d, %v)", n, err)
	}
	if err := st.PutPages(ctx, []store.PageFindings{pf("a1", true), pf("a2", true), pf("a3", false)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Evidence().Get(hash); err != nil {
		t.Fatalf("evidence: %v", err)
	}
	fs := []markwatch.Finding{}
	for _, id := range []string{"a1", "a2", "a3"} {
		fs = append(fs, storetest.Finding("r1", "fakemart", id, "耐克", "", 99, at))
	}
	if n, err := st.PutFindings(ctx, fs); err != nil || n != 0 {
		t.Fatalf("PutPages did not store every finding once: %d new on a second write, %v", n, err)
	}
}
