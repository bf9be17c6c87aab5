package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"golang.org/x/crypto/bcrypt"
)

// Role is what a user may do: viewers read, reviewers also decide and
// export, admins also manage users.
type Role string

const (
	Viewer   Role = "viewer"
	Reviewer Role = "reviewer"
	Admin    Role = "admin"
)

// ParseRole checks s against the known roles.
func ParseRole(s string) (Role, error) {
	switch Role(s) {
	case Viewer, Reviewer, Admin:
		return Role(s), nil
	}
	return "", fmt.Errorf("%w: unknown role %q (want viewer, reviewer or admin)", ErrInvalid, s)
}

// Allows reports whether a user with role r may act as role need.
func (r Role) Allows(need Role) bool { return r.rank() >= need.rank() }

func (r Role) rank() int {
	switch r {
	case Viewer:
		return 1
	case Reviewer:
		return 2
	case Admin:
		return 3
	}
	return 0
}

var (
	// ErrAuth is returned for a wrong name, password, token or session.
	ErrAuth = errors.New("store: authentication failed")
	// ErrExists is returned when adding a user whose name is taken.
	ErrExists = errors.New("store: already exists")
)

// MinPassword is the shortest password accepted.
const MinPassword = 10

// User is a review user.
type User struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	Disabled  bool      `json:"disabled,omitempty"`
	Tokens    int       `json:"tokens"`
}

// dummyHash is compared against when a user does not exist, so that a login
// takes as long for an unknown name as for a wrong password.
func (s *Store) dummyHash() []byte {
	s.dummyOnce.Do(func() {
		s.dummy, _ = bcrypt.GenerateFromPassword([]byte("markwatch-dummy-password"), s.bcryptCost)
	})
	return s.dummy
}

func validName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("%w: user name must be 1 to 64 characters", ErrInvalid)
	}
	for _, r := range name {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._-@", r)) {
			return fmt.Errorf("%w: user name %q: only letters, digits and . _ - @", ErrInvalid, name)
		}
	}
	return nil
}

// AddUser creates a user with a bcrypt-hashed password.
func (s *Store) AddUser(ctx context.Context, actor, name string, role Role, password string) (User, error) {
	if err := validName(name); err != nil {
		return User{}, err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return User{}, err
	}
	if len([]rune(password)) < MinPassword || len(password) > 72 {
		return User{}, fmt.Errorf("%w: password must be %d to 72 bytes", ErrInvalid, MinPassword)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.bcryptCost)
	if err != nil {
		return User{}, fmt.Errorf("store: add user: %w", err)
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return User{}, fmt.Errorf("store: add user: %w", err)
	}
	defer tx.Rollback()
	now := s.now().UnixMilli()
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO users (name, role, password_hash, created_at) VALUES (?,?,?,?)
		ON CONFLICT (name) DO NOTHING RETURNING id`, name, string(role), string(hash), now).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("%w: user %q", ErrExists, name)
	}
	if err != nil {
		return User{}, fmt.Errorf("store: add user: %w", err)
	}
	if err := audit(ctx, tx, now, actor, "add_user", "user "+name, "role="+string(role)); err != nil {
		return User{}, fmt.Errorf("store: add user: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return User{}, fmt.Errorf("store: add user: %w", err)
	}
	return User{ID: id, Name: name, Role: role, CreatedAt: fromMS(now)}, nil
}

// SetPassword replaces a user's password, ends their sessions and revokes
// their API tokens.
func (s *Store) SetPassword(ctx context.Context, actor, name, password string) error {
	if len([]rune(password)) < MinPassword || len(password) > 72 {
		return fmt.Errorf("%w: password must be %d to 72 bytes", ErrInvalid, MinPassword)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.bcryptCost)
	if err != nil {
		return fmt.Errorf("store: set password: %w", err)
	}
	return s.userWrite(ctx, actor, name, "set_password", "",
		`UPDATE users SET password_hash = ? WHERE name = ?`, string(hash), name)
}

// SetRole changes a user's role.
func (s *Store) SetRole(ctx context.Context, actor, name string, role Role) error {
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	return s.userWrite(ctx, actor, name, "set_role", "role="+string(role), `UPDATE users SET role = ? WHERE name = ?`, string(role), name)
}

// SetDisabled disables or enables a user; a disabled user's sessions end
// and their tokens are revoked (enabling them again does not bring the
// tokens back).
func (s *Store) SetDisabled(ctx context.Context, actor, name string, disabled bool) error {
	return s.userWrite(ctx, actor, name, "set_disabled", fmt.Sprint("disabled=", disabled),
		`UPDATE users SET disabled = ? WHERE name = ?`, boolInt(disabled), name)
}

func (s *Store) userWrite(ctx context.Context, actor, name, action, detail, q string, args ...any) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: %s: %w", action, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("store: %s: %w", action, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: user %q", ErrNotFound, name)
	}
	// A new password or a disabled account ends the user's sessions and
	// revokes their API tokens: whoever held the old secret, or the account,
	// loses access at once.
	if action == "set_password" || (action == "set_disabled" && detail == "disabled=true") {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?)`, name); err != nil {
			return fmt.Errorf("store: %s: %w", action, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tokens SET revoked_at = ?, revoked_by = ? WHERE revoked_at = 0
			AND user_id = (SELECT id FROM users WHERE name = ?)`, s.now().UnixMilli(), actor+" ("+action+")", name); err != nil {
			return fmt.Errorf("store: %s: %w", action, err)
		}
	}
	if err := audit(ctx, tx, s.now().UnixMilli(), actor, action, "user "+name, detail); err != nil {
		return fmt.Errorf("store: %s: %w", action, err)
	}
	return tx.Commit()
}

// Users lists users by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT u.id, u.name, u.role, u.created_at, u.disabled,
		(SELECT count(*) FROM tokens t WHERE t.user_id = u.id AND t.revoked_at = 0 AND (t.expires_at = 0 OR t.expires_at > ?))
		FROM users u ORDER BY u.name`, s.now().UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows, true)
		if err != nil {
			return nil, fmt.Errorf("store: users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func scanUser(sc interface{ Scan(...any) error }, tokens bool) (User, error) {
	var u User
	var role string
	var created int64
	var disabled int
	dest := []any{&u.ID, &u.Name, &role, &created, &disabled}
	if tokens {
		dest = append(dest, &u.Tokens)
	}
	err := sc.Scan(dest...)
	u.Role, u.CreatedAt, u.Disabled = Role(role), fromMS(created), disabled == 1
	return u, err
}

// User returns a user by name.
func (s *Store) User(ctx context.Context, name string) (User, error) {
	u, err := scanUser(s.read.QueryRowContext(ctx, `SELECT id, name, role, created_at, disabled FROM users WHERE name = ?`, name), false)
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("%w: user %q", ErrNotFound, name)
	}
	return u, err
}

// Authenticate checks a name and password. Unknown names, wrong passwords
// and disabled users all give ErrAuth, after the same bcrypt work.
func (s *Store) Authenticate(ctx context.Context, name, password string) (User, error) {
	var hash string
	var u User
	var role string
	var created int64
	var disabled int
	err := s.read.QueryRowContext(ctx, `SELECT id, name, role, created_at, disabled, password_hash FROM users WHERE name = ?`, name).
		Scan(&u.ID, &u.Name, &role, &created, &disabled, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		bcrypt.CompareHashAndPassword(s.dummyHash(), []byte(password))
		return User{}, ErrAuth
	}
	if err != nil {
		return User{}, fmt.Errorf("store: authenticate: %w", err)
	}
	u.Role, u.CreatedAt = Role(role), fromMS(created)
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil || disabled == 1 {
		return User{}, ErrAuth
	}
	return u, nil
}

func randomToken(prefix string) string {
	b := make([]byte, 32)
	rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// TokenPrefix starts every API token, so that a leaked one is recognisable.
const TokenPrefix = "mwt_"

// CreateToken creates an API token for a user and returns it; only its
// SHA-256 is stored, so it cannot be shown again.
func (s *Store) CreateToken(ctx context.Context, actor, name, label string) (string, error) {
	return s.CreateTokenUntil(ctx, actor, name, label, time.Time{})
}

// CreateTokenUntil is CreateToken for a token that stops working at
// expires (zero: never).
func (s *Store) CreateTokenUntil(ctx context.Context, actor, name, label string, expires time.Time) (string, error) {
	u, err := s.User(ctx, name)
	if err != nil {
		return "", err
	}
	if !expires.IsZero() && !expires.After(s.now()) {
		return "", fmt.Errorf("%w: token expiry %s is in the past", ErrInvalid, expires.Format(time.RFC3339))
	}
	token := randomToken(TokenPrefix)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("store: create token: %w", err)
	}
	defer tx.Rollback()
	now := s.now().UnixMilli()
	if _, err := tx.ExecContext(ctx, `INSERT INTO tokens (user_id, hash, label, created_at, expires_at) VALUES (?,?,?,?,?)`,
		u.ID, tokenHash(token), clip(label, 200), now, ms(expires)); err != nil {
		return "", fmt.Errorf("store: create token: %w", err)
	}
	detail := "label=" + label
	if !expires.IsZero() {
		detail += " expires=" + expires.UTC().Format(time.RFC3339)
	}
	if err := audit(ctx, tx, now, actor, "create_token", "user "+name, detail); err != nil {
		return "", fmt.Errorf("store: create token: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return "", fmt.Errorf("store: create token: %w", err)
	}
	return token, nil
}

// UserByToken returns the enabled user an API token belongs to.
func (s *Store) UserByToken(ctx context.Context, token string) (User, error) {
	if !strings.HasPrefix(token, TokenPrefix) {
		return User{}, ErrAuth
	}
	var tokenID, lastUsed, expires, revoked int64
	var u User
	var role string
	var created int64
	var disabled int
	err := s.read.QueryRowContext(ctx, `SELECT t.id, t.last_used, t.expires_at, t.revoked_at, u.id, u.name, u.role, u.created_at, u.disabled
		FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ?`, tokenHash(token)).
		Scan(&tokenID, &lastUsed, &expires, &revoked, &u.ID, &u.Name, &role, &created, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrAuth
	}
	if err != nil {
		return User{}, fmt.Errorf("store: token: %w", err)
	}
	now := s.now().UnixMilli()
	if disabled == 1 || revoked != 0 || (expires != 0 && now >= expires) {
		return User{}, ErrAuth
	}
	u.Role, u.CreatedAt = Role(role), fromMS(created)
	if now-lastUsed > time.Minute.Milliseconds() { // at most one write a minute per token
		s.write.ExecContext(ctx, `UPDATE tokens SET last_used = ? WHERE id = ?`, now, tokenID)
	}
	return u, nil
}

// Session is a browser session: Token goes in the cookie, CSRF in forms.
type Session struct {
	Token   string
	CSRF    string
	Expires time.Time
	User    User
}

// CreateSession starts a session for a user, valid for ttl.
func (s *Store) CreateSession(ctx context.Context, u User, ttl time.Duration) (Session, error) {
	now := s.now()
	sess := Session{Token: randomToken(""), CSRF: randomToken(""), Expires: now.Add(ttl), User: u}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return Session{}, fmt.Errorf("store: create session: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < ?`, now.UnixMilli()); err != nil {
		return Session{}, fmt.Errorf("store: create session: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (hash, user_id, csrf, created_at, expires_at) VALUES (?,?,?,?,?)`,
		tokenHash(sess.Token), u.ID, sess.CSRF, now.UnixMilli(), sess.Expires.UnixMilli()); err != nil {
		return Session{}, fmt.Errorf("store: create session: %w", err)
	}
	return sess, tx.Commit()
}

// SessionByToken returns the live session whose cookie value is token.
func (s *Store) SessionByToken(ctx context.Context, token string) (Session, error) {
	if token == "" || len(token) > 100 {
		return Session{}, ErrAuth
	}
	var sess Session
	var expires, created int64
	var role string
	var disabled int
	err := s.read.QueryRowContext(ctx, `SELECT s.csrf, s.expires_at, u.id, u.name, u.role, u.created_at, u.disabled
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.hash = ?`, tokenHash(token)).
		Scan(&sess.CSRF, &expires, &sess.User.ID, &sess.User.Name, &role, &created, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrAuth
	}
	if err != nil {
		return Session{}, fmt.Errorf("store: session: %w", err)
	}
	if disabled == 1 || s.now().UnixMilli() >= expires {
		return Session{}, ErrAuth
	}
	sess.Token, sess.Expires = token, fromMS(expires)
	sess.User.Role, sess.User.CreatedAt = Role(role), fromMS(created)
	return sess, nil
}

// DeleteSession ends a session (logout).
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	_, err := s.write.ExecContext(ctx, `DELETE FROM sessions WHERE hash = ?`, tokenHash(token))
	return err
}

// CheckCSRF compares a submitted CSRF token with the session's in constant time.
func (sess Session) CheckCSRF(got string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) == 1
}

// Token is an API token as listed (never the secret itself).
type Token struct {
	ID        int64     `json:"id"`
	User      string    `json:"user"`
	Label     string    `json:"label"`
	CreatedAt time.Time `json:"created_at"`
	LastUsed  time.Time `json:"last_used,omitzero"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	RevokedBy string    `json:"revoked_by,omitempty"`
	// Active: neither revoked nor expired.
	Active bool `json:"active"`
}

// Tokens lists a user's tokens (every user's when name is empty), newest
// first.
func (s *Store) Tokens(ctx context.Context, name string) ([]Token, error) {
	q := `SELECT t.id, u.name, t.label, t.created_at, t.last_used, t.expires_at, t.revoked_at, t.revoked_by
		FROM tokens t JOIN users u ON u.id = t.user_id`
	var args []any
	if name != "" {
		if _, err := s.User(ctx, name); err != nil {
			return nil, err
		}
		q += ` WHERE u.name = ?`
		args = append(args, name)
	}
	rows, err := s.read.QueryContext(ctx, q+` ORDER BY t.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: tokens: %w", err)
	}
	defer rows.Close()
	now := s.now()
	var out []Token
	for rows.Next() {
		var t Token
		var created, used, expires, revoked int64
		if err := rows.Scan(&t.ID, &t.User, &t.Label, &created, &used, &expires, &revoked, &t.RevokedBy); err != nil {
			return nil, fmt.Errorf("store: tokens: %w", err)
		}
		t.CreatedAt, t.LastUsed, t.ExpiresAt, t.RevokedAt = fromMS(created), fromMS(used), fromMS(expires), fromMS(revoked)
		t.Active = revoked == 0 && (expires == 0 || now.Before(t.ExpiresAt))
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes token id at once. With owner set, the token must
// belong to that user (a user revoking their own); admins pass "".
func (s *Store) RevokeToken(ctx context.Context, actor string, id int64, owner string) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: revoke token: %w", err)
	}
	defer tx.Rollback()
	var user string
	var revoked int64
	err = tx.QueryRowContext(ctx, `SELECT u.name, t.revoked_at FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.id = ?`, id).Scan(&user, &revoked)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && owner != "" && user != owner) {
		return fmt.Errorf("%w: token %d", ErrNotFound, id)
	}
	if err != nil {
		return fmt.Errorf("store: revoke token: %w", err)
	}
	if revoked != 0 {
		return nil
	}
	now := s.now().UnixMilli()
	if _, err := tx.ExecContext(ctx, `UPDATE tokens SET revoked_at = ?, revoked_by = ? WHERE id = ?`, now, actor, id); err != nil {
		return fmt.Errorf("store: revoke token: %w", err)
	}
	if err := audit(ctx, tx, now, actor, "revoke_token", "user "+user, fmt.Sprintf("token %d", id)); err != nil {
		return fmt.Errorf("store: revoke token: %w", err)
	}
	return tx.Commit()
}
