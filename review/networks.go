package review

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/markwatch/markwatch/sellers"
	"github.com/markwatch/markwatch/store"
	"github.com/markwatch/markwatch/takedown"
)

// RepeatOffender is how many confirmed listings make a seller or network a
// repeat offender.
const RepeatOffender = 3

// networkView is a stored seller network with its record; Links and
// Listings are filled for one network's page.
type networkView struct {
	ID           string              // stable: a hash of its first seller
	Sellers      []sellers.SellerKey // all of them on its page; the first few in the list
	SellerCount  int
	Sites        []string
	Links        []sellers.Link
	Listings     []store.Row // the first networkPageListings, highest score first
	ListingCount int
	Confirmed    int
	Removed      int
	FirstSeen    time.Time
	LastSeen     time.Time
}

// networkPageListings bounds the listings a network's page and export show.
const networkPageListings = 5000

// Repeat reports a repeat offender (RepeatOffender or more confirmed).
func (n *networkView) Repeat() bool { return n.Confirmed >= RepeatOffender }

func networkID(first sellers.SellerKey) string {
	sum := sha256.Sum256([]byte(first.String()))
	return hex.EncodeToString(sum[:5])
}

// RebuildNetworks links the sellers of every linkable listing in st and
// stores the networks (built at now), unless nothing linkable changed
// since the last build (force: rebuild anyway). It reports whether it
// rebuilt and how many networks it stored.
func RebuildNetworks(ctx context.Context, st *store.Store, now time.Time, force bool) (bool, int, error) {
	version, err := st.LinkableVersion(ctx)
	if err != nil {
		return false, 0, err
	}
	if !force {
		if b, err := st.SellerNetworksBuild(ctx); err != nil {
			return false, 0, err
		} else if !b.BuiltAt.IsZero() && b.Version == version {
			return false, 0, nil
		}
	}
	listings, err := st.SellerListings(ctx, -1)
	if err != nil {
		return false, 0, err
	}
	in := make([]sellers.Listing, len(listings))
	record := map[sellers.SellerKey]*store.NetworkSummary{} // per seller
	for i, l := range listings {
		in[i] = sellers.Listing{Site: l.Site, ListingID: l.ListingID, Seller: l.Seller, Title: l.Title, Text: []string{l.Description, l.OCRText}}
		if l.Thumbnail != "" {
			// The first kept photo's SHA-256 (images step): the same
			// photo file in two sellers' listings links them.
			in[i].ImageHashes = []string{l.Thumbnail}
		}
		k := sellers.SellerKey{Site: l.Site, Name: l.Seller}
		r := record[k]
		if r == nil {
			r = &store.NetworkSummary{}
			record[k] = r
		}
		addRecord(r, l.Row)
	}
	listings = nil
	linked := sellers.LinkListings(in)
	nets := make([]store.StoredNetwork, len(linked))
	for i, n := range linked {
		sn := store.StoredNetwork{ID: networkID(n.Sellers[0])}
		for _, k := range n.Sellers {
			sn.Sellers = append(sn.Sellers, [2]string{k.Site, k.Name})
			if r := record[k]; r != nil {
				mergeRecord(&sn.Summary, r)
			}
		}
		for _, l := range n.Links {
			sn.Links = append(sn.Links, store.NetworkLink{A: [2]string{l.A.Site, l.A.Name}, B: [2]string{l.B.Site, l.B.Name},
				Via: l.Via, Value: l.Value, Listings: l.Listing, Texts: l.Text})
		}
		nets[i] = sn
	}
	if err := st.ReplaceSellerNetworks(ctx, nets, store.NetworksBuild{BuiltAt: now, Version: version, Listings: len(in)}); err != nil {
		return false, 0, err
	}
	return true, len(nets), nil
}

// addRecord counts listing row into r.
func addRecord(r *store.NetworkSummary, row store.Row) {
	r.Listings++
	switch row.Status {
	case store.Confirmed, store.TakedownRequested, store.Removed, store.Reappeared:
		r.Confirmed++
	}
	if row.Status == store.Removed {
		r.Removed++
	}
	mergeSeen(r, row.FirstSeen, row.LastSeen)
}

// mergeRecord adds record b into a.
func mergeRecord(a, b *store.NetworkSummary) {
	a.Listings += b.Listings
	a.Confirmed += b.Confirmed
	a.Removed += b.Removed
	mergeSeen(a, b.FirstSeen, b.LastSeen)
}

func mergeSeen(r *store.NetworkSummary, first, last time.Time) {
	if r.FirstSeen.IsZero() || first.Before(r.FirstSeen) {
		r.FirstSeen = first
	}
	if last.After(r.LastSeen) {
		r.LastSeen = last
	}
}

// RunNetworks rebuilds the stored networks now and then every interval
// while linkable listings changed, until ctx is done.
func (s *Server) RunNetworks(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		start := time.Now()
		rebuilt, n, err := RebuildNetworks(ctx, s.store, s.now(), false)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Error("seller networks", "err", err)
		case rebuilt:
			s.log.Info("seller networks rebuilt", "networks", n, "duration", time.Since(start).Round(time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func viewOf(n store.NetworkSummary) *networkView {
	v := &networkView{ID: n.ID, Sites: n.Sites, SellerCount: n.SellerCount, ListingCount: n.Listings, Confirmed: n.Confirmed,
		Removed: n.Removed, FirstSeen: n.FirstSeen, LastSeen: n.LastSeen}
	for _, k := range n.Sellers {
		v.Sellers = append(v.Sellers, sellers.SellerKey{Site: k[0], Name: k[1]})
	}
	return v
}

// networksPerPage is how many networks the list shows per page.
const networksPerPage = 100

// networksPage lists the stored networks as of their last build, a page
// at a time (repeat=1: repeat offenders only).
func (s *Server) networksPage(w http.ResponseWriter, r *http.Request, p *principal) {
	q := r.URL.Query()
	minConfirmed := 0
	if q.Get("repeat") != "" {
		minConfirmed = RepeatOffender
	}
	pageNo := 1
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100000 {
			s.failErr(w, r, false, fmt.Errorf("%w: page: want a page number, got %q", store.ErrInvalid, v))
			return
		}
		pageNo = n
	}
	sums, total, err := s.store.SellerNetworkPage(r.Context(), minConfirmed, networksPerPage, (pageNo-1)*networksPerPage)
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	build, err := s.store.SellerNetworksBuild(r.Context())
	if err != nil {
		s.failErr(w, r, false, err)
		return
	}
	nets := make([]*networkView, len(sums))
	for i, n := range sums {
		nets[i] = viewOf(n)
	}
	more := url.Values{"page": {strconv.Itoa(pageNo + 1)}}
	if minConfirmed > 0 {
		more.Set("repeat", "1")
	}
	next := ""
	if pageNo*networksPerPage < total {
		next = "/networks?" + more.Encode()
	}
	s.render(w, r, "networks.html", p, "Seller networks", map[string]any{"Networks": nets, "Repeat": RepeatOffender, "Build": build,
		"Total": total, "From": (pageNo-1)*networksPerPage + 1, "To": (pageNo-1)*networksPerPage + len(nets), "Next": next})
}

// network reads the stored network of the request's id with its links
// and listings.
func (s *Server) network(w http.ResponseWriter, r *http.Request) (*networkView, bool) {
	id := r.PathValue("id")
	sum, ok, err := s.store.SellerNetwork(r.Context(), id)
	if err == nil && !ok {
		s.fail(w, r, false, http.StatusNotFound, "no such seller network")
		return nil, false
	}
	var links []store.NetworkLink
	if err == nil {
		links, err = s.store.SellerNetworkLinks(r.Context(), id)
	}
	var rows []store.Row
	if err == nil {
		rows, err = s.store.NetworkListings(r.Context(), id, networkPageListings)
	}
	if err != nil {
		s.failErr(w, r, false, err)
		return nil, false
	}
	v := viewOf(sum)
	v.Listings = rows
	for _, l := range links {
		v.Links = append(v.Links, sellers.Link{A: sellers.SellerKey{Site: l.A[0], Name: l.A[1]}, B: sellers.SellerKey{Site: l.B[0], Name: l.B[1]},
			Via: l.Via, Value: l.Value, Listing: l.Listings, Text: l.Texts})
	}
	return v, true
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
	f := store.BatchFilter{Label: "network=" + n.ID, Network: n.ID}
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
