package takedown

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/evidence"
	"github.com/markwatch/markwatch/images"
	"github.com/markwatch/markwatch/store"
)

// pngBytes is a tiny stand-in for a screenshot (the store keeps any bytes).
var pngBytes = []byte("\x89PNG\r\n\x1a\nfake screenshot")

// storedItems puts n pages (the first with a screenshot) into a fresh
// evidence store and returns the items pointing at them.
func storedItems(t *testing.T, n int) (*evidence.Store, []Item) {
	t.Helper()
	ev, err := evidence.Open(t.TempDir(), evidence.NoSync())
	if err != nil {
		t.Fatal(err)
	}
	in := items(n)
	for i := range in {
		page := &markwatch.Page{URL: in[i].Row.URL, Status: 200, FetchedAt: time.Date(2026, 5, 1, 2, 3, 4, 0, time.UTC),
			Header: map[string]string{"Content-Type": "text/html; charset=utf-8", "Server": "fake"}, Adapter: "fakemart@abc123",
			Body: []byte(fmt.Sprintf("<html><body><h1>耐克 鞋 %d</h1></body></html>", i))}
		if i == 0 {
			page.Screenshot = pngBytes
		}
		hash, err := ev.Put(page)
		if err != nil {
			t.Fatal(err)
		}
		in[i].Row.Evidence = hash
		in[i].Row.Status = store.Confirmed
	}
	return ev, in
}

func writeBundle(t *testing.T, ev *evidence.Store, in []Item, opts BundleOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := WriteBundle(context.Background(), &buf, ev, in, opts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func verify(data []byte, opts VerifyTimestampOptions) (*Verification, error) {
	return VerifyBundle(bytes.NewReader(data), int64(len(data)), opts)
}

// rezip rewrites a bundle with change applied to its files' contents (the
// archive's own checksums recomputed, as a forger would).
func rezip(t *testing.T, data []byte, change func(name string, body []byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, _ := f.Open()
		body, _ := io.ReadAll(rc)
		rc.Close()
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store})
		w.Write(change(f.Name, body))
	}
	zw.Close()
	return out.Bytes()
}

func TestBundleVerifiesAndNamesEveryChangedFile(t *testing.T) {
	ev, in := storedItems(t, 3)
	data := writeBundle(t, ev, in, BundleOptions{Batch: 9, Site: "fakemart", Now: time.Unix(1e9, 0)})
	v, err := verify(data, VerifyTimestampOptions{})
	if err != nil {
		t.Fatalf("fresh bundle: %v", err)
	}
	// 3 pages, 1 screenshot, index.html.
	if v.Files != 5 || v.Timestamped {
		t.Fatalf("verified %d files (timestamped %v), want 5 and no timestamp", v.Files, v.Timestamped)
	}
	l := v.Manifest.Listings[0]
	if l.HTTPStatus != 200 || l.Adapter != "fakemart@abc123" || l.Header["Server"] != "fake" || l.Verdict != "confirmed" ||
		l.Screenshot == "" || l.Page != EvidenceFile(in[0].Row.Evidence, "text/html") || l.Registration != "TEST-REG-1" {
		t.Fatalf("manifest listing: %+v", l)
	}
	zr, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	for _, name := range names {
		// A forged copy: one byte of the file changed, the archive rebuilt.
		forged := rezip(t, data, func(n string, body []byte) []byte {
			if n == name && len(body) > 0 {
				body = bytes.Clone(body)
				body[len(body)/2] ^= 0x01
			}
			return body
		})
		if _, err := verify(forged, VerifyTimestampOptions{}); err == nil || !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), name) {
			t.Errorf("one byte of %s changed: got %v, want an error naming it", name, err)
		}
	}
	// A byte flipped in the archive as stored (files are uncompressed, so
	// it lands in a file's content): the error names the file.
	for _, f := range zr.File {
		off, err := f.DataOffset()
		if err != nil || f.UncompressedSize64 == 0 {
			continue
		}
		flipped := bytes.Clone(data)
		flipped[off+int64(f.UncompressedSize64)/2] ^= 0x01
		if _, err := verify(flipped, VerifyTimestampOptions{}); err == nil || !strings.Contains(err.Error(), f.Name) {
			t.Errorf("archive byte of %s flipped: got %v, want an error naming it", f.Name, err)
		}
	}
	// An added and a removed file.
	added := rezip(t, data, func(n string, b []byte) []byte { return b })
	{
		zr2, _ := zip.NewReader(bytes.NewReader(added), int64(len(added)))
		var out bytes.Buffer
		zw := zip.NewWriter(&out)
		for _, f := range zr2.File {
			if f.Name == l.Screenshot {
				continue
			}
			rc, _ := f.Open()
			w, _ := zw.Create(f.Name)
			io.Copy(w, rc)
			rc.Close()
		}
		w, _ := zw.Create("pages/extra.html")
		w.Write([]byte("x"))
		zw.Close()
		if _, err := verify(out.Bytes(), VerifyTimestampOptions{}); err == nil || !strings.Contains(err.Error(), l.Screenshot) {
			t.Errorf("screenshot removed: got %v", err)
		}
	}
}

func TestBundleTimestampFromLocalTSA(t *testing.T) {
	tsa := startTSA(t)
	ev, in := storedItems(t, 2)
	opts := BundleOptions{Batch: 1, TSA: tsa.URL, Client: tsa.Client(), Now: time.Unix(1e9, 0)}
	data := writeBundle(t, ev, in, opts)
	v, err := verify(data, VerifyTimestampOptions{Roots: tsa.roots})
	if err != nil {
		t.Fatalf("fresh timestamped bundle: %v", err)
	}
	if !v.Timestamped || !v.StampedAt.Equal(tsa.now) {
		t.Fatalf("timestamped %v at %v, want %v", v.Timestamped, v.StampedAt, tsa.now)
	}
	// A token from an untrusted authority fails with roots given.
	if _, err := verify(data, VerifyTimestampOptions{Roots: x509Pool(t)}); err == nil || !strings.Contains(err.Error(), TokenName) {
		t.Errorf("unknown authority: got %v", err)
	}

	// The token of another bundle (another manifest hash) swapped in fails.
	other := writeBundle(t, ev, in[:1], opts)
	otherToken := fileOf(t, other, TokenName)
	swapped := rezip(t, data, func(n string, b []byte) []byte {
		if n == TokenName {
			return otherToken
		}
		return b
	})
	if _, err := verify(swapped, VerifyTimestampOptions{}); err == nil || !strings.Contains(err.Error(), TokenName) || !strings.Contains(err.Error(), "covers hash") {
		t.Errorf("token for another hash: got %v", err)
	}

	// A token removed from a bundle whose manifest says it was stamped.
	zr, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		if f.Name == TokenName {
			continue
		}
		rc, _ := f.Open()
		w, _ := zw.Create(f.Name)
		io.Copy(w, rc)
		rc.Close()
	}
	zw.Close()
	if _, err := verify(out.Bytes(), VerifyTimestampOptions{}); err == nil || !strings.Contains(err.Error(), TokenName) {
		t.Errorf("token removed: got %v", err)
	}

	// An authority that stamps another hash is refused when writing.
	tsa.lie.Store(true)
	if _, err := WriteBundle(context.Background(), io.Discard, ev, in, opts); err == nil || !strings.Contains(err.Error(), "another hash") {
		t.Errorf("lying TSA: got %v", err)
	}
}

func fileOf(t *testing.T, data []byte, name string) []byte {
	t.Helper()
	zr, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	for _, f := range zr.File {
		if f.Name == name {
			rc, _ := f.Open()
			defer rc.Close()
			b, _ := io.ReadAll(rc)
			return b
		}
	}
	t.Fatalf("%s not in bundle", name)
	return nil
}

// The listings' stored photos are in the bundle once each, content
// addressed, hashed in the manifest, shown in index.html; a photo that is
// not stored is named missing, a refused one left out.
func TestBundleCarriesListingPhotos(t *testing.T) {
	ev, in := storedItems(t, 2)
	photos, err := images.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	shared := []byte("\x89PNG\r\n\x1a\nshared product photo")
	own := []byte("\xff\xd8\xffown photo")
	sharedHash, _ := photos.Put(shared, "png")
	ownHash, _ := photos.Put(own, "jpeg")
	absent := strings.Repeat("ab", 32)
	in[0].Photos = []markwatch.Photo{{URL: "http://img.test/1.png", SHA256: sharedHash, Format: "png", Text: "LOUIS VUITTON"},
		{URL: "http://img.test/2.jpg", SHA256: ownHash, Format: "jpeg"},
		{URL: "http://evil.test/3.jpg", Refused: "domain: not allowed"},
		{URL: "http://img.test/4.jpg", SHA256: absent, Format: "jpeg"}}
	in[1].Photos = []markwatch.Photo{{URL: "http://img.test/1.png", SHA256: sharedHash, Format: "png", Text: "<script>alert(1)</script>"}}
	data := writeBundle(t, ev, in, BundleOptions{Batch: 2, Now: time.Unix(1e9, 0), Photos: photos})
	v, err := verify(data, VerifyTimestampOptions{})
	if err != nil {
		t.Fatalf("fresh bundle: %v", err)
	}
	// 2 pages, 1 screenshot, 2 photos, index.html.
	if v.Files != 6 {
		t.Fatalf("verified %d files, want 6", v.Files)
	}
	ls := v.Manifest.Listings
	sharedFile, ownFile := "photos/"+sharedHash+".png", "photos/"+ownHash+".jpeg"
	if len(ls[0].Photos) != 3 || ls[0].Photos[0].File != sharedFile || ls[0].Photos[0].Text != "LOUIS VUITTON" ||
		ls[0].Photos[1].File != ownFile || ls[0].Photos[2].File != "" || ls[0].Photos[2].Missing == "" ||
		len(ls[1].Photos) != 1 || ls[1].Photos[0].File != sharedFile {
		t.Fatalf("manifest photos: %+v / %+v", ls[0].Photos, ls[1].Photos)
	}
	if got := fileOf(t, data, sharedFile); !bytes.Equal(got, shared) || v.Manifest.Files[sharedFile] != sharedHash {
		t.Fatalf("%s: %q, manifest hash %s", sharedFile, got, v.Manifest.Files[sharedFile])
	}
	index := string(fileOf(t, data, IndexName))
	for _, want := range []string{`<img class="photo" src="` + sharedFile + `"`, `<img class="photo" src="` + ownFile + `"`, "OCR: LOUIS VUITTON", "photo missing: "} {
		if !strings.Contains(index, want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	if strings.Contains(index, "<script>alert") || !strings.Contains(index, "&lt;script&gt;alert") {
		t.Error("index.html does not escape OCR text")
	}
	// A photo's bytes changed: the error names its file.
	forged := rezip(t, data, func(n string, b []byte) []byte {
		if n == ownFile {
			return append(bytes.Clone(b), 'x')
		}
		return b
	})
	if _, err := verify(forged, VerifyTimestampOptions{}); err == nil || !strings.Contains(err.Error(), ownFile) {
		t.Errorf("photo changed: got %v", err)
	}
	// The manifest's photo hash changed and the manifest rehashed, as a
	// forger would: the photo no longer is its content address.
	var m Manifest
	if err := json.Unmarshal(fileOf(t, data, ManifestName), &m); err != nil {
		t.Fatal(err)
	}
	m.Listings[1].Photos[0].SHA256 = ownHash
	manifest, _ := json.MarshalIndent(m, "", "  ")
	sum := sha256.Sum256(manifest)
	forged = rezip(t, data, func(n string, b []byte) []byte {
		switch n {
		case ManifestName:
			return manifest
		case ManifestHashName:
			return []byte(hex.EncodeToString(sum[:]) + "  " + ManifestName + "\n")
		}
		return b
	})
	if _, err := verify(forged, VerifyTimestampOptions{}); err == nil || !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), sharedFile) {
		t.Errorf("photo hash changed in the manifest: got %v", err)
	}
	// Without a photo store the photos are named missing, the bundle still verifies.
	data = writeBundle(t, ev, in, BundleOptions{Batch: 2, Now: time.Unix(1e9, 0)})
	if v, err := verify(data, VerifyTimestampOptions{}); err != nil || v.Manifest.Listings[1].Photos[0].Missing != "no photo store" {
		t.Fatalf("no photo store: %v %+v", err, v)
	}
}
