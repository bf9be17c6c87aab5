package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/markwatch/markwatch/store"
)

func TestUsersTokensAndRevoke(t *testing.T) {
	dir := t.TempDir()
	g, out := reviewGlobals()
	if err := (&UsersAddCmd{Data: dir, Name: "alice", Role: "reviewer", stdin: strings.NewReader("a long password\n")}).Run(g); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := (&UsersTokenCmd{Data: dir, Name: "alice", Label: "ci", Expires: 48 * time.Hour}).Run(g); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(out.String())
	out.Reset()
	if err := (&UsersTokensCmd{Data: dir, Name: "alice"}).Run(g); err != nil {
		t.Fatal(err)
	}
	if list := out.String(); !strings.Contains(list, "ci") || !strings.Contains(list, "active") || strings.Contains(list, token) {
		t.Errorf("tokens:\n%s", list)
	}
	if err := (&UsersRevokeCmd{Data: dir}).Run(g); err == nil {
		t.Error("revoke with nothing named succeeded")
	}
	out.Reset()
	if err := (&UsersRevokeCmd{Data: dir, User: "alice"}).Run(g); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "revoked") {
		t.Errorf("revoke: %s", out)
	}
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.UserByToken(context.Background(), token); err == nil {
		t.Error("a revoked token still works")
	}
}
