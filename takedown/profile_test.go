package takedown

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/configs"
	"github.com/markwatch/markwatch/matchers"
	"github.com/markwatch/markwatch/store"
)

func shippedProfiles(t *testing.T) []*Profile {
	t.Helper()
	profiles, err := LoadProfiles(configs.FS, "exports")
	if err != nil {
		t.Fatal(err)
	}
	return profiles
}

// items makes n listings; every third one's mark has no registration.
func items(n int) []Item {
	out := make([]Item, n)
	fetched := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	for i := range out {
		m := Mark{ID: "nike", Name: "耐克", Owner: "Nike Innovate C.V.", Registration: "TEST-REG-1"}
		if i%3 == 2 {
			m = Mark{ID: "gi-x", Name: "某地理标志", Owner: "某协会"}
		}
		out[i] = Item{Mark: m, Row: store.Row{ID: int64(i + 1), Site: "fakemart", ListingID: fmt.Sprint(1000 + i),
			URL: fmt.Sprintf("http://fake.test/item/%d", i), Title: "=HYPERLINK(\"x\") 耐克 鞋", Seller: "店" + fmt.Sprint(i),
			Mark: m.ID, Reasons: "mark name and a price below the genuine floor", Note: "checked by hand",
			Evidence: strings.Repeat("ab", 32), FetchedAt: fetched}}
	}
	return out
}

func TestShippedProfilesExportColumnsAndRowLimit(t *testing.T) {
	profiles := shippedProfiles(t)
	ids := map[string]bool{}
	for _, p := range profiles {
		ids[p.ID] = true
	}
	for _, want := range []string{"alibaba-ipp", "jd", "pinduoduo", "generic"} {
		if !ids[want] {
			t.Errorf("profile %s not shipped", want)
		}
	}
	for _, p := range profiles {
		t.Run(p.ID, func(t *testing.T) {
			if p.Source == "" {
				t.Errorf("profile says nothing of what it was built from")
			}
			regCol := -1
			for i, c := range p.Columns {
				if c.Field == "registration" {
					regCol = i
				}
			}
			if regCol < 0 {
				t.Fatalf("profile has no registration column")
			}
			n := p.MaxRows + 2
			in := items(n)
			files, err := p.Export(in, "xlsx", "batch-1")
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != 2 {
				t.Fatalf("%d rows with max_rows %d: got %d files, want 2", n, p.MaxRows, len(files))
			}
			k := 0
			for _, file := range files {
				f, err := excelize.OpenReader(bytes.NewReader(file.Data))
				if err != nil {
					t.Fatalf("%s: %v", file.Name, err)
				}
				rows, err := f.GetRows(p.Sheet)
				f.Close()
				if err != nil {
					t.Fatalf("%s: %v", file.Name, err)
				}
				if got := strings.Join(rows[0], "|"); got != strings.Join(p.Headers(), "|") {
					t.Fatalf("%s header: got %s, want %s", file.Name, got, strings.Join(p.Headers(), "|"))
				}
				if len(rows)-1 > p.MaxRows || len(rows)-1 != file.Rows {
					t.Fatalf("%s: %d rows, limit %d, file says %d", file.Name, len(rows)-1, p.MaxRows, file.Rows)
				}
				for _, row := range rows[1:] {
					it := in[k]
					k++
					reg := ""
					if regCol < len(row) {
						reg = row[regCol]
					}
					if it.Mark.Registration != "" && reg != it.Mark.Registration {
						t.Fatalf("%s row %d: registration %q, want %q", file.Name, k, reg, it.Mark.Registration)
					}
					for i, c := range p.Columns {
						if c.Value != "" && (i >= len(row) || row[i] != c.Value) {
							t.Fatalf("%s row %d column %s: want fixed %q", file.Name, k, c.Header, c.Value)
						}
						if c.Field == "title" && !strings.HasPrefix(row[i], "'=") {
							t.Fatalf("title not neutralised: %q", row[i])
						}
					}
				}
			}
			if k != n {
				t.Fatalf("read back %d rows, wrote %d", k, n)
			}
		})
	}
}

func TestExportCSVOneFileWithEvidenceFile(t *testing.T) {
	var generic *Profile
	for _, p := range shippedProfiles(t) {
		if p.ID == "generic" {
			generic = p
		}
	}
	files, err := generic.Export(items(2), "csv", "takedown-7")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Name != "takedown-7.csv" {
		t.Fatalf("got %d files %v", len(files), files)
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(files[0].Data, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := strings.Join(recs[0], "|")
	if !strings.Contains(head, "Evidence file") || !strings.Contains(head, "Reviewer's note") {
		t.Fatalf("header %s", head)
	}
	if !strings.Contains(strings.Join(recs[1], "|"), "pages/"+strings.Repeat("ab", 32)+".html") {
		t.Fatalf("row lacks the evidence file name: %v", recs[1])
	}
}

func TestMissingRegistrationsNamesMarks(t *testing.T) {
	got := MissingRegistrations(items(6))
	if strings.Join(got, ",") != "某地理标志" {
		t.Fatalf("got %v", got)
	}
}

func TestProfileErrorsNameFileAndField(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"name: x\nmax_rows: 0\ncolumns: [{header: a, field: url}]", "max_rows"},
		{"name: x\nmax_rows: 5\ncolumns: [{header: a, field: nope}]", "columns[0].field"},
		{"name: x\nmax_rows: 5\ncolumns: [{header: a, field: url, value: b}]", "columns[0]"},
		{"name: x\nmax_rows: 5\nbogus: 1\ncolumns: [{header: a, field: url}]", "bogus"},
	} {
		_, err := ParseProfile("exports/bad.yaml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), "exports/bad.yaml") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want an error naming the file and %s", tc.yaml, err, tc.want)
		}
	}
}

// The shipped marks' registration references: every one has its source
// in a comment right above it (none is invented), those with a cited
// announcement leave the export warning, and every other shipped mark is
// named in it.
func TestShippedMarksRegistrations(t *testing.T) {
	dir := filepath.Join("..", "configs", "marks")
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if len(files) == 0 {
		t.Fatal("no shipped marks")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		for i, l := range lines {
			if !strings.HasPrefix(strings.TrimSpace(l), "registrations:") {
				continue
			}
			cited := false
			for j := i - 1; j >= 0 && strings.HasPrefix(strings.TrimSpace(lines[j]), "#"); j-- {
				cited = cited || strings.Contains(lines[j], "http")
			}
			if !cited {
				t.Errorf("%s:%d: registrations without a source (a URL in the comment right above)", f, i+1)
			}
		}
	}
	marks, err := matchers.LoadMarks(config.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	var its []Item
	withReg := map[string]bool{}
	for _, m := range marks {
		its = append(its, Item{Mark: Mark{ID: m.ID, Name: m.Names[0], Registration: strings.Join(m.Registrations, "; ")}})
		if len(m.Registrations) > 0 {
			withReg[m.Names[0]] = true
		}
	}
	for _, want := range []string{"阳澄湖大闸蟹", "五常大米", "安吉白茶"} {
		if !withReg[want] {
			t.Errorf("%s carries no registration reference", want)
		}
	}
	missing := MissingRegistrations(its)
	if len(missing)+len(withReg) != len(its) {
		t.Errorf("warning names %d marks, %d have a reference, of %d", len(missing), len(withReg), len(its))
	}
	for _, name := range missing {
		if withReg[name] {
			t.Errorf("warning names %s, which has a reference", name)
		}
	}
	if !slices.Contains(missing, "西湖龙井") {
		t.Errorf("warning %v does not name 西湖龙井 (no cited reference)", missing)
	}
}
