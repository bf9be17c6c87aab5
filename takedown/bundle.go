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
	"html/template"
	"io"
	"net/http"
	"sort"
	"time"

	"github.com/markwatch/markwatch/evidence"
)

// Bundle file names besides the evidence files.
const (
	ManifestName = "manifest.json"
	// ManifestHashName holds the manifest's SHA-256, so that a changed
	// manifest is named even without a timestamp.
	ManifestHashName = "manifest.json.sha256"
	// TokenName is the RFC 3161 timestamp token (DER) over the manifest.
	TokenName = "manifest.json.tsr"
	IndexName = "index.html"
)

// ManifestVersion is the manifest's format version.
const ManifestVersion = 1

// Manifest describes a bundle: every listing with its fetch and verdict,
// and the SHA-256 of every file.
type Manifest struct {
	Version   int               `json:"version"`
	Batch     int64             `json:"batch"`
	Site      string            `json:"site,omitempty"`
	Filter    string            `json:"filter,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
	Listings  []ManifestListing `json:"listings"`
	// Files maps every file of the bundle except the manifest, its hash
	// file and the timestamp token to its SHA-256.
	Files map[string]string `json:"files"`
	// TSA is the time-stamping authority the manifest was sent to; empty:
	// not timestamped.
	TSA string `json:"tsa,omitempty"`
}

// ManifestListing is one listing of the bundle.
type ManifestListing struct {
	ID           int64             `json:"id"`
	Site         string            `json:"site"`
	ListingID    string            `json:"listing_id"`
	URL          string            `json:"url"`
	FinalURL     string            `json:"final_url,omitempty"`
	Title        string            `json:"title"`
	Seller       string            `json:"seller"`
	Mark         string            `json:"mark"`
	Registration string            `json:"registration,omitempty"`
	Owner        string            `json:"owner,omitempty"`
	Verdict      string            `json:"verdict"` // the listing's review status
	Score        float64           `json:"score"`
	Reasons      string            `json:"reasons"`
	Note         string            `json:"note,omitempty"`
	FetchedAt    time.Time         `json:"fetched_at,omitzero"`
	HTTPStatus   int               `json:"http_status,omitempty"`
	Header       map[string]string `json:"header,omitempty"`
	Adapter      string            `json:"adapter,omitempty"`
	Page         string            `json:"page,omitempty"`       // file name in the bundle
	Screenshot   string            `json:"screenshot,omitempty"` // file name in the bundle
	Missing      string            `json:"missing,omitempty"`    // why the page is absent
	// Photos are the listing's photos as the images step kept them, main
	// image first (refused ones are left out).
	Photos []ManifestPhoto `json:"photos,omitempty"`
}

// ManifestPhoto is one listing photo of the bundle.
type ManifestPhoto struct {
	URL     string `json:"url"`
	SHA256  string `json:"sha256"`
	File    string `json:"file,omitempty"`    // photos/<sha256>.<format>; empty when missing
	Text    string `json:"text,omitempty"`    // what OCR read in it
	Missing string `json:"missing,omitempty"` // why the file is absent
}

// PhotoSource returns a stored photo and its format (jpeg, png, gif,
// webp) by its SHA-256 (hex); images.Store is one.
type PhotoSource interface {
	Get(hash string) ([]byte, string, error)
}

// BundleOptions configure WriteBundle.
type BundleOptions struct {
	Batch  int64
	Site   string
	Filter string
	Now    time.Time
	// TSA, when set, is the URL of an RFC 3161 time-stamping authority
	// the manifest's hash is sent to.
	TSA string
	// Client posts to the TSA. Default: a client with a 30 s timeout.
	Client *http.Client
	// Photos holds the items' photos; nil: they are listed as missing.
	Photos PhotoSource
}

// WriteBundle writes the evidence bundle of items to w as a ZIP. Files are
// stored uncompressed (pages are small next to screenshots, which are
// already compressed) so that a byte changed in the archive fails its
// file's checksum as well as its hash.
func WriteBundle(ctx context.Context, w io.Writer, ev *evidence.Store, items []Item, opts BundleOptions) (*Manifest, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	m := &Manifest{Version: ManifestVersion, Batch: opts.Batch, Site: opts.Site, Filter: opts.Filter,
		CreatedAt: opts.Now.UTC(), Files: map[string]string{}, TSA: opts.TSA}
	zw := zip.NewWriter(w)
	put := func(name string, data []byte) error {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: m.CreatedAt})
		if err != nil {
			return err
		}
		_, err = fw.Write(data)
		return err
	}
	add := func(name string, data []byte) error {
		if _, ok := m.Files[name]; ok {
			return nil // shared screenshot or page, stored once
		}
		sum := sha256.Sum256(data)
		m.Files[name] = hex.EncodeToString(sum[:])
		return put(name, data)
	}
	for _, it := range items {
		r := it.Row
		l := ManifestListing{ID: r.ID, Site: r.Site, ListingID: r.ListingID, URL: r.URL, Title: r.Title, Seller: r.Seller,
			Mark: it.Mark.Name, Registration: it.Mark.Registration, Owner: it.Mark.Owner, Verdict: string(r.Status),
			Score: r.Score, Reasons: r.Reasons, Note: r.Note, FetchedAt: r.FetchedAt}
		if l.Mark == "" {
			l.Mark = r.Mark
		}
		switch {
		case r.Evidence == "":
			l.Missing = "no page stored"
		case ev == nil:
			l.Missing = "no evidence store"
		default:
			body, meta, err := ev.Get(r.Evidence)
			if err != nil {
				l.Missing = err.Error()
				break
			}
			l.FinalURL, l.HTTPStatus, l.Header, l.Adapter = meta.FinalURL, meta.Status, meta.Header, meta.Adapter
			l.FetchedAt = meta.FetchedAt
			l.Page = EvidenceFile(r.Evidence, meta.ContentType())
			if err := add(l.Page, body); err != nil {
				return nil, fmt.Errorf("takedown: bundle: %w", err)
			}
			if meta.Screenshot != "" {
				png, err := ev.Screenshot(meta.Screenshot)
				if err != nil {
					l.Missing = "screenshot: " + err.Error()
				} else {
					l.Screenshot = "screenshots/" + meta.Screenshot + ".png"
					if err := add(l.Screenshot, png); err != nil {
						return nil, fmt.Errorf("takedown: bundle: %w", err)
					}
				}
			}
		}
		for _, p := range it.Photos {
			if p.SHA256 == "" {
				continue // refused: never stored
			}
			mp := ManifestPhoto{URL: p.URL, SHA256: p.SHA256, Text: p.Text}
			if err := addPhoto(&mp, opts.Photos, add); err != nil {
				return nil, fmt.Errorf("takedown: bundle: %w", err)
			}
			l.Photos = append(l.Photos, mp)
		}
		m.Listings = append(m.Listings, l)
	}
	var index bytes.Buffer
	if err := indexTemplate.Execute(&index, m); err != nil {
		return nil, fmt.Errorf("takedown: bundle index: %w", err)
	}
	if err := add(IndexName, index.Bytes()); err != nil {
		return nil, fmt.Errorf("takedown: bundle: %w", err)
	}
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(manifest)
	if err := put(ManifestName, manifest); err != nil {
		return nil, fmt.Errorf("takedown: bundle: %w", err)
	}
	if err := put(ManifestHashName, []byte(hex.EncodeToString(sum[:])+"  "+ManifestName+"\n")); err != nil {
		return nil, fmt.Errorf("takedown: bundle: %w", err)
	}
	if opts.TSA != "" {
		token, err := Stamp(ctx, opts.Client, opts.TSA, manifest)
		if err != nil {
			return nil, err
		}
		if err := put(TokenName, token); err != nil {
			return nil, fmt.Errorf("takedown: bundle: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("takedown: bundle: %w", err)
	}
	return m, nil
}

// addPhoto adds the photo of mp from src to the bundle (once, however
// many listings show it), or says in mp why it is missing; an error only
// when the bundle cannot be written.
func addPhoto(mp *ManifestPhoto, src PhotoSource, add func(name string, data []byte) error) error {
	if src == nil {
		mp.Missing = "no photo store"
		return nil
	}
	body, format, err := src.Get(mp.SHA256)
	if err != nil {
		mp.Missing = err.Error()
		return nil
	}
	if sum := sha256.Sum256(body); hex.EncodeToString(sum[:]) != mp.SHA256 {
		mp.Missing = "stored photo does not match its SHA-256"
		return nil
	}
	mp.File = "photos/" + mp.SHA256 + "." + format
	return add(mp.File, body)
}

// Verification is what VerifyBundle found.
type Verification struct {
	Manifest *Manifest
	Files    int // files whose hash matched
	// Timestamped is set when a token was present and verified; StampedAt
	// is the time the authority signed.
	Timestamped bool
	StampedAt   time.Time
}

// ErrTampered wraps every verification failure: a file that changed, is
// missing or was added, or a timestamp that does not cover the manifest.
var ErrTampered = errors.New("evidence bundle does not verify")

// VerifyBundle checks a bundle: the manifest's own hash, every file's
// SHA-256 against the manifest, no file missing or added, and the
// timestamp token when present (its signature, and that it covers this
// manifest). Errors name the file.
func VerifyBundle(r io.ReaderAt, size int64, tsOpts VerifyTimestampOptions) (*Verification, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("%w: not a ZIP archive: %v", ErrTampered, err)
	}
	contents := map[string][]byte{}
	for _, f := range zr.File {
		if _, dup := contents[f.Name]; dup {
			return nil, fmt.Errorf("%w: %s: appears twice in the archive", ErrTampered, f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrTampered, f.Name, err)
		}
		data, err := io.ReadAll(io.LimitReader(rc, evidence.MaxBody+1))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrTampered, f.Name, err)
		}
		contents[f.Name] = data
	}
	manifest, ok := contents[ManifestName]
	if !ok {
		return nil, fmt.Errorf("%w: %s: missing", ErrTampered, ManifestName)
	}
	sum := sha256.Sum256(manifest)
	hexSum := hex.EncodeToString(sum[:])
	recorded, ok := contents[ManifestHashName]
	if !ok {
		return nil, fmt.Errorf("%w: %s: missing", ErrTampered, ManifestHashName)
	}
	if want := hexSum + "  " + ManifestName + "\n"; string(recorded) != want {
		return nil, fmt.Errorf("%w: %s: SHA-256 %s does not match %s", ErrTampered, ManifestName, hexSum, ManifestHashName)
	}
	var m Manifest
	if err := json.Unmarshal(manifest, &m); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrTampered, ManifestName, err)
	}
	v := &Verification{Manifest: &m}
	names := make([]string, 0, len(m.Files))
	for name := range m.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		data, ok := contents[name]
		if !ok {
			return v, fmt.Errorf("%w: %s: listed in the manifest but missing", ErrTampered, name)
		}
		got := sha256.Sum256(data)
		if hex.EncodeToString(got[:]) != m.Files[name] {
			return v, fmt.Errorf("%w: %s: SHA-256 %x, manifest says %s", ErrTampered, name, got, m.Files[name])
		}
		v.Files++
	}
	// A photo's file is its content address: the hash the manifest gives
	// the photo is the file's.
	for _, l := range m.Listings {
		for _, p := range l.Photos {
			if p.File != "" && m.Files[p.File] != p.SHA256 {
				return v, fmt.Errorf("%w: %s: photo of listing %d has SHA-256 %s in the manifest, its file %s", ErrTampered, p.File, l.ID, p.SHA256, m.Files[p.File])
			}
		}
	}
	for name := range contents {
		switch name {
		case ManifestName, ManifestHashName, TokenName:
			continue
		}
		if _, ok := m.Files[name]; !ok {
			return v, fmt.Errorf("%w: %s: not listed in the manifest", ErrTampered, name)
		}
	}
	token, stamped := contents[TokenName]
	if m.TSA != "" && !stamped {
		return v, fmt.Errorf("%w: %s: missing (the manifest says it was timestamped by %s)", ErrTampered, TokenName, m.TSA)
	}
	if stamped {
		at, err := VerifyToken(token, manifest, tsOpts)
		if err != nil {
			return v, fmt.Errorf("%w: %s: %v", ErrTampered, TokenName, err)
		}
		v.Timestamped, v.StampedAt = true, at
	}
	return v, nil
}

var indexTemplate = template.Must(template.New("index").Funcs(template.FuncMap{
	"time": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
}).Parse(`<!doctype html>
<html lang="zh"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self' file:; style-src 'unsafe-inline'">
<title>Evidence bundle, batch {{.Batch}}</title>
<style>body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px;vertical-align:top}code{font-size:85%}img.photo{max-width:120px;max-height:120px;margin:2px}</style>
</head><body>
<h1>Evidence bundle, batch {{.Batch}}{{with .Site}} ({{.}}){{end}}</h1>
<p>Created {{time .CreatedAt}}{{with .Filter}}; cut by {{.}}{{end}}. {{len .Listings}} listing(s).
Every file's SHA-256 is in manifest.json; check them with <code>markwatch evidence verify</code>.
{{with .TSA}}The manifest carries an RFC 3161 timestamp from {{.}} (manifest.json.tsr).{{end}}
Stored pages open here as plain files; their scripts do not run.</p>
<table><thead><tr><th>#</th><th>Listing</th><th>Seller</th><th>Mark</th><th>Registration</th><th>Verdict</th><th>Reasons</th><th>Fetched</th><th>HTTP</th><th>Files</th><th>Photos</th></tr></thead><tbody>
{{range $i, $l := .Listings}}<tr><td>{{$l.ID}}</td><td><a href="{{$l.URL}}">{{$l.Title}}</a><br><code>{{$l.Site}} {{$l.ListingID}}</code></td>
<td>{{$l.Seller}}</td><td>{{$l.Mark}}{{with $l.Owner}}<br><small>{{.}}</small>{{end}}</td><td>{{$l.Registration}}</td>
<td>{{$l.Verdict}} ({{printf "%.2f" $l.Score}})</td><td>{{$l.Reasons}}{{with $l.Note}}<br><em>{{.}}</em>{{end}}</td>
<td>{{time $l.FetchedAt}}</td><td>{{with $l.HTTPStatus}}{{.}}{{end}}</td>
<td>{{with $l.Page}}<a href="{{.}}">page</a>{{end}}{{with $l.Screenshot}} · <a href="{{.}}">screenshot</a>{{end}}{{with $l.Missing}}<br><small>{{.}}</small>{{end}}</td>
<td>{{range $j, $p := $l.Photos}}{{if $p.File}}<a href="{{$p.File}}"><img class="photo" src="{{$p.File}}" alt="photo {{$j}}"></a>{{else}}<small>photo missing: {{$p.Missing}}</small>{{end}}{{with $p.Text}}<br><small>OCR: {{.}}</small>{{end}}<br>{{end}}</td></tr>
{{end}}</tbody></table>
</body></html>
`))
