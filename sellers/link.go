package sellers

import (
	"sort"
	"strings"
)

// Listing is what linking reads of one listing.
type Listing struct {
	Site      string
	ListingID string
	Seller    string
	Title     string
	Text      []string // description, OCR text, …
	// ImageHashes are the hashes of the listing's photos (exact or
	// perceptual, as the images stage stores them); a photo shared by
	// two sellers links them.
	ImageHashes []string
}

// SellerKey names a seller: site and name as the site shows it.
type SellerKey struct {
	Site string `json:"site"`
	Name string `json:"name"`
}

func (k SellerKey) String() string { return k.Site + "/" + k.Name }

// Link is one reason two sellers belong together.
type Link struct {
	A, B    SellerKey
	Via     string // wechat, qq, phone, shop, image, name
	Value   string // the shared handle, image hash or normalised name
	Listing [2]string
	Text    [2]string // what each listing said
}

// Network is a set of sellers linked directly or through others.
type Network struct {
	ID      int // 1-based, by size then name
	Sellers []SellerKey
	Links   []Link
}

type occurrence struct {
	seller  SellerKey
	listing string
	text    string
}

// MaxImageSellers: a photo used by more sellers than this is a stock
// photo (a brand's official shot, a platform placeholder) and links
// nobody. Handles have no such bound: a network of many shops behind one
// WeChat id is what linking is for.
const MaxImageSellers = 8

// Link groups the sellers of listings into networks. Sellers of one
// network share, pairwise or through others, a handle, an image hash, or
// a distinctive normalised name across sites. Sellers linked to nobody are
// not returned.
func LinkListings(listings []Listing) []Network {
	byHandle := map[string][]occurrence{}
	note := func(key string, o occurrence) {
		for _, prev := range byHandle[key] {
			if prev.seller == o.seller {
				return
			}
		}
		byHandle[key] = append(byHandle[key], o)
	}
	for _, l := range listings {
		if l.Seller == "" {
			continue
		}
		s := SellerKey{Site: l.Site, Name: l.Seller}
		for _, h := range Extract(append([]string{l.Title}, l.Text...)...) {
			note(h.Key(), occurrence{s, l.ListingID, h.Text})
		}
		for _, img := range l.ImageHashes {
			if img != "" {
				note(Image+":"+img, occurrence{s, l.ListingID, img})
			}
		}
		if n := NormalizeName(l.Seller); distinctive(n) {
			note(Name+":"+n, occurrence{s, l.ListingID, l.Seller})
		}
	}
	parent := map[SellerKey]SellerKey{}
	var find func(SellerKey) SellerKey
	find = func(k SellerKey) SellerKey {
		p, ok := parent[k]
		if !ok || p == k {
			parent[k] = k
			return k
		}
		r := find(p)
		parent[k] = r
		return r
	}
	var links []Link
	keys := make([]string, 0, len(byHandle))
	for k := range byHandle {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		occ := byHandle[key]
		if len(occ) < 2 {
			continue
		}
		via, value, _ := strings.Cut(key, ":")
		if via == Image && len(occ) > MaxImageSellers {
			continue
		}
		if via == Name {
			// A name alone links shops on different sites only: on one
			// site the same name is the same shop, or a coincidence.
			sites := map[string]bool{}
			for _, o := range occ {
				sites[o.seller.Site] = true
			}
			if len(sites) < 2 {
				continue
			}
		}
		first := occ[0]
		for _, o := range occ[1:] {
			anchor := first
			if via == Name && o.seller.Site == first.seller.Site {
				// A name links shops on different sites only: a shop
				// on the first one's site is linked to the first shop
				// of that name on another site (there is one), so the
				// order they came in does not matter.
				for _, p := range occ {
					if p.seller.Site != first.seller.Site {
						anchor = p
						break
					}
				}
			}
			links = append(links, Link{A: anchor.seller, B: o.seller, Via: via, Value: value,
				Listing: [2]string{anchor.listing, o.listing}, Text: [2]string{anchor.text, o.text}})
			parent[find(o.seller)] = find(anchor.seller)
		}
	}
	groups := map[SellerKey]*Network{}
	for k := range parent {
		r := find(k)
		if groups[r] == nil {
			groups[r] = &Network{}
		}
		groups[r].Sellers = append(groups[r].Sellers, k)
	}
	for _, l := range links {
		g := groups[find(l.A)]
		g.Links = append(g.Links, l)
	}
	var out []Network
	for _, g := range groups {
		if len(g.Sellers) < 2 {
			continue
		}
		sort.Slice(g.Sellers, func(i, j int) bool { return g.Sellers[i].String() < g.Sellers[j].String() })
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i].Sellers) != len(out[j].Sellers) {
			return len(out[i].Sellers) > len(out[j].Sellers)
		}
		return out[i].Sellers[0].String() < out[j].Sellers[0].String()
	})
	for i := range out {
		out[i].ID = i + 1
	}
	return out
}
