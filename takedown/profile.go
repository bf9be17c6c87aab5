package takedown

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
)

// Fields are the values a column can carry, by name.
var Fields = map[string]string{
	"site":            "the marketplace (site adapter name)",
	"url":             "the listing URL",
	"listing_id":      "the marketplace's listing id",
	"title":           "the listing title",
	"seller":          "the seller (shop) name",
	"mark":            "the mark's name",
	"kind":            "trademark, special or gi",
	"registration":    "the mark's registration number or special-mark announcement",
	"owner":           "the rights holder",
	"reason":          "why the listing infringes, in words",
	"note":            "the reviewer's note",
	"evidence_sha256": "SHA-256 of the stored page",
	"evidence_file":   "the stored page's file name in the evidence bundle",
	"photo_files":     "the listing's stored photos' file names in the evidence bundle, space-separated",
	"fetched_at":      "when the page was fetched (the profile's date format)",
	"confirmed_at":    "when the listing was confirmed (the profile's date format)",
	"price":           "the listed price in CNY",
}

// Column is one column of a portal's spreadsheet: a header and either a
// field of the listing or a fixed value.
type Column struct {
	// Header is the column's title in the first row. Required.
	Header string `yaml:"header"`
	// Field names the value (see Fields). Exactly one of Field and Value.
	Field string `yaml:"field"`
	// Value is a fixed text written in every row (a complaint type, the
	// right type the portal's drop-down expects).
	Value string `yaml:"value"`
}

// Profile is one platform's bulk-complaint format.
type Profile struct {
	// ID is the file name without .yaml (set by the loader).
	ID string `yaml:"-"`
	// Name is what the review app shows. Required.
	Name string `yaml:"name"`
	// Platform is the complaint portal, for people.
	Platform string `yaml:"platform"`
	// Source says what the profile was built from; operators check it
	// against the portal's current template.
	Source string `yaml:"source"`
	// Sites are the site adapters this profile is for; empty: any.
	Sites []string `yaml:"sites"`
	// MaxRows is the most listing rows one file may hold (the header row
	// not counted). Required.
	MaxRows int `yaml:"max_rows"`
	// DateFormat is a Go time layout. Default "2006-01-02 15:04:05".
	DateFormat string `yaml:"date_format"`
	// Sheet is the XLSX sheet name. Default "Sheet1".
	Sheet string `yaml:"sheet"`
	// Columns in order. At least one.
	Columns []Column `yaml:"columns"`
}

// Headers are the profile's column headers in order.
func (p *Profile) Headers() []string {
	out := make([]string, len(p.Columns))
	for i, c := range p.Columns {
		out[i] = c.Header
	}
	return out
}

// ParseProfile decodes and validates one profile; name is the file name
// errors are reported against.
func ParseProfile(name string, data []byte) (*Profile, error) {
	var p Profile
	if err := yaml.UnmarshalWithOptions(data, &p, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("%s: %s", name, yaml.FormatError(err, false, true))
	}
	p.ID = strings.TrimSuffix(path.Base(name), path.Ext(name))
	if p.DateFormat == "" {
		p.DateFormat = "2006-01-02 15:04:05"
	}
	if p.Sheet == "" {
		p.Sheet = "Sheet1"
	}
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &p, nil
}

func (p *Profile) validate() error {
	if strings.TrimSpace(p.Name) == "" {
		return fmt.Errorf("name: required")
	}
	if p.MaxRows <= 0 {
		return fmt.Errorf("max_rows: must be at least 1, got %d", p.MaxRows)
	}
	if len(p.Columns) == 0 {
		return fmt.Errorf("columns: at least one is required")
	}
	for i, c := range p.Columns {
		if strings.TrimSpace(c.Header) == "" {
			return fmt.Errorf("columns[%d].header: required", i)
		}
		if (c.Field == "") == (c.Value == "") {
			return fmt.Errorf("columns[%d] (%s): give exactly one of field and value", i, c.Header)
		}
		if c.Field != "" {
			if _, ok := Fields[c.Field]; !ok {
				return fmt.Errorf("columns[%d].field: unknown field %q (known: %s)", i, c.Field, strings.Join(fieldNames(), ", "))
			}
		}
	}
	return nil
}

func fieldNames() []string {
	out := make([]string, 0, len(Fields))
	for k := range Fields {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// LoadProfiles reads every *.yaml of dir in fsys, sorted by id.
func LoadProfiles(fsys fs.FS, dir string) ([]*Profile, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []*Profile
	for _, n := range names {
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		p, err := ParseProfile(n, bytes.TrimPrefix(data, []byte("\ufeff")))
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no export profile (*.yaml)", dir)
	}
	return out, nil
}
