package queue

import (
	"net/url"
	"sort"
	"strings"
	"testing"
)

func TestCanonicalURL(t *testing.T) {
	tests := []struct {
		in, want string
		extra    []string
	}{
		{in: "HTTP://Shop.Example.COM/item?id=1#reviews", want: "http://shop.example.com/item?id=1"},
		{in: "https://a.example/s?q=x&page=2&spm=a1.b2&scm=1&utm_source=w&UTM_medium=x", want: "https://a.example/s?page=2&q=x"},
		{in: "https://a.example/s?b=2&a=1&a=0", want: "https://a.example/s?a=0&a=1&b=2"},
		{in: "https://a.example:443/i?id=7", want: "https://a.example/i?id=7"},
		{in: "http://a.example:8080/i", want: "http://a.example:8080/i"},
		{in: "https://a.example/i?id=7&ali_trackid=9&pvid=1", extra: []string{"ali_trackid", "pvid"}, want: "https://a.example/i?id=7"},
		{in: "https://a.example", want: "https://a.example/"},
		{in: "https://a.example/Path/Case?ID=1", want: "https://a.example/Path/Case?ID=1"},
	}
	for _, tc := range tests {
		if got := CanonicalURL(tc.in, tc.extra...); got != tc.want {
			t.Errorf("CanonicalURL(%q, %v) = %q, want %q", tc.in, tc.extra, got, tc.want)
		}
	}
}

// referenceCanonicalQuery is the straightforward form canonicalQuery must
// equal: url.Values parsed, tracking parameters deleted, values sorted,
// Encode.
func referenceCanonicalQuery(raw string, extraTracking []string) string {
	q, _ := url.ParseQuery(raw)
	for k := range q {
		lk := strings.ToLower(k)
		drop := strings.HasPrefix(lk, "utm_") || lk == "spm" || lk == "scm"
		for _, t := range extraTracking {
			drop = drop || lk == strings.ToLower(t)
		}
		if drop {
			delete(q, k)
		}
	}
	for _, vs := range q {
		sort.Strings(vs)
	}
	return q.Encode()
}

func TestCanonicalQueryMatchesReference(t *testing.T) {
	for _, raw := range []string{
		"", "&", "a", "a=", "=x", "b=2&a=1&a=0", "q=%E8%80%90%e5%85%8b&page=2", "q=a+b&q=a%20b&q=a%2Bb",
		"x=%41%7e%2d", "k=%zz&ok=1", "a=1;b=2&c=3", "UTM_Source=1&Spm=2&ſpm=3&keep=4", "a=%&b=1",
		"PVID=9&pvid=8&id=1", "a=1&&b=2&", "%C3%A9=%C3%A9&e=1", "sp%6D=1&id=2", "a=b=c&a=b",
	} {
		for _, extra := range [][]string{nil, {"pvid"}, {"ID"}} {
			if got, want := canonicalQuery(raw, extra), referenceCanonicalQuery(raw, extra); got != want {
				t.Errorf("canonicalQuery(%q, %v) = %q, want %q", raw, extra, got, want)
			}
		}
	}
	many := strings.Repeat("z=1&a=2&", 40)
	if got, want := canonicalQuery(many, nil), referenceCanonicalQuery(many, nil); got != want {
		t.Errorf("canonicalQuery of 80 parameters differs from the reference")
	}
}

func FuzzCanonicalURL(f *testing.F) {
	f.Add("https://a.example/s?q=x&utm_source=1#f")
	f.Add("http://[::1]:80/x?b=1&a=2")
	f.Add("https://a.example/s?q=%E8%80%90%e5%85%8b&a=b+c&a=b%20c&pvid=1")
	f.Fuzz(func(t *testing.T, s string) {
		c := CanonicalURL(s)
		if again := CanonicalURL(c); again != c {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, c, again)
		}
		if u, err := url.Parse(strings.TrimSpace(s)); err == nil {
			extra := []string{"pvid"}
			if got, want := canonicalQuery(u.RawQuery, extra), referenceCanonicalQuery(u.RawQuery, extra); got != want {
				t.Fatalf("canonicalQuery(%q) = %q, reference %q", u.RawQuery, got, want)
			}
		}
	})
}
