package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/markwatch/markwatch/store"
)

func TestTokenLifetimes(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	st, err := store.Open(ctx, t.TempDir(), store.WithBcryptCost(bcrypt.MinCost), store.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, name := range []string{"rita", "olga"} {
		if _, err := st.AddUser(ctx, "test", name, store.Reviewer, "correct horse battery"); err != nil {
			t.Fatal(err)
		}
	}
	works := func(token string) bool {
		_, err := st.UserByToken(ctx, token)
		if err != nil && !errors.Is(err, store.ErrAuth) {
			t.Fatal(err)
		}
		return err == nil
	}
	before, _ := st.CreateToken(ctx, "test", "rita", "ci")
	other, _ := st.CreateToken(ctx, "test", "olga", "ci")
	if !works(before) {
		t.Fatal("a fresh token is refused")
	}
	if err := st.SetPassword(ctx, "rita", "rita", "another long password"); err != nil {
		t.Fatal(err)
	}
	if works(before) {
		t.Error("a token minted before a password change still works after it")
	}
	if !works(other) {
		t.Error("another user's token stopped working")
	}

	// Revoked: refused at once.
	after, _ := st.CreateToken(ctx, "test", "rita", "after")
	list, err := st.Tokens(ctx, "rita")
	if err != nil || len(list) != 2 || !list[0].Active || list[1].Active {
		t.Fatalf("tokens: %+v, %v", list, err)
	}
	if err := st.RevokeToken(ctx, "olga", list[0].ID, "olga"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("olga revoked rita's token: %v", err)
	}
	if err := st.RevokeToken(ctx, "rita", list[0].ID, "rita"); err != nil {
		t.Fatal(err)
	}
	if works(after) {
		t.Error("a revoked token still works")
	}

	// Expiry.
	expiring, err := st.CreateTokenUntil(ctx, "test", "olga", "short", now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !works(expiring) {
		t.Error("an unexpired token is refused")
	}
	now = now.Add(time.Hour)
	if works(expiring) {
		t.Error("an expired token still works")
	}
	if _, err := st.CreateTokenUntil(ctx, "test", "olga", "past", now.Add(-time.Minute)); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("a token expiring in the past: %v", err)
	}

	// Disabling revokes; enabling again does not bring tokens back.
	if err := st.SetDisabled(ctx, "admin", "olga", true); err != nil {
		t.Fatal(err)
	}
	st.SetDisabled(ctx, "admin", "olga", false)
	if works(other) {
		t.Error("a disabled-then-enabled user's old token works again")
	}
	log, _ := st.AuditLog(ctx, 50, 0)
	found := false
	for _, e := range log {
		found = found || e.Action == "revoke_token"
	}
	if !found {
		t.Error("revocation not audited")
	}
}
