package queue

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/markwatch/markwatch"
)

// The task payload: how the Redis frontier stores a task in a stream entry,
// a delayed member or a dead letter. Run, site and id are not in it (they
// live in the entry, the key and the stream id). A queued task's memory is
// mostly its payload, and every Add and Lease encodes or decodes one per
// task, so the payload is a compact binary record rather than JSON:
//
//	0x01                          version
//	tag len value  ...            one per field that is set, in any order
//
// tag is one byte naming the field, len a uvarint, value len bytes:
// strings as they are, integers as varints, a price as its shortest
// decimal, a time as a varint of seconds and a uvarint of nanoseconds, the
// listing as a nested record of the same form (without the version byte).
// Every value is length-prefixed, so a decoder skips tags it does not know:
// a field added later does not break older workers. The two common kinds
// have a one-byte form (tags 'S' and 'I', empty value), and so have an
// item task's listing URL and site when they are the task's (tags 'U' and
// 'Z'), as they are for every item page a search card leads to.
//
// Payloads written before this encoding are JSON objects (they start with
// '{') and are still decoded. Workers that only know JSON cannot read the
// compact form: upgrade the whole fleet together (a task they failed to
// decode is dead-lettered and can be requeued once they are upgraded).
//
// A task's URL usually repeats its own fields: a search URL carries the
// query (percent-escaped: nine bytes a Chinese character) and often the
// page, an item URL the listing id. Such a URL is stored as a template
// (tag 'x') in which the first occurrence of the escaped query and of the
// listing id, and the last of the page number, are each a two-byte marker
// (0x00 and a letter, see urlTemplate); the encoder keeps a template only
// when it expands back to the very URL. A payload with a template starts
// with version 0x02, which workers older than templates refuse (dead
// letter, requeue after the upgrade) rather than run without a URL.
const (
	payloadVersion    = 0x01
	payloadVersionURL = 0x02 // the URL is a template (tag 'x')
)

// Task fields.
const (
	tagKindSearch = 'S'
	tagKindItem   = 'I'
	tagKind       = 'k'
	tagSweep      = 'w'
	tagURL        = 'u'
	tagQuery      = 'q'
	tagPage       = 'p'
	tagAttempt    = 'a'
	tagPriority   = 'P'
	tagNotBefore  = 'n'
	tagMaxPages   = 'm'
	tagListing    = 'L'
	tagLastError  = 'e'
	tagURLPattern = 'x' // the URL as a template of the task's fields
)

// Listing fields.
const (
	tagListingID   = 'i'
	tagTitle       = 't'
	tagDescription = 'd'
	tagPrice       = '$'
	tagSeller      = 's'
	tagShipFrom    = 'f'
	tagCategory    = 'c'
	tagListingURL  = 'u'
	tagSameURL     = 'U' // the listing's URL is the task's
	tagSite        = 'S'
	tagSameSite    = 'Z' // the listing's site is the task's
	tagImage       = 'g'
	tagFetchedAt   = 'T'
	tagEvidence    = 'v'
	tagCurrency    = 'C'
	tagItemPage    = 'P'
	tagAd          = 'A' // empty value: the listing was shown as an ad
	tagImages      = 'G' // one per further image URL, in order
)

func appendUvarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendVarint(b []byte, v int64) []byte {
	u := uint64(v) << 1
	if v < 0 {
		u = ^u
	}
	return appendUvarint(b, u)
}

func varintLen(v int64) int {
	u := uint64(v) << 1
	if v < 0 {
		u = ^u
	}
	n := 1
	for u >= 0x80 {
		u >>= 7
		n++
	}
	return n
}

func appendString(b []byte, tag byte, s string) []byte {
	if s == "" {
		return b
	}
	b = append(b, tag)
	b = appendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendInt(b []byte, tag byte, v int64) []byte {
	if v == 0 {
		return b
	}
	b = append(b, tag, byte(varintLen(v)))
	return appendVarint(b, v)
}

func appendTime(b []byte, tag byte, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	sec, nsec := t.Unix(), uint64(t.Nanosecond())
	var tmp [20]byte
	v := appendUvarint(appendVarint(tmp[:0], sec), nsec)
	b = append(b, tag, byte(len(v)))
	return append(b, v...)
}

// appendTask appends t's payload to b.
func appendTask(b []byte, t *markwatch.Task) []byte {
	pattern, templated := urlTemplate(t)
	if templated {
		b = append(b, payloadVersionURL)
	} else {
		b = append(b, payloadVersion)
	}
	switch t.Kind {
	case markwatch.KindSearch:
		b = append(b, tagKindSearch, 0)
	case markwatch.KindItem:
		b = append(b, tagKindItem, 0)
	default:
		b = appendString(b, tagKind, string(t.Kind))
	}
	b = appendString(b, tagSweep, t.Sweep)
	if templated {
		b = appendString(b, tagURLPattern, pattern)
	} else {
		b = appendString(b, tagURL, t.URL)
	}
	b = appendString(b, tagQuery, t.Query)
	b = appendInt(b, tagPage, int64(t.Page))
	b = appendInt(b, tagAttempt, int64(t.Attempt))
	b = appendInt(b, tagPriority, int64(t.Priority))
	if !t.NotBefore.IsZero() {
		b = appendInt(b, tagNotBefore, ms(t.NotBefore))
	}
	b = appendInt(b, tagMaxPages, int64(t.MaxPages))
	if l := t.Listing; l != nil {
		var tmp [256]byte
		rec := appendListing(tmp[:0], l, t)
		b = append(b, tagListing)
		b = appendUvarint(b, uint64(len(rec)))
		b = append(b, rec...)
	}
	return appendString(b, tagLastError, t.LastError)
}

func appendListing(b []byte, l *markwatch.Listing, t *markwatch.Task) []byte {
	b = appendString(b, tagListingID, l.ID)
	b = appendString(b, tagTitle, l.Title)
	b = appendString(b, tagDescription, l.Description)
	if l.Price != nil {
		// The shortest decimal that parses back to the same float64.
		var tmp [32]byte
		b = appendString(b, tagPrice, string(strconv.AppendFloat(tmp[:0], *l.Price, 'g', -1, 64)))
	}
	b = appendString(b, tagSeller, l.Seller)
	b = appendString(b, tagShipFrom, l.ShipFrom)
	b = appendString(b, tagCategory, l.Category)
	if l.URL != "" && l.URL == t.URL {
		b = append(b, tagSameURL, 0)
	} else {
		b = appendString(b, tagListingURL, l.URL)
	}
	if l.Site != "" && l.Site == t.Site {
		b = append(b, tagSameSite, 0)
	} else {
		b = appendString(b, tagSite, l.Site)
	}
	b = appendString(b, tagImage, l.Image)
	for _, img := range l.Images {
		b = appendString(b, tagImages, img)
	}
	// Photos, ImageText and PhotoHits are not carried: the images step
	// makes them after a task is leased, from Image and Images.
	b = appendTime(b, tagFetchedAt, l.FetchedAt)
	b = appendString(b, tagCurrency, l.Currency)
	b = appendString(b, tagItemPage, l.ItemPage)
	if l.Ad {
		b = append(b, tagAd, 0)
	}
	return appendString(b, tagEvidence, l.Evidence)
}

// URL template markers: 0x00 and one of these letters stands for a field.
const (
	markQueryEscaped = 'q' // url.QueryEscape(Query)
	markPathEscaped  = 'Q' // url.PathEscape(Query)
	markQueryRaw     = 'r' // Query as it is
	markPage         = 'p' // Page in decimal
	markListingID    = 'i' // Listing.ID
)

// urlTemplate returns t.URL with the task's query, page and listing id
// replaced by markers where that makes it shorter, and whether it did: a
// template is kept only when expandURL gives t.URL back.
func urlTemplate(t *markwatch.Task) (string, bool) {
	u := t.URL
	if len(u) < 8 || strings.IndexByte(u, 0) >= 0 {
		return "", false
	}
	pattern, changed := u, false
	// Each marker is two bytes: values of three or more are worth it.
	replace := func(value string, mark byte, last bool) bool {
		if len(value) < 3 || strings.IndexByte(value, 0) >= 0 {
			return false
		}
		i := strings.Index(pattern, value)
		if last {
			i = strings.LastIndex(pattern, value)
		}
		if i < 0 {
			return false
		}
		pattern = pattern[:i] + "\x00" + string(mark) + pattern[i+len(value):]
		changed = true
		return true
	}
	if t.Query != "" {
		_ = replace(url.QueryEscape(t.Query), markQueryEscaped, false) ||
			replace(url.PathEscape(t.Query), markPathEscaped, false) ||
			replace(t.Query, markQueryRaw, false)
	}
	if t.Listing != nil {
		replace(t.Listing.ID, markListingID, false)
	}
	if t.Page > 0 {
		replace(strconv.Itoa(t.Page), markPage, true)
	}
	if !changed {
		return "", false
	}
	if got, ok := expandURL(pattern, t); !ok || got != u {
		return "", false // a value inside another, or a marker's value changed the first match
	}
	return pattern, true
}

// expandURL rebuilds a URL from its template and the task's fields.
func expandURL(pattern string, t *markwatch.Task) (string, bool) {
	var b strings.Builder
	b.Grow(len(pattern) + 64)
	for {
		i := strings.IndexByte(pattern, 0)
		if i < 0 {
			b.WriteString(pattern)
			return b.String(), true
		}
		if i+1 >= len(pattern) {
			return "", false
		}
		b.WriteString(pattern[:i])
		switch pattern[i+1] {
		case markQueryEscaped:
			b.WriteString(url.QueryEscape(t.Query))
		case markPathEscaped:
			b.WriteString(url.PathEscape(t.Query))
		case markQueryRaw:
			b.WriteString(t.Query)
		case markPage:
			b.WriteString(strconv.Itoa(t.Page))
		case markListingID:
			if t.Listing == nil {
				return "", false
			}
			b.WriteString(t.Listing.ID)
		default:
			return "", false
		}
		pattern = pattern[i+2:]
	}
}

func encodeTask(t markwatch.Task) (string, error) {
	var tmp [192]byte
	return string(appendTask(tmp[:0], &t)), nil
}

var errPayload = errors.New("malformed payload")

// fields walks a record's fields; value slices share s's memory.
type fields struct {
	s   string
	err error
}

func readUvarint(s string) (uint64, int) {
	var v uint64
	for i := 0; i < len(s) && i < 10; i++ {
		c := s[i]
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}

func readVarint(s string) (int64, int) {
	u, n := readUvarint(s)
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v, n
}

// next returns the next field's tag and value; ok is false at the end or
// on a malformed record (then f.err is set).
func (f *fields) next() (tag byte, value string, ok bool) {
	if len(f.s) == 0 {
		return 0, "", false
	}
	tag = f.s[0]
	n, w := readUvarint(f.s[1:])
	if w == 0 || n > uint64(len(f.s)-1-w) {
		f.err = errPayload
		return 0, "", false
	}
	start := 1 + w
	value, f.s = f.s[start:start+int(n)], f.s[start+int(n):]
	return tag, value, true
}

func (f *fields) int(value string) int64 {
	v, n := readVarint(value)
	if n != len(value) {
		f.err = errPayload
	}
	return v
}

// decodeTask rebuilds a leased task from its payload.
func decodeTask(site, run, id, payload string) (markwatch.Task, error) {
	t := markwatch.Task{ID: id, Run: run, Site: site}
	var err error
	switch {
	case len(payload) > 0 && (payload[0] == payloadVersion || payload[0] == payloadVersionURL):
		err = decodeCompact(&t, payload[0], payload[1:])
	case len(payload) > 0 && payload[0] == '{':
		err = decodeJSON(&t, payload)
	default:
		err = errPayload
	}
	if err != nil {
		return markwatch.Task{}, fmt.Errorf("queue: decode task %s of site %s: %w", id, site, err)
	}
	return t, nil
}

func decodeCompact(t *markwatch.Task, version byte, payload string) error {
	f := fields{s: payload}
	var pattern string
	var templated, sameURL bool
	for {
		tag, v, ok := f.next()
		if !ok {
			break
		}
		switch tag {
		case tagKindSearch:
			t.Kind = markwatch.KindSearch
		case tagKindItem:
			t.Kind = markwatch.KindItem
		case tagKind:
			t.Kind = markwatch.TaskKind(v)
		case tagSweep:
			t.Sweep = v
		case tagURL:
			t.URL = v
		case tagURLPattern:
			pattern, templated = v, true
		case tagQuery:
			t.Query = v
		case tagPage:
			t.Page = int(f.int(v))
		case tagAttempt:
			t.Attempt = int(f.int(v))
		case tagPriority:
			t.Priority = int(f.int(v))
		case tagNotBefore:
			t.NotBefore = time.UnixMilli(f.int(v))
		case tagMaxPages:
			t.MaxPages = int(f.int(v))
		case tagLastError:
			t.LastError = v
		case tagListing:
			l, same, err := decodeListing(v, t)
			if err != nil {
				return err
			}
			t.Listing, sameURL = l, same
		}
	}
	if f.err != nil {
		return f.err
	}
	if templated != (version == payloadVersionURL) {
		return fmt.Errorf("%w: URL template and version disagree", errPayload)
	}
	if templated {
		// Expanded once every field is known: the listing comes after the URL.
		u, ok := expandURL(pattern, t)
		if !ok {
			return fmt.Errorf("%w: URL template", errPayload)
		}
		t.URL = u
		if sameURL {
			t.Listing.URL = u
		}
	}
	return nil
}

// decodeListing reads a listing record; t is its task, URL and site
// already decoded (the URL comes before the listing in every payload; a
// templated URL is expanded after it: sameURL says the listing's URL is
// the task's).
func decodeListing(rec string, t *markwatch.Task) (l *markwatch.Listing, sameURL bool, err error) {
	l = &markwatch.Listing{}
	f := fields{s: rec}
	for {
		tag, v, ok := f.next()
		if !ok {
			break
		}
		switch tag {
		case tagListingID:
			l.ID = v
		case tagTitle:
			l.Title = v
		case tagDescription:
			l.Description = v
		case tagPrice:
			p, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(p) {
				return nil, false, fmt.Errorf("%w: listing price %q", errPayload, v)
			}
			l.Price = &p
		case tagSeller:
			l.Seller = v
		case tagShipFrom:
			l.ShipFrom = v
		case tagCategory:
			l.Category = v
		case tagListingURL:
			l.URL = v
		case tagSameURL:
			l.URL, sameURL = t.URL, true
		case tagSite:
			l.Site = v
		case tagSameSite:
			l.Site = t.Site
		case tagImage:
			l.Image = v
		case tagImages:
			l.Images = append(l.Images, v)
		case tagFetchedAt:
			sec, n := readVarint(v)
			nsec, m := readUvarint(v[n:])
			if n == 0 || m == 0 || n+m != len(v) || nsec >= 1e9 {
				return nil, false, fmt.Errorf("%w: listing fetch time", errPayload)
			}
			l.FetchedAt = time.Unix(sec, int64(nsec)).UTC()
		case tagEvidence:
			l.Evidence = v
		case tagCurrency:
			l.Currency = v
		case tagItemPage:
			l.ItemPage = v
		case tagAd:
			l.Ad = true
		}
	}
	return l, sameURL, f.err
}

// jsonTask is the payload written before the compact encoding, still read.
type jsonTask struct {
	Sweep     string             `json:"s,omitempty"`
	Kind      markwatch.TaskKind `json:"k"`
	URL       string             `json:"u,omitempty"`
	Query     string             `json:"q,omitempty"`
	Page      int                `json:"p,omitempty"`
	Attempt   int                `json:"a,omitempty"`
	Priority  int                `json:"P,omitempty"`
	NotBefore int64              `json:"n,omitempty"`
	MaxPages  int                `json:"m,omitempty"`
	Listing   *markwatch.Listing `json:"l,omitempty"`
	LastError string             `json:"e,omitempty"`
}

func decodeJSON(t *markwatch.Task, payload string) error {
	var w jsonTask
	if err := json.Unmarshal([]byte(payload), &w); err != nil {
		return err
	}
	t.Sweep, t.Kind, t.URL, t.Query, t.Page, t.Attempt = w.Sweep, w.Kind, w.URL, w.Query, w.Page, w.Attempt
	t.Priority, t.MaxPages, t.Listing, t.LastError = w.Priority, w.MaxPages, w.Listing, w.LastError
	if w.NotBefore != 0 {
		t.NotBefore = time.UnixMilli(w.NotBefore)
	}
	return nil
}
