package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/crawler"
	"github.com/markwatch/markwatch/matchers"
	"github.com/markwatch/markwatch/schedule"
)

// Every kind of configuration file goes through config.Decode, and an
// unknown field there names its path and the nearest valid name, or lists
// the valid names when none is close.
func TestUnknownFieldSuggestsTheNearestName(t *testing.T) {
	embedded := func(name string) string {
		data, err := os.ReadFile(filepath.Join("..", "configs", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	write := func(name, body string) string {
		file := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return file
	}
	cases := []struct {
		kind string
		load func() error
		want string
	}{
		{"main config", func() error {
			_, err := config.Load(write("markwatch.yaml", "crawl:\n  concurency: 4\n"))
			return err
		}, "markwatch.yaml:2:3: crawl.concurency: unknown field; did you mean concurrency?"},
		{"main config, top level", func() error {
			_, err := config.Load(write("markwatch.yaml", "lisen: 127.0.0.1:1\n"))
			return err
		}, "markwatch.yaml:1:1: lisen: unknown field; did you mean listen?"},
		{"mark", func() error {
			_, err := matchers.LoadMarks(config.Dir(write("m.yaml", "marks:\n  - id: x\n    kind: trademark\n    names: [X]\n    min_prise: 3\n")))
			return err
		}, "m.yaml:5:5: marks[0].min_prise: unknown field; did you mean min_price?"},
		{"signals", func() error {
			_, err := matchers.LoadSignals(config.Dir(write("signals.yaml", strings.Replace(embedded("signals.yaml"), "threshold:", "treshold:", 1))))
			return err
		}, "treshold: unknown field; did you mean threshold?"},
		{"site adapter", func() error {
			_, err := crawler.ParseSite("x.yaml", []byte(strings.Replace(embedded("sites/fakemart.yaml"), "  page_start:", "  page_strat:", 1)))
			return err
		}, "search.page_strat: unknown field; did you mean page_start?"},
		{"sweeps", func() error {
			_, err := schedule.Parse("sweeps.yaml", []byte(strings.Replace(embedded("sweeps.yaml"), "    every: 4h", "    evry: 4h", 1)), schedule.LoadOptions{})
			return err
		}, "sweeps[0].evry: unknown field; did you mean every?"},
		{"nothing close", func() error {
			_, err := config.Load(write("markwatch.yaml", "crawl:\n  zzzzzz: 1\n"))
			return err
		}, "crawl.zzzzzz: unknown field; valid fields here: body_limit, "},
	}
	for _, tc := range cases {
		t.Run(tc.kind, func(t *testing.T) {
			err := tc.load()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
