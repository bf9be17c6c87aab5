package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/evidence"
	"github.com/markwatch/markwatch/images"
	"github.com/markwatch/markwatch/images/synth"
	"github.com/markwatch/markwatch/internal/testredis"
	"github.com/markwatch/markwatch/queue"
	"github.com/markwatch/markwatch/store"
	"github.com/markwatch/markwatch/store/storetest"
)

func reviewGlobals() (*Globals, *bytes.Buffer) {
	var out bytes.Buffer
	g := &Globals{LogLevel: "error", stdout: &out, stderr: &bytes.Buffer{}}
	return g, &out
}

func TestIngestVerdictLinesIdempotently(t *testing.T) {
	dir := t.TempDir()
	lines := strings.Join([]string{
		`{"id":"x1","suspect":true,"score":0.96,"hits":[{"mark":"nike","kind":"trademark","field":"title","start":3,"end":7,"text":"Nike"}],"signals":[{"type":"slang","detail":"\"高仿\" in title","weight":0.6}],"listing":{"id":"x1","title":"高仿 Nike 鞋","price":59,"site":"shop"}}`,
		`{"id":"x2","suspect":false,"score":0,"hits":[],"signals":[],"error":"line 2: not a listing"}`,
		`{"id":"x3","suspect":true,"score":0.9,"hits":[],"signals":[]}`,
		`{"id":"x4","suspect":false,"score":0.1,"hits":[{"mark":"nike","kind":"trademark","field":"title","start":3,"end":7,"text":"Nike"}],"signals":[],"listing":{"id":"x4","title":"适用于Nike"}}`,
		``,
	}, "\n")
	for i, want := range []string{
		`{"lines":4,"stored":2,"already":0,"skipped":2,"invalid":0}`,
		`{"lines":4,"stored":0,"already":2,"skipped":2,"invalid":0}`, // replayed: nothing new
	} {
		g, out := reviewGlobals()
		c := &IngestCmd{Data: dir, RunID: "import-1", Site: "unknown", Batch: 1, stdin: strings.NewReader(lines)}
		if err := c.Run(g); err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(out.String()); got != want {
			t.Errorf("run %d: %s, want %s", i+1, got, want)
		}
	}
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, total, err := st.Suspects(context.Background(), store.Filter{All: true})
	if err != nil || total != 2 {
		t.Fatalf("stored %d listings, %v", total, err)
	}
	for _, r := range rows {
		if r.ListingID == "x4" && r.Site != "unknown" {
			t.Errorf("listing without a site filed under %q", r.Site)
		}
		if r.ListingID == "x1" && (r.Site != "shop" || r.Run != "import-1" || !r.Suspect || r.Mark != "nike") {
			t.Errorf("x1 = %+v", r)
		}
	}

	g, _ := reviewGlobals()
	bad := &IngestCmd{Data: dir, RunID: "import-2", Batch: 10, stdin: strings.NewReader(lines + "{not json\n")}
	if err := bad.Run(g); err == nil || !strings.Contains(err.Error(), "stdin:5:") {
		t.Errorf("malformed line: %v, want an error naming line 5", err)
	}
}

func TestUsersCommands(t *testing.T) {
	dir := t.TempDir()
	g, out := reviewGlobals()
	add := &UsersAddCmd{Data: dir, Name: "alice", Role: "admin", stdin: strings.NewReader("a long password\n")}
	if err := add.Run(g); err != nil {
		t.Fatal(err)
	}
	if err := (&UsersAddCmd{Data: dir, Name: "bob", Role: "viewer", stdin: strings.NewReader("")}).Run(g); err == nil {
		t.Error("a user without a password was added")
	}
	out.Reset()
	if err := (&UsersListCmd{Data: dir}).Run(g); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "alice") || !strings.Contains(out.String(), "admin") || strings.Contains(out.String(), "bob") {
		t.Errorf("list:\n%s", out)
	}
	out.Reset()
	if err := (&UsersTokenCmd{Data: dir, Name: "alice", Label: "ci"}).Run(g); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(out.String())
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if u, err := st.UserByToken(context.Background(), token); err != nil || u.Name != "alice" {
		t.Errorf("token %q: %+v %v", token, u, err)
	}
	if _, err := st.Authenticate(context.Background(), "alice", "a long password"); err != nil {
		t.Errorf("password from stdin: %v", err)
	}
	st.Close()

	for _, cmd := range []interface{ Run(*Globals) error }{
		&UsersPasswdCmd{Data: dir, Name: "alice", stdin: strings.NewReader("another long password\n")},
		&UsersRoleCmd{Data: dir, Name: "alice", Role: "viewer"},
		&UsersDisableCmd{Data: dir, Name: "alice"},
	} {
		if err := cmd.Run(g); err != nil {
			t.Fatal(err)
		}
	}
	st, err = store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if u, err := st.User(context.Background(), "alice"); err != nil || u.Role != store.Viewer || !u.Disabled {
		t.Errorf("after role and disable: %+v %v", u, err)
	}
	if _, err := st.Authenticate(context.Background(), "alice", "another long password"); err == nil {
		t.Error("a disabled user logged in")
	}
	if err := (&UsersRoleCmd{Data: dir, Name: "nobody", Role: "admin"}).Run(g); err == nil {
		t.Error("changed the role of a user that does not exist")
	}
}

// TestServeConsumesFindingsFromRedis publishes findings the way workers do
// and checks that the serve process's consumer stores them, evidence
// included, once each even when a batch is published twice.
func TestServeConsumesFindingsFromRedis(t *testing.T) {
	srv := testredis.Start(t)
	client := srv.Client()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	pub := queue.NewFindingsPublisher(client)
	page := storetest.Page("shop", "run-7", "<html>高仿 Nike</html>", time.Now().UTC())
	findings := []markwatch.Finding{storetest.Finding("run-7", "shop", "a1", "Nike", "", 59, time.Time{})}
	for range 2 { // a redelivered page
		if err := pub.Put(ctx, page, findings); err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewRegistry()
	consumer := &queue.FindingsConsumer{Client: client, Group: "store", Consumer: "test",
		Handle: StoreFindingsBatch(st), Metrics: queue.NewMetrics(reg), Block: 100 * time.Millisecond}
	done := make(chan error, 1)
	go func() { done <- consumer.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second) // generous: a loaded machine must not fail it
	for {
		if testutil.ToFloat64(consumer.Metrics.FindingsIngested) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the consumer did not store the findings within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	rows, total, err := st.Suspects(context.Background(), store.Filter{})
	if err != nil || total != 1 {
		t.Fatalf("stored %d listings, %v", total, err)
	}
	if rows[0].Evidence != evidence.Hash(page.Body) {
		t.Errorf("evidence = %q, want the page's SHA-256", rows[0].Evidence)
	}
	if _, _, err := st.Evidence().Get(rows[0].Evidence); err != nil {
		t.Errorf("evidence not stored: %v", err)
	}
	if run, _ := st.Run(context.Background(), "run-7"); run.Findings != 1 {
		t.Errorf("run findings = %d, want 1 (the duplicate batch changed nothing)", run.Findings)
	}
}

// A line that is not a verdict is counted and named, and the good lines
// before and after it are stored all the same.
func TestIngestKeepsGoodLinesAroundABadOne(t *testing.T) {
	dir := t.TempDir()
	good := func(id string) string {
		return `{"id":"` + id + `","suspect":true,"score":0.9,"hits":[],"signals":[],"listing":{"id":"` + id + `","title":"高仿 耐克","site":"shop"}}`
	}
	lines := strings.Join([]string{good("a"), good("b"), `garbage`, good("c")}, "\n")
	g, out := reviewGlobals()
	c := &IngestCmd{Data: dir, RunID: "r", Site: "unknown", Batch: 100, stdin: strings.NewReader(lines)}
	err := c.Run(g)
	if err == nil || !strings.Contains(err.Error(), "stdin:3: not a verdict line") {
		t.Fatalf("got %v, want an error naming line 3", err)
	}
	if got := strings.TrimSpace(out.String()); got != `{"lines":4,"stored":3,"already":0,"skipped":0,"invalid":1}` {
		t.Fatalf("stats %s", got)
	}
}

// A worker and serve on different data directories: the photos of kept
// findings travel in the batches (each once per worker) and serve stores
// them beside its evidence; bytes that are not the photo their hash names
// are refused while the finding is stored all the same.
func TestServeStoresWorkerPhotos(t *testing.T) {
	srv := testredis.Start(t)
	client := srv.Client()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := store.Open(ctx, t.TempDir()) // serve's data directory
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	workerPhotos, err := images.OpenStore(t.TempDir()) // the worker's
	if err != nil {
		t.Fatal(err)
	}
	shared := synth.JPEG(synth.Draw(synth.Emblem, 1, 48), 80)
	own := synth.PNG(synth.Draw(synth.Mascot, 2, 48))
	sharedHash, _ := workerPhotos.Put(shared, "jpeg")
	ownHash, _ := workerPhotos.Put(own, "png")

	pub := queue.NewFindingsPublisher(client)
	pub.Photos = workerPhotos
	for i, photos := range [][]string{{sharedHash, ownHash}, {sharedHash}} {
		id := fmt.Sprint("p", i)
		f := storetest.Finding("run-8", "shop", id, "Nike", "", 59, time.Time{})
		for _, h := range photos {
			f.Listing.Photos = append(f.Listing.Photos, markwatch.Photo{URL: "http://img.shop.test/" + h[:8], SHA256: h, Format: "jpeg"})
		}
		page := storetest.Page("shop", "run-8", "<html>高仿 Nike "+id+"</html>", time.Now().UTC())
		page.URL += "/" + id
		if err := pub.Put(ctx, page, []markwatch.Finding{f}); err != nil {
			t.Fatal(err)
		}
	}
	// A hostile batch: bytes that are not the photo their hash names, and
	// a non-image under its true hash.
	notImage := []byte("<script>alert(1)</script>")
	bad := storetest.Finding("run-8", "shop", "p9", "Nike", "", 59, time.Time{})
	hostile := queue.FindingsBatch{Run: "run-8", Site: "shop", Findings: []markwatch.Finding{bad},
		Photos: []queue.PhotoBytes{{SHA256: sharedHash, Format: "jpeg", Data: own}, {SHA256: evidence.Hash(notImage), Format: "png", Data: notImage}}}
	data, _ := json.Marshal(hostile)
	if err := client.XAdd(ctx, &redis.XAddArgs{Stream: "mw:{findings}:stream", Values: []string{"b", string(data)}}).Err(); err != nil {
		t.Fatal(err)
	}
	// What travelled: the first batch carries both photos, the second none.
	entries, err := client.XRange(ctx, "mw:{findings}:stream", "-", "+").Result()
	if err != nil || len(entries) != 3 {
		t.Fatalf("stream: %d entries, %v", len(entries), err)
	}
	var carried []int
	for _, e := range entries[:2] {
		var b queue.FindingsBatch
		if err := json.Unmarshal([]byte(e.Values["b"].(string)), &b); err != nil {
			t.Fatal(err)
		}
		carried = append(carried, len(b.Photos))
	}
	if carried[0] != 2 || carried[1] != 0 {
		t.Fatalf("photos carried per batch: %v, want [2 0]", carried)
	}

	reg := prometheus.NewRegistry()
	log := slog.New(slog.DiscardHandler)
	consumer := &queue.FindingsConsumer{Client: client, Group: "store", Consumer: "test",
		Handle: photosFirst(StoreFindingsBatch(st), st, log), HandleBatch: photosFirstBatches(StoreFindingsBatches(st), st, log),
		Metrics: queue.NewMetrics(reg), Block: 100 * time.Millisecond}
	done := make(chan error, 1)
	go func() { done <- consumer.Run(ctx) }()
	deadline := time.Now().Add(2 * time.Minute) // only guards against a hang
	for testutil.ToFloat64(consumer.Metrics.FindingsIngested) < 3 {
		if time.Now().After(deadline) {
			t.Fatal("the consumer did not store the findings")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	served, err := images.OpenStore(images.EvidenceDir(st.Evidence().Dir()))
	if err != nil {
		t.Fatal(err)
	}
	for h, want := range map[string][]byte{sharedHash: shared, ownHash: own} {
		if got, _, err := served.Get(h); err != nil || !bytes.Equal(got, want) {
			t.Errorf("serve's photo %.12s: %v", h, err)
		}
	}
	if _, _, err := served.Get(evidence.Hash(notImage)); err == nil {
		t.Error("serve stored a non-image")
	}
	if _, total, err := st.Suspects(context.Background(), store.Filter{}); err != nil || total != 3 {
		t.Fatalf("stored %d listings, %v; want 3 (the hostile batch's finding too)", total, err)
	}
}
