package review

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"mime"
	"net/http"
	"sort"
	"time"

	"github.com/markwatch/markwatch/sellers"
	"github.com/markwatch/markwatch/store"
	"github.com/markwatch/markwatch/takedown"
)

// RepeatOffender is how many confirmed listings make a seller or network a
// repeat offender.
const RepeatOffender = 3

// networkView is a seller network with its listings and record.
type networkView struct {
	ID        string // stable: a hash of its first seller
	Sellers   []sellers.SellerKey
	Sites     []string
	Links     []sellers.Link
	Listings  []store.Row
	Confirmed int
	Removed   int
	FirstSeen time.Time
	LastSeen  time.Time
}

// Repeat reports a repeat offender (RepeatOffender or more confirmed).
func (n *networkView) Repeat() bool { return n.Confirmed >= RepeatOffender }

func networkID(first sellers.SellerKey) string {
	sum := sha256.Sum256([]byte(first.String()))
	return hex.EncodeToString(sum[:5])
}

// networks links the stored listings' sellers. It reads every linkable
// listing at each call: fine for a review team's store, a periodic job
// with stored networks is the next step for large ones.
func (s *Server) networks(r *http.Request) ([]*networkView, error) {
	listings, err := s.store.SellerListings(r.Context(), 0)
	if err != nil {
		return nil, err
	}
	in := make([]sellers.Listing, len(listings))
	bySeller := map[sellers.SellerKey][]store.Row{}
	for i, l := range listings {
		in[i] = sellers.Listing{Site: l.Site, ListingID: l.ListingID, Seller: l.Seller, Title: l.Title, Text: []string{l.Description, l.OCRText}}
		k := sellers.SellerKey{Site: l.Site, Name: l.Seller}
		bySeller[k] = append(bySeller[k], l.Row)
	}
	var out []*networkView
	for _, n := range sellers.LinkListings(in) {
		v := &networkView{ID: networkID(n.Sellers[0]), Sellers: n.Sellers, Links: n.Links}
		sites := map[string]bool{}
		for _, k := range n.Sellers {
			sites[k.Site] = true
			for _, row := range bySeller[k] {
				v.Listings = append(v.Listings, row)
				switch row.Status {
				case store.Confirmed, store.TakedownRequested, store.Removed, store.Reappeared:
					v.Confirmed++
				}
				if row.Status == store.Removed {
					v.Removed++
				}
				if v.FirstSeen.IsZero() || row.FirstSeen.Before(v.FirstSeen) {
					v.FirstSeen = row.FirstSeen
				}
				if row.LastSeen.After(v.LastSeen) {
					v.LastSeen = row.LastSeen
				}
			}
		}
		for site := range sites {
			v.Sites = append(v.Sites, site)
		}
		sort.Strings(v.Sites)
		sort.Slice(v.Listings, func(i, j int) bool { return v.Listings[i].Score > v.Listings[j].Score })
		out = append(out, v)
	}
	return out, nil
}

func (s *Server) networksPage(w http.ResponseWriter, r *http.Request, p *principal) {
	nets, err := s.networks(r)
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	if r.URL.Query().Get("repeat") != "" {
		kept := nets[:0]
		for _, n := range nets {
			if n.Repeat() {
				kept = append(kept, n)
			}
		}
		nets = kept
	}
	s.render(w, r, "networks.html", p, "Seller networks", map[string]any{"Networks": nets, "Repeat": RepeatOffender})
}

func (s *Server) network(w http.ResponseWriter, r *http.Request) (*networkView, bool) {
	nets, err := s.networks(r)
	if err != nil {
		s.failErr(w, r, false, err)
		return nil, false
	}
	for _, n := range nets {
		if n.ID == r.PathValue("id") {
			return n, true
		}
	}
	s.fail(w, r, false, http.StatusNotFound, "no such seller network")
	return nil, false
}

func (s *Server) networkPage(w http.ResponseWriter, r *http.Request, p *principal) {
	n, ok := s.network(w, r)
	if !ok {
		return
	}
	s.render(w, r, "network.html", p, "Seller network "+n.ID, map[string]any{"Network": n, "Repeat": RepeatOffender})
}

// networkExport serves a network's listings in the generic takedown layout
// (CSV), for the rights holder's file on the operation.
func (s *Server) networkExport(w http.ResponseWriter, r *http.Request, p *principal) {
	n, ok := s.network(w, r)
	if !ok {
		return
	}
	prof := s.profile("generic")
	if prof == nil {
		s.fail(w, r, false, http.StatusNotFound, "no generic export profile")
		return
	}
	prof = &takedown.Profile{ID: prof.ID, Name: prof.Name, MaxRows: len(n.Listings) + 1, DateFormat: prof.DateFormat, Sheet: prof.Sheet, Columns: prof.Columns}
	files, err := prof.Export(s.takedownItems(n.Listings), "csv", "network-"+n.ID)
	if err != nil {
		s.serverError(w, r, false, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": files[0].Name}))
	w.Write(bytes.Clone(files[0].Data))
}

// networkBatchForm cuts a takedown batch of the network's waiting
// listings (every site of it).
func (s *Server) networkBatchForm(w http.ResponseWriter, r *http.Request, p *principal) {
	n, ok := s.network(w, r)
	if !ok {
		return
	}
	f := store.BatchFilter{Label: "network=" + n.ID}
	for _, k := range n.Sellers {
		f.Sellers = append(f.Sellers, [2]string{k.Site, k.Name})
	}
	if len(n.Sites) == 1 {
		f.Site = n.Sites[0]
	}
	b, err := s.store.CreateBatchWhere(r.Context(), p.User.Name, f, store.BatchLimit)
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	s.log.Info("takedown batch created", "user", p.User.Name, "batch", b.ID, "site", b.Site, "filter", b.Filter, "size", b.Size)
	http.Redirect(w, r, fmt.Sprintf("/exports/%d", b.ID), http.StatusSeeOther)
}
