package takedown

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"mime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/store"
)

// Mark is what an export says about a listing's mark.
type Mark struct {
	ID    string
	Name  string
	Kind  string
	Owner string
	// Registration is the registration number(s) or the special-mark
	// announcement; empty when unknown.
	Registration string
}

// Item is one listing of a batch with its mark.
type Item struct {
	Row  store.Row
	Mark Mark
	// ContentType of the stored page, for its file name in the bundle
	// (empty: HTML).
	ContentType string
	// ConfirmedAt is when the listing was confirmed (zero: unknown).
	ConfirmedAt time.Time
	// Photos are the listing's photos as the images step kept them (the
	// bundle includes the stored ones).
	Photos []markwatch.Photo
}

// EvidenceFile is the stored page's file name inside the evidence bundle,
// so that a spreadsheet row names the file that proves it.
func EvidenceFile(hash, contentType string) string {
	if hash == "" {
		return ""
	}
	return "pages/" + hash + pageExt(contentType)
}

// PhotoFiles are the file names of a listing's stored photos inside the
// evidence bundle (photos/<sha256>.<format>), space-separated; refused
// photos have none.
func PhotoFiles(photos []markwatch.Photo) string {
	var names []string
	for _, p := range photos {
		if p.SHA256 != "" && p.Format != "" {
			names = append(names, "photos/"+p.SHA256+"."+p.Format)
		}
	}
	return strings.Join(names, " ")
}

func pageExt(ct string) string {
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || (err == nil && (mt == "text/html" || mt == "application/xhtml+xml")) {
		return ".html"
	}
	if err == nil && mt == "application/json" {
		return ".json"
	}
	return ".txt"
}

// Neutralize makes a cell safe to open in a spreadsheet: a value starting
// with = + - @ tab or carriage return would be read as a formula (CSV
// injection), so it gets a leading apostrophe, which spreadsheets show as
// text and do not evaluate.
func Neutralize(v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + v
	}
	return v
}

// Record is one row of the profile's columns for it (neutralised).
func (p *Profile) Record(it Item) []string {
	out := make([]string, len(p.Columns))
	for i, c := range p.Columns {
		v := c.Value
		if c.Field != "" {
			v = p.field(c.Field, it)
		}
		out[i] = Neutralize(v)
	}
	return out
}

func (p *Profile) date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(p.DateFormat)
}

func (p *Profile) field(name string, it Item) string {
	r := it.Row
	switch name {
	case "site":
		return r.Site
	case "url":
		return r.URL
	case "listing_id":
		return r.ListingID
	case "title":
		return r.Title
	case "seller":
		return r.Seller
	case "mark":
		if it.Mark.Name != "" {
			return it.Mark.Name
		}
		return r.Mark
	case "kind":
		return r.Kind
	case "registration":
		return it.Mark.Registration
	case "owner":
		return it.Mark.Owner
	case "reason":
		return r.Reasons
	case "note":
		return r.Note
	case "evidence_sha256":
		return r.Evidence
	case "evidence_file":
		return EvidenceFile(r.Evidence, it.ContentType)
	case "photo_files":
		return PhotoFiles(it.Photos)
	case "fetched_at":
		return p.date(r.FetchedAt)
	case "confirmed_at":
		return p.date(it.ConfirmedAt)
	case "price":
		if r.Price == nil {
			return ""
		}
		return strconv.FormatFloat(*r.Price, 'f', 2, 64)
	}
	return ""
}

// MissingRegistrations names the marks (by name, sorted, once each) of
// items that carry no registration number or announcement: portals
// reject such rows, so the operator is warned before exporting.
func MissingRegistrations(items []Item) []string {
	seen := map[string]bool{}
	var out []string
	for _, it := range items {
		if strings.TrimSpace(it.Mark.Registration) != "" {
			continue
		}
		name := it.Mark.Name
		if name == "" {
			name = it.Row.Mark
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// File is one exported file.
type File struct {
	Name string
	Rows int // listing rows, the header not counted
	Data []byte
}

// Export writes items in the profile's layout as format ("csv" or
// "xlsx"), cut into files of at most MaxRows listing rows each, named
// base-1.ext, base-2.ext, ... (base.ext when one file suffices).
func (p *Profile) Export(items []Item, format, base string) ([]File, error) {
	if format != "csv" && format != "xlsx" {
		return nil, fmt.Errorf("takedown: unknown export format %q (csv or xlsx)", format)
	}
	var out []File
	for start := 0; start < len(items) || start == 0; start += p.MaxRows {
		end := min(start+p.MaxRows, len(items))
		records := make([][]string, 0, end-start)
		for _, it := range items[start:end] {
			records = append(records, p.Record(it))
		}
		var buf bytes.Buffer
		var err error
		if format == "csv" {
			err = writeCSV(&buf, p.Headers(), records)
		} else {
			err = WriteXLSX(&buf, p.Sheet, p.Headers(), records)
		}
		if err != nil {
			return nil, fmt.Errorf("takedown: export %s: %w", p.ID, err)
		}
		out = append(out, File{Rows: len(records), Data: buf.Bytes()})
		if end >= len(items) {
			break
		}
	}
	for i := range out {
		if len(out) == 1 {
			out[i].Name = base + "." + format
		} else {
			out[i].Name = fmt.Sprintf("%s-%d.%s", base, i+1, format)
		}
	}
	return out, nil
}

// writeCSV writes UTF-8 with a byte-order mark, so that spreadsheet
// programs read Chinese text right.
func writeCSV(w *bytes.Buffer, header []string, records [][]string) error {
	w.WriteString("\ufeff")
	cw := csv.NewWriter(w)
	cw.Write(header)
	cw.WriteAll(records)
	return cw.Error()
}

// WriteXLSX writes a header and records as one sheet of string cells;
// none is a formula (neutralise the values first).
func WriteXLSX(w *bytes.Buffer, sheet string, header []string, records [][]string) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	row := func(n int, values []string) error {
		cells := make([]any, len(values))
		for i, v := range values {
			cells[i] = excelize.Cell{Value: v}
		}
		cell, _ := excelize.CoordinatesToCellName(1, n)
		return sw.SetRow(cell, cells)
	}
	if err := row(1, header); err != nil {
		return err
	}
	for i, rec := range records {
		if err := row(i+2, rec); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}
