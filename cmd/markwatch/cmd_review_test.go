package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/markwatch/markwatch/store"
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
		`{"lines":4,"stored":2,"already":0,"skipped":2}`,
		`{"lines":4,"stored":0,"already":2,"skipped":2}`, // replayed: nothing new
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
}
