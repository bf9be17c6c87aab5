package queue

import "testing"

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

func FuzzCanonicalURL(f *testing.F) {
	f.Add("https://a.example/s?q=x&utm_source=1#f")
	f.Add("http://[::1]:80/x?b=1&a=2")
	f.Fuzz(func(t *testing.T, s string) {
		c := CanonicalURL(s)
		if again := CanonicalURL(c); again != c {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, c, again)
		}
	})
}
