package crawler

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

// images: reads every gallery photo (joined), resolves each and drops
// placeholders.
func TestImagesFieldReadsEveryPhoto(t *testing.T) {
	yaml := strings.Replace(shopYAML, "    image: {selector: img, attr: src}\n",
		"    image: {selector: img.main, attr: src}\n    images: {selector: .gallery img, attr: src, join: \" \"}\n", 1)
	site := mustSite(t, "https://shop.example", yaml)
	page := `<html><body><ul><li class="product" data-sku="s1"><div class="name"><a href="/item/1" title="耐克 运动鞋">x</a></div>
<img class="main" src="//img.example.com/1.jpg"><div class="gallery"><img src="/g/2.jpg"><img src="//img.example.com/spacer.gif"><img src="https://cdn.example/3.webp"></div></li></ul></body></html>`
	base, _ := url.Parse("https://shop.example/search?q=x&p=1")
	ex := site.ExtractSearch([]byte(page), base)
	if len(ex.Listings) != 1 {
		t.Fatalf("got %d listings", len(ex.Listings))
	}
	l := ex.Listings[0]
	want := []string{"https://shop.example/g/2.jpg", "https://cdn.example/3.webp"}
	if l.Image != "https://img.example.com/1.jpg" || !slices.Equal(l.Images, want) {
		t.Fatalf("got image %q images %q, want %q", l.Image, l.Images, want)
	}
}
