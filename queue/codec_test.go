package queue

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
)

// fill sets every field of the struct v points to, by reflection, so that
// a field added to markwatch.Task or markwatch.Listing later and not
// carried by the payload codec fails the round trip below instead of being
// dropped silently.
func fill(t *testing.T, v reflect.Value, seed int) {
	t.Helper()
	typ := v.Type()
	for i := range v.NumField() {
		f, name := v.Field(i), typ.Field(i).Name
		if typ == reflect.TypeOf(markwatch.Listing{}) && madeAfterLease[name] {
			continue
		}
		switch {
		case f.Type() == reflect.TypeOf([]string{}):
			f.Set(reflect.ValueOf([]string{name + "1\x1f{耐克}", name + "2"}))
		case f.Type() == reflect.TypeOf(time.Time{}):
			f.Set(reflect.ValueOf(time.UnixMilli(1790000000123 + int64(seed+i)).UTC()))
		case f.Type() == reflect.TypeOf(&markwatch.Listing{}):
			l := reflect.New(f.Type().Elem())
			fill(t, l.Elem(), seed+100)
			f.Set(l)
		case f.Type() == reflect.TypeOf(new(float64)):
			p := 1999.99 + float64(seed)
			f.Set(reflect.ValueOf(&p))
		case f.Kind() == reflect.String:
			// Separator, braces and multibyte text: the payload must be binary safe.
			f.SetString(name + "\x1f{耐克}" + strings.Repeat("x", seed+i))
		case f.Kind() == reflect.Int:
			f.SetInt(int64(-3 + (seed+i)*1000))
		case f.Kind() == reflect.Bool:
			f.SetBool(true)
		default:
			t.Fatalf("fill: field %s.%s of type %s: teach the payload codec and this test about it", typ.Name(), name, f.Type())
		}
	}
}

// madeAfterLease are the Listing fields the payload codec does not carry on
// purpose: the images step makes them in the worker after the task is
// leased (from Image and Images, which are carried).
var madeAfterLease = map[string]bool{"Photos": true, "ImageText": true, "PhotoHits": true}

func utcTimes(task *markwatch.Task) {
	task.NotBefore = task.NotBefore.UTC()
	if task.Listing != nil {
		task.Listing.FetchedAt = task.Listing.FetchedAt.UTC()
	}
}

func TestPayloadRoundTripEveryField(t *testing.T) {
	var in markwatch.Task
	fill(t, reflect.ValueOf(&in).Elem(), 0)
	payload, err := encodeTask(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := decodeTask(in.Site, in.Run, in.ID, payload)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	utcTimes(&out)
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip lost fields:\n in  %+v %+v\n out %+v %+v", in, *in.Listing, out, *out.Listing)
	}
}

func TestPayloadRoundTrip(t *testing.T) {
	price := 0.1
	tests := []markwatch.Task{
		{Kind: markwatch.KindSearch, URL: "https://shop.example/s?q=%E8%80%90%E5%85%8B&page=2", Query: "耐克", Page: 2, Priority: 3, MaxPages: 5},
		{Kind: markwatch.KindItem, URL: "https://shop.example/i/1", Priority: -2, Listing: &markwatch.Listing{ID: "1", Price: &price}},
		{Kind: markwatch.KindItem, Listing: &markwatch.Listing{}},
		{Kind: markwatch.KindItem, URL: "https://shop.example/i/2", Listing: &markwatch.Listing{ID: "2", URL: "https://shop.example/i/2", Site: "shop"}},
		{Kind: markwatch.KindItem, URL: "https://shop.example/i/3", Listing: &markwatch.Listing{ID: "3", URL: "https://other.example/3", Site: "other"}},
		{Kind: "sitemap", Attempt: 3, LastError: "status 503", NotBefore: time.UnixMilli(-1000)},
		{},
	}
	for _, in := range tests {
		in.ID, in.Run, in.Site = "3/1-0", "r", "shop"
		payload, _ := encodeTask(in)
		out, err := decodeTask("shop", "r", "3/1-0", payload)
		if err != nil {
			t.Fatalf("decode %+v: %v", in, err)
		}
		utcTimes(&in)
		utcTimes(&out)
		if !reflect.DeepEqual(in, out) {
			t.Fatalf("round trip: got %+v, want %+v", out, in)
		}
	}
}

// A URL that repeats the task's query, page or listing id is stored as a
// template of them, and comes back exactly; where a template would not
// (a value inside another, a NUL), the URL is stored as it is.
func TestPayloadURLTemplate(t *testing.T) {
	tests := []struct {
		task      markwatch.Task
		templated bool
	}{
		{markwatch.Task{Kind: markwatch.KindSearch, URL: "http://127.0.0.1:38121/search?q=%E8%80%90%E5%85%8B&page=123", Query: "耐克", Page: 123}, true},
		{markwatch.Task{Kind: markwatch.KindSearch, URL: "https://s.example/search/nike%20air%E9%9E%8B/p2", Query: "nike air鞋", Page: 2}, true},
		{markwatch.Task{Kind: markwatch.KindSearch, URL: "https://s.example/search?q=nike+air&page=1", Query: "nike air", Page: 1}, true},
		{markwatch.Task{Kind: markwatch.KindSearch, URL: "https://s.example/s?q=gucci", Query: "gucci"}, true},
		{markwatch.Task{Kind: markwatch.KindSearch, URL: "https://s.example/s?q=gucci&p=222", Query: "gucci", Page: 222}, true},
		{markwatch.Task{Kind: markwatch.KindItem, URL: "https://m.example/item/6f3a9c2e81.html",
			Listing: &markwatch.Listing{ID: "6f3a9c2e81", URL: "https://m.example/item/6f3a9c2e81.html", Site: "shop"}}, true},
		{markwatch.Task{Kind: markwatch.KindItem, URL: "https://m.example/item/6f3a9c2e81.html",
			Listing: &markwatch.Listing{ID: "6f3a9c2e81", URL: "https://other.example/x"}}, true},
		// A value inside another: each marker stands where it was found.
		{markwatch.Task{Kind: markwatch.KindSearch, URL: "https://s.example/s?q=1234&p=123", Query: "1234", Page: 123}, true},
		{markwatch.Task{Kind: markwatch.KindItem, URL: "https://s.example/123/1234", Page: 123, Listing: &markwatch.Listing{ID: "1234"}}, true},
		// A NUL in the URL, values too short to be worth a marker, or not in the URL.
		{markwatch.Task{Kind: markwatch.KindSearch, URL: "https://s.example/s?q=ab\x00c&p=7", Query: "ab\x00c", Page: 7}, false},
		{markwatch.Task{Kind: markwatch.KindSearch, URL: "https://s.example/s?q=x&p=7", Query: "x", Page: 7}, false},
		{markwatch.Task{Kind: markwatch.KindSearch, URL: "https://s.example/s?q=other", Query: "nike"}, false},
	}
	for _, tc := range tests {
		in := tc.task
		in.ID, in.Run, in.Site = "3/1-0", "r", "shop"
		payload, _ := encodeTask(in)
		if got := payload[0] == payloadVersionURL; got != tc.templated {
			t.Errorf("%s: templated = %v, want %v", in.URL, got, tc.templated)
		}
		if pattern, ok := urlTemplate(&in); ok && len(pattern) >= len(in.URL) {
			t.Errorf("%s: template %q saves nothing", in.URL, pattern)
		}
		out, err := decodeTask("shop", "r", "3/1-0", payload)
		if err != nil {
			t.Fatalf("decode %+v: %v", in, err)
		}
		if !reflect.DeepEqual(in, out) {
			t.Fatalf("round trip: got %+v, want %+v", out, in)
		}
	}
	// A template that does not expand is an error, not a task without a URL.
	for _, bad := range []string{"\x02x\x03a\x00z", "\x02x\x02a\x00", "\x02x\x04a\x00ib", "\x01x\x03abc"} {
		if _, err := decodeTask("shop", "r", "id", bad); err == nil {
			t.Errorf("decode %q: no error", bad)
		}
	}
}

// Payloads queued by an earlier version (JSON) are still read.
func TestPayloadJSONStillDecoded(t *testing.T) {
	old := `{"s":"holiday","k":"item","u":"https://shop.example/i/1","a":2,"P":4,"n":1790000000123,"l":{"id":"1","title":"耐克 高仿","price":9.5},"e":"timeout"}`
	got, err := decodeTask("shop", "r", "0/1-0", old)
	if err != nil {
		t.Fatal(err)
	}
	if got.Sweep != "holiday" || got.Kind != markwatch.KindItem || got.Attempt != 2 || got.Priority != 4 || got.LastError != "timeout" ||
		got.NotBefore.UnixMilli() != 1790000000123 || got.Listing == nil || *got.Listing.Price != 9.5 || got.Listing.Title != "耐克 高仿" {
		t.Fatalf("legacy payload decoded as %+v", got)
	}
}

// Every truncation of a valid payload fails cleanly (or, cut at a field
// boundary, decodes to fewer fields); a byte that is not a known version
// is an error.
func TestPayloadMalformed(t *testing.T) {
	var in markwatch.Task
	fill(t, reflect.ValueOf(&in).Elem(), 0)
	payload, _ := encodeTask(in)
	for n := range len(payload) {
		_, _ = decodeTask("shop", "r", "id", payload[:n]) // must not panic
	}
	for _, bad := range []string{"", "\x02", "x", "\x01u\x05ab", "\x01p\x03\x01"} {
		if _, err := decodeTask("shop", "r", "id", bad); err == nil {
			t.Errorf("decode %q: no error", bad)
		}
	}
}

func FuzzDecodeTask(f *testing.F) {
	var in markwatch.Task
	fill(&testing.T{}, reflect.ValueOf(&in).Elem(), 0)
	p, _ := encodeTask(in)
	f.Add(p)
	f.Add(`{"k":"item","u":"x"}`)
	f.Fuzz(func(t *testing.T, payload string) {
		task, err := decodeTask("shop", "r", "id", payload)
		if err != nil {
			return
		}
		again, _ := encodeTask(task)
		back, err := decodeTask("shop", "r", "id", again)
		if err != nil {
			t.Fatalf("re-encoded payload does not decode: %v", err)
		}
		utcTimes(&task)
		utcTimes(&back)
		if task.Listing != nil && task.Listing.Price != nil && *task.Listing.Price != *task.Listing.Price {
			return // NaN from a legacy JSON payload cannot compare equal
		}
		if !reflect.DeepEqual(task, back) {
			t.Fatalf("not stable: %+v then %+v", task, back)
		}
	})
}

// The compact payloads of typical search and item tasks are well under
// their JSON.
func TestPayloadSmallerThanJSON(t *testing.T) {
	search := markwatch.Task{Site: "shop", Kind: markwatch.KindSearch, Query: "耐克", Page: 12,
		URL: "http://127.0.0.1:38121/search?q=%E8%80%90%E5%85%8B&page=12"}
	item := itemTaskSample()
	for _, task := range []markwatch.Task{search, item} {
		compact, _ := encodeTask(task)
		old, _ := json.Marshal(jsonTask{Kind: task.Kind, URL: task.URL, Query: task.Query, Page: task.Page, Listing: task.Listing})
		if len(compact) > len(old)*3/4 {
			t.Fatalf("%s task: compact payload %d bytes, JSON %d", task.Kind, len(compact), len(old))
		}
		t.Logf("%s task payload: compact %d bytes, JSON %d", task.Kind, len(compact), len(old))
	}
}

// itemTaskSample is a typical item-page task as a search card yields it
// (the listing's URL and site are the task's), for benchmarks and tests.
func itemTaskSample() markwatch.Task {
	price := 39.9
	url := "https://mart.example.com/item/6f3a9c2e81.html"
	return markwatch.Task{Run: "run", Site: "mart", Kind: markwatch.KindItem, URL: url, Query: "耐克", Priority: 1,
		Listing: &markwatch.Listing{ID: "6f3a9c2e81", Title: "耐克 Air Max 90 男鞋 高仿 1:1 原单", Price: &price,
			Seller: "潮鞋工厂店", ShipFrom: "福建莆田", URL: url, Site: "mart",
			Image: "https://img.mart.example.com/6f3a9c2e81/main.jpg", FetchedAt: time.Unix(1790000000, 123000000).UTC()}}
}
