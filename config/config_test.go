package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadEmbeddedDefaults(t *testing.T) {
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8080" || c.Crawl.BodyLimit != 4<<20 || c.Crawl.Timeout.Std() != 30*time.Second {
		t.Fatalf("defaults not applied: %+v", c)
	}
	files, err := c.MarksLocation().Files()
	if err != nil || len(files) == 0 {
		t.Fatalf("embedded marks: %v %v", files, err)
	}
}

func TestLoadErrorsNameFileLineField(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"unknown field", "listen: x\ncrawl:\n  user_agnet: foo\n", "markwatch.yaml:3:3: crawl.user_agnet: unknown field; did you mean user_agent?"},
		{"wrong type", "crawl:\n  body_limit: lots\n", "markwatch.yaml:2:"},
		{"bad duration", "crawl:\n  timeout: 5 parsecs\n", `markwatch.yaml:2:12: timeout: bad duration "5 parsecs"`},
		{"validation", "crawl:\n  concurrency: -4\n", "markwatch.yaml:2:16: crawl.concurrency: must be 1..1024, got -4"},
		{"syntax", "crawl: [\n", "markwatch.yaml:1:"},
		{"duplicate key", "listen: a\nlisten: b\n", "markwatch.yaml:2:"},
		{"images ocr policy", "images:\n  enabled: true\n  ocr: sometimes\n", `markwatch.yaml:3:8: images.ocr: must be off, hit, slang, category or all, got "sometimes"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "markwatch.yaml")
			if err := os.WriteFile(file, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(file)
			if err == nil {
				t.Fatalf("Load accepted %q", tc.yaml)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestRelativePathsResolveAgainstConfigFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "mw.yaml")
	if err := os.WriteFile(file, []byte("sites: adapters\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.SitesLocation().String(), filepath.Join(dir, "adapters"); got != want {
		t.Fatalf("sites location %q, want %q", got, want)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"10d": 240 * time.Hour, "1d12h": 36 * time.Hour, "4h": 4 * time.Hour, "90s": 90 * time.Second} {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "d", "5x", "ten days"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) accepted", bad)
		}
	}
}

func TestJoinedFieldErrorsAllLocated(t *testing.T) {
	data := []byte("a:\n  b: 1\nc: 2\n")
	err := locate("f.yaml", data, errors.Join(Errorf("a.b", "bad"), Errorf("c", "worse")))
	if got := err.Error(); !strings.Contains(got, "f.yaml:2:6: a.b: bad") || !strings.Contains(got, "f.yaml:3:4: c: worse") {
		t.Fatalf("got %q", got)
	}
}

func TestBadDateNamesLine(t *testing.T) {
	var v struct {
		Marks []struct {
			ID    string `yaml:"id"`
			Until Date   `yaml:"valid_until"`
		} `yaml:"marks"`
	}
	err := Decode("m.yaml", []byte("marks:\n  - id: a\n    valid_until: 2026-08-29\n  - id: b\n    valid_until: 2026-13-01\n"), &v)
	if err == nil || err.Error() != `m.yaml:5:18: valid_until: bad date "2026-13-01" (want YYYY-MM-DD)` {
		t.Fatalf("got %v", err)
	}
}

// A bad value is named at its own line, even when the same text stands as
// a good value of another field above it, or in a comment.
func TestBadValueAtItsOwnLine(t *testing.T) {
	data := "# timeout: 30\ncrawl:\n  concurrency: 30\n  retries: 3\n  timeout:   30\n"
	var c Config
	err := Decode("m.yaml", []byte(data), &c)
	if err == nil || !strings.HasPrefix(err.Error(), "m.yaml:5:") || !strings.Contains(err.Error(), `timeout: bad duration "30"`) {
		t.Fatalf("got %v, want the error at line 5 naming timeout", err)
	}
}
