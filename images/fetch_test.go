package images

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/crawler"
	"github.com/markwatch/markwatch/images/synth"
	"github.com/markwatch/markwatch/matchers"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"slices"
)

// hostGate allows the hosts given, as an adapter's allowed_domains would.
type hostGate map[string]bool

func (g hostGate) Permit(_ context.Context, _ string, u *url.URL) error {
	if !g[u.Host] {
		return fmt.Errorf("%s: %w", u, crawler.ErrDomainNotAllowed)
	}
	return nil
}

// pngBomb is a valid PNG header of w × h pixels followed by a few
// kilobytes of compressed zeros: what a decompression bomb looks like
// before decoding.
func pngBomb(w, h int) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		c := crc32.NewIEEE()
		c.Write([]byte(typ))
		c.Write(data)
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, c.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk("IHDR", ihdr)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(make([]byte, 1<<20)) // 1 MiB of scanlines; the header claims 1.2 GB
	zw.Close()
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return b.Bytes()
}

type hostileServer struct {
	*httptest.Server
	good []byte
}

func newHostileServer(t *testing.T) *hostileServer {
	good := synth.PNG(synth.Draw(synth.Product, 3, 64))
	jpg := synth.JPEG(synth.Draw(synth.Product, 4, 64), 80)
	mux := http.NewServeMux()
	mux.HandleFunc("/good.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(good)
	})
	mux.HandleFunc("/truncated.jpg", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(jpg[:len(jpg)/2])
	})
	mux.HandleFunc("/page.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html>not an image</html>"))
	})
	mux.HandleFunc("/html-as-png.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte("<html>not an image</html>"))
	})
	mux.HandleFunc("/bomb.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(pngBomb(20000, 20000))
	})
	mux.HandleFunc("/huge.jpg", func(w http.ResponseWriter, r *http.Request) {
		// 50 MB, streamed without a Content-Length.
		w.Header().Set("Content-Type", "image/jpeg")
		chunk := bytes.Repeat([]byte{0xFF}, 1<<20)
		for range 50 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return &hostileServer{Server: s, good: good}
}

func TestHostileImagesRefusedCountedListingStillJudged(t *testing.T) {
	srv := newHostileServer(t)
	host := strings.TrimPrefix(srv.URL, "http://")
	reg := prometheus.NewRegistry()
	metrics := NewMetrics(reg)
	fetcher := NewFetcher(hostGate{host: true}, nil, FetchOptions{MaxBytes: 4 << 20})
	ix := NewIndex()
	if err := ix.AddReference("m", "good.png", synth.Draw(synth.Product, 3, 64)); err != nil {
		t.Fatal(err)
	}
	step := &Step{Fetcher: fetcher, Index: ix, Metrics: metrics, MaxPerListing: 10, Policy: OCROff}
	cases := []struct{ url, reason string }{
		{srv.URL + "/truncated.jpg", ReasonDecode},
		{srv.URL + "/page.png", ReasonContentType},
		{srv.URL + "/html-as-png.png", ReasonFormat},
		{srv.URL + "/bomb.png", ReasonPixels},
		{srv.URL + "/huge.jpg", ReasonTooLarge},
		{"http://cdn.elsewhere.example/x.jpg", ReasonDomain},
	}
	l := markwatch.Listing{ID: "1", Site: "s", Title: "耐克 运动鞋", Image: srv.URL + "/good.png"}
	for _, c := range cases {
		l.Images = append(l.Images, c.url)
	}
	if err := step.Enrich(context.Background(), nil, &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Photos) != 1+len(cases) {
		t.Fatalf("got %d photos, want %d", len(l.Photos), 1+len(cases))
	}
	if l.Photos[0].Refused != "" || l.Photos[0].Format != "png" {
		t.Fatalf("good image: got %+v", l.Photos[0])
	}
	if len(l.PhotoHits) != 1 || l.PhotoHits[0].Photo != 1 || l.PhotoHits[0].Distance != 0 {
		t.Fatalf("got photo hits %+v, want one exact hit on photo 1", l.PhotoHits)
	}
	for i, c := range cases {
		p := l.Photos[i+1]
		if !strings.HasPrefix(p.Refused, c.reason+":") {
			t.Errorf("%s: got refused %q, want reason %s", c.url, p.Refused, c.reason)
		}
		if got := testutil.ToFloat64(metrics.Refused.WithLabelValues(c.reason)); got != 1 {
			t.Errorf("%s: markwatch_images_refused_total{reason=%q} = %v, want 1", c.url, c.reason, got)
		}
	}
	if got := testutil.ToFloat64(metrics.Fetched); got != 1 {
		t.Errorf("fetched = %v, want 1", got)
	}
	if problems, err := testutil.CollectAndLint(metrics.Refused); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
	// The listing is still judged on its text, with the real matcher.
	cfg, err := config.Load("")
	if err != nil {
		t.Fatal(err)
	}
	m, err := matchers.Load(cfg.MarksLocation(), cfg.SignalsLocation())
	if err != nil {
		t.Fatal(err)
	}
	v, err := m.Match(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(v.Hits, func(h markwatch.Hit) bool { return h.Field == "title" && h.Mark == "nike" }) {
		t.Errorf("verdict on the text: got hits %+v, want nike in the title", v.Hits)
	}
}

func TestDecodeBombRefusedBeforeDecoding(t *testing.T) {
	bomb := pngBomb(20000, 20000)
	if len(bomb) > 64<<10 {
		t.Fatalf("bomb is %d bytes; it should be small", len(bomb))
	}
	var before, after runtimeMem
	before.read()
	_, _, err := Decode(bomb, 4096*4096)
	after.read()
	if ReasonOf(err) != ReasonPixels {
		t.Fatalf("got %v, want a pixels refusal", err)
	}
	if !strings.Contains(err.Error(), "20000×20000") {
		t.Errorf("error %q does not say the size", err)
	}
	if grew := after.total - before.total; grew > 256<<20 {
		t.Errorf("allocated %d bytes refusing the bomb", grew)
	}
}

func TestSniff(t *testing.T) {
	for _, c := range []struct {
		body []byte
		want string
	}{
		{synth.PNG(synth.Draw(synth.Product, 1, 8)), "png"},
		{synth.JPEG(synth.Draw(synth.Product, 1, 8), 90), "jpeg"},
		{[]byte("GIF89a......"), "gif"},
		{[]byte("RIFF\x00\x00\x00\x00WEBPVP8 "), "webp"},
		{[]byte("<!doctype html>"), ""},
		{nil, ""},
	} {
		if got := Sniff(c.body); got != c.want {
			t.Errorf("Sniff(%q) = %q, want %q", c.body[:min(len(c.body), 8)], got, c.want)
		}
	}
}
