package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/markwatch/markwatch"
)

func runMatch(t *testing.T, input string, cmd MatchCmd) []markwatch.Verdict {
	t.Helper()
	var out, errOut bytes.Buffer
	g := &Globals{stdout: &out, stderr: &errOut}
	cmd.stdin = strings.NewReader(input)
	if err := cmd.Run(g); err != nil && exitCode(err) != exitBadInput {
		t.Fatalf("match: %v\n%s", err, errOut.String())
	}
	var verdicts []markwatch.Verdict
	for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		var v struct {
			markwatch.Verdict
			Line int `json:"line"`
		}
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("output line %q: %v", line, err)
		}
		verdicts = append(verdicts, v.Verdict)
	}
	return verdicts
}

func TestMatchKeepsInputOrderAndSurvivesBadLines(t *testing.T) {
	var in strings.Builder
	const n = 300
	for i := 0; i < n; i++ {
		switch {
		case i == 7:
			in.WriteString("{not json\n")
		case i == 11:
			in.WriteString(`{"id":"x11","price":"cheap","title":"耐克"}` + "\n")
		case i == 13:
			in.WriteString(`{"id":"x13"}` + "\n")
		case i%3 == 0:
			fmt.Fprintf(&in, `{"id":"x%d","title":"N I K E 高仿 %d","price":99}`+"\n", i, i)
		default:
			fmt.Fprintf(&in, `{"id":"x%d","title":"红富士苹果 %d"}`+"\n", i, i)
		}
		if i == 50 {
			in.WriteString("\n") // blank lines are skipped
		}
	}
	vs := runMatch(t, in.String(), MatchCmd{Workers: 4})
	if len(vs) != n {
		t.Fatalf("%d verdicts for %d lines", len(vs), n)
	}
	for i, v := range vs {
		line := i + 1
		if i > 50 {
			line++ // the blank line
		}
		switch i {
		case 7:
			if v.Error == "" || !strings.HasPrefix(v.Error, "line 8: ") {
				t.Errorf("bad JSON: verdict %+v", v)
			}
			continue
		case 11:
			if v.ID != "x11" || !strings.HasPrefix(v.Error, "line 12: ") {
				t.Errorf("bad price: verdict %+v", v)
			}
			continue
		case 13:
			if v.ID != "x13" || !strings.Contains(v.Error, `line 14: listing has no "title"`) {
				t.Errorf("no title: verdict %+v", v)
			}
			continue
		}
		if v.ID != fmt.Sprintf("x%d", i) {
			t.Fatalf("verdict %d is for %q: output out of order", i, v.ID)
		}
		if want := i%3 == 0; v.Suspect != want || v.Error != "" {
			t.Errorf("x%d (line %d): suspect %v, want %v (%+v)", i, line, v.Suspect, want, v)
		}
	}
}

func TestMatchWithListing(t *testing.T) {
	vs := runMatch(t, `{"id":"a","title":"杭州亚运会 徽章","seller":"小店","site":"fake"}`+"\n", MatchCmd{WithListing: true})
	if len(vs) != 1 || vs[0].Listing == nil || vs[0].Listing.Seller != "小店" || vs[0].Listing.Site != "fake" || !vs[0].Suspect {
		t.Fatalf("verdict %+v", vs)
	}
	h := vs[0].Hits[0]
	if h.Mark != "hangzhou-2022-asian-games" || h.Field != "title" || h.Start != 0 || h.End != 5 || h.Text != "杭州亚运会" {
		t.Fatalf("hit %+v", h)
	}
}

func TestMatchSignalsFlagAndMarksDir(t *testing.T) {
	dir := t.TempDir()
	marks := filepath.Join(dir, "marks")
	if err := os.Mkdir(marks, 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(marks, "m.yaml"), []byte("marks:\n  - id: acme\n    kind: trademark\n    names: [ACME]\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "signals.yaml"), []byte("slang:\n  - name: test\n    weight: 0.9\n    terms: [假货]\n"), 0o600)
	var out, errOut bytes.Buffer
	g := &Globals{stdout: &out, stderr: &errOut, MarksDir: marks}
	cmd := MatchCmd{Signals: filepath.Join(dir, "signals.yaml"), stdin: strings.NewReader(`{"id":"1","title":"ACME 假货"}` + "\n" + `{"id":"2","title":"耐克 高仿"}` + "\n")}
	if err := cmd.Run(g); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"suspect":true`) || !strings.Contains(lines[1], `"hits":[]`) {
		t.Fatalf("output %q", out.String())
	}
}

func TestMarksCheck(t *testing.T) {
	var out, errOut bytes.Buffer
	g := &Globals{stdout: &out, stderr: &errOut}
	if err := (&MarksCheckCmd{Paths: []string{"../../configs/marks"}}).Run(g); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"nike (trademark)", "NIKE", "catches any case (nike)", "needs one of: 手机, iPhone", "exclude  茅台镇", "suspect  when ship_from is outside: 杭州", "licensed 杭州亚运会官方特许商品旗舰店"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("marks check output lacks %q", want)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("marks:\n  - id: x\n    kind: trademark\n    names: [X]\n    min_price: -1\n"), 0o600)
	err := (&MarksCheckCmd{Paths: []string{bad}}).Run(g)
	if err == nil || !strings.Contains(err.Error(), "bad.yaml:5:16: marks[0].min_price: must not be negative") {
		t.Fatalf("got %v", err)
	}
}
