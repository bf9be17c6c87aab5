package review_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/markwatch/markwatch/review"
)

// TestTokensRevokedByPasswordChangeAndRevocation goes through the HTTP API:
// a token minted before a password change is refused after it, and a
// revoked token is refused on the very next request.
func TestTokensRevokedByPasswordChangeAndRevocation(t *testing.T) {
	f := newFixture(t, review.Options{})
	me := func(token string) int {
		r, _ := f.do(nil, "GET", "/api/v1/me", token, "", "", "")
		return r.StatusCode
	}
	old := f.tokens["rita"]
	if got := me(old); got != http.StatusOK {
		t.Fatalf("fresh token: %d", got)
	}
	r, body := f.do(nil, "POST", "/api/v1/users/rita", f.tokens["adam"], "", "application/json", `{"password":"a brand new password"}`)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("password change: %d %s", r.StatusCode, body)
	}
	if got := me(old); got != http.StatusUnauthorized {
		t.Errorf("token minted before the password change: %d, want 401", got)
	}

	// A new token, listed, revoked by an admin session: refused at once.
	r, body = f.do(nil, "POST", "/api/v1/tokens", f.tokens["vera"], "", "application/json", `{"label":"script","expires_in_days":30}`)
	if r.StatusCode != http.StatusForbidden {
		t.Errorf("viewer created a token: %d", r.StatusCode)
	}
	c, csrf := f.login("adam")
	r, body = f.do(nil, "POST", "/api/v1/tokens", "", "", "application/json", `{}`)
	if r.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous token creation: %d", r.StatusCode)
	}
	r, body = f.do(c, "POST", "/api/v1/tokens", "", csrf, "application/json", `{"label":"script","expires_in_days":30}`)
	if r.StatusCode != http.StatusCreated || !strings.Contains(body, "expires_at") {
		t.Fatalf("create: %d %s", r.StatusCode, body)
	}
	token := body[strings.Index(body, "mwt_"):]
	token = token[:strings.IndexByte(token, '"')]
	if got := me(token); got != http.StatusOK {
		t.Fatalf("new token: %d", got)
	}
	var list struct {
		Tokens []struct {
			ID     int64
			Label  string
			Active bool
		}
	}
	f.getJSON(c, "/api/v1/tokens", &list)
	if len(list.Tokens) != 2 || !list.Tokens[0].Active || list.Tokens[0].Label != "script" || !list.Tokens[1].Active {
		t.Fatalf("token list: %+v", list.Tokens)
	}
	if r, _ := f.do(c, "POST", fmt.Sprintf("/api/v1/tokens/%d/revoke", list.Tokens[0].ID), "", csrf, "", ""); r.StatusCode != http.StatusOK {
		t.Fatalf("admin revoke: %d", r.StatusCode)
	}
	if got := me(token); got != http.StatusUnauthorized {
		t.Errorf("revoked token: %d, want 401", got)
	}
	html := f.get(c, "/account", http.StatusOK)
	if !strings.Contains(html, "revoked") || !strings.Contains(html, "script") {
		t.Errorf("account page does not list the revoked token")
	}
}
