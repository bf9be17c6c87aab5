package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/evidence"
	"github.com/markwatch/markwatch/store"
	"github.com/markwatch/markwatch/takedown"
)

func TestCLIEvidenceVerify(t *testing.T) {
	ev, err := evidence.Open(t.TempDir(), evidence.NoSync())
	if err != nil {
		t.Fatal(err)
	}
	hash, err := ev.Put(&markwatch.Page{URL: "http://fake.test/item/1", Status: 200, FetchedAt: time.Unix(1e9, 0),
		Header: map[string]string{"Content-Type": "text/html"}, Body: []byte("<html>耐克 原单</html>")})
	if err != nil {
		t.Fatal(err)
	}
	items := []takedown.Item{{Row: store.Row{ID: 1, Site: "fakemart", URL: "http://fake.test/item/1", Evidence: hash, Status: store.Confirmed},
		Mark: takedown.Mark{Name: "耐克", Registration: "TEST-1"}}}
	var buf bytes.Buffer
	if _, err := takedown.WriteBundle(context.Background(), &buf, ev, items, takedown.BundleOptions{Batch: 4}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "bundle.zip")
	os.WriteFile(path, buf.Bytes(), 0o600)
	code, out, errOut := cli(t, "", "evidence", "verify", path)
	if code != exitOK || !strings.Contains(out, "OK, batch 4, 1 listing(s), 2 file(s)") {
		t.Fatalf("fresh bundle: exit %d\n%s%s", code, out, errOut)
	}
	// One byte of the stored page changed in the archive.
	data := buf.Bytes()
	i := bytes.Index(data, []byte("原单"))
	data[i] ^= 0x01
	os.WriteFile(path, data, 0o600)
	code, _, errOut = cli(t, "", "evidence", "verify", path)
	if code != exitFailure || !strings.Contains(errOut, "pages/"+hash+".html") {
		t.Fatalf("changed bundle: exit %d, stderr %s", code, errOut)
	}
}
