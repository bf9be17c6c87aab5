package crawler

import (
	"strings"
	"testing"
)

func TestParsePath(t *testing.T) {
	for in, want := range map[string]string{
		"a.b.c": "a|b|c", "$.a[0].b": "a|0|b", "images.0": "images|0", `meta."x.y"`: "meta|x.y", "": "", "$": "",
	} {
		got, err := parsePath(in)
		if err != nil || strings.Join(got, "|") != want {
			t.Errorf("parsePath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"a..b", "a[x]", "a[1", `a."b`, "a."} {
		if _, err := parsePath(bad); err == nil {
			t.Errorf("parsePath(%q) accepted", bad)
		}
	}
}
