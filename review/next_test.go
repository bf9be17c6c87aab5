package review

import "testing"

func TestLocalNextRefusesOffSiteRedirects(t *testing.T) {
	for _, bad := range []string{
		"", "queue", "//evil.example/x", "/\\evil.example", "/\t/evil.example", "/\n/evil.example",
		"/\r/evil.example", "https://evil.example/", "http:/evil.example", "/%09/evil.example\t",
		"\\\\evil.example", "/ok\\..\\x", "javascript:alert(1)",
	} {
		if got := localNext(bad); got != "/queue" {
			t.Errorf("localNext(%q) = %q, want /queue", bad, got)
		}
	}
	for _, good := range []string{"/queue?status=new", "/listings/12", "/exports/3?x=%2F%2Fy"} {
		if got := localNext(good); got != good {
			t.Errorf("localNext(%q) = %q, want it kept", good, got)
		}
	}
}
