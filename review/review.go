package review

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/markwatch/markwatch/matchers"
	"github.com/markwatch/markwatch/store"
	"github.com/markwatch/markwatch/takedown"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

//go:embed openapi.yaml
var openapiYAML []byte

// Options configure the review server. Every field is optional.
type Options struct {
	// Logger receives one line per write and per server error. Default: discard.
	Logger *slog.Logger
	// Registerer receives markwatch_http_requests_total and
	// markwatch_http_request_duration_seconds. Nil: not registered.
	Registerer prometheus.Registerer
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Secure marks cookies Secure (and names the session cookie with the
	// __Host- prefix). Set it whenever the app is served over HTTPS.
	Secure bool
	// DemoUser, when set, logs every visitor without a session in as this
	// reviewer (created with a random password if missing). For
	// `markwatch demo` on loopback only.
	DemoUser string
	// Marks describes marks by id (name, owner, registration number, price
	// floor) for listing pages and takedown exports. Nil: ids only.
	Marks MarkDirectory
	// References are the marks' reference images by file name, shown
	// beside the listing photos that matched them. Nil: none.
	References map[string][]byte
	// SessionTTL is how long a login lasts. Default 12h.
	SessionTTL time.Duration
	// SignalsFile is the signals.yaml on disk that an admin may write
	// calibrated weights to (audited). Empty: the calibration page shows
	// the suggested diff against Signals but cannot write it.
	SignalsFile string
	// Signals is the signals.yaml text in use, when SignalsFile is empty
	// (the embedded defaults).
	Signals []byte
	// Profiles are the takedown export profiles (configs/exports). Nil:
	// the shipped ones.
	Profiles []*takedown.Profile
	// TSA is the URL of an RFC 3161 time-stamping authority that stamps
	// every evidence bundle's manifest. Empty: bundles are not stamped.
	TSA string
	// TSAClient posts to the TSA. Nil: a client with a 30 s timeout.
	TSAClient *http.Client
}

// MarkInfo is what the review app shows about a mark.
type MarkInfo struct {
	ID           string
	Name         string
	Kind         string
	Owner        string
	Registration string  // registration or certificate number
	Floor        float64 // genuine price floor in CNY; 0: none
	// Names are every name the mark is written in (the mark filter finds a
	// mark by any of them, or by a part of one).
	Names []string
}

// MarkDirectory looks marks up by id.
type MarkDirectory interface {
	Mark(id string) (MarkInfo, bool)
}

// MarkMap is a MarkDirectory backed by a map.
type MarkMap map[string]MarkInfo

// Mark implements MarkDirectory.
func (m MarkMap) Mark(id string) (MarkInfo, bool) {
	info, ok := m[id]
	return info, ok
}

// MarksOf describes the marks of the registry for the review app: the first
// name, the owner, every registration number and the price floor.
func MarksOf(marks []matchers.Mark) MarkMap {
	out := make(MarkMap, len(marks))
	for _, m := range marks {
		info := MarkInfo{ID: m.ID, Kind: string(m.Kind), Owner: m.Owner,
			Registration: strings.Join(m.Registrations, "; "), Floor: m.MinPrice}
		if len(m.Names) > 0 {
			info.Name = m.Names[0]
			info.Names = append([]string(nil), m.Names...)
		}
		out[m.ID] = info
	}
	return out
}

// Server is the review app. Use New.
type Server struct {
	shippedOnce sync.Once
	shipped     []*takedown.Profile
	store       *store.Store
	opts        Options
	log         *slog.Logger
	now         func() time.Time
	metrics     *Metrics
	pages       map[string]*template.Template
	mux         *http.ServeMux
	logins      *loginLimiter

	facetMu    sync.Mutex
	facetCache store.Facets
	facetUntil time.Time

	wordsOnce sync.Once
	words     func(string) string

	demoOnce sync.Once
	demoUser store.User
	demoErr  error
}

// New returns the review app's handler.
func New(st *store.Store, opts Options) http.Handler { return NewServer(st, opts) }

// NewServer is New returning the concrete type.
func NewServer(st *store.Store, opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 12 * time.Hour
	}
	s := &Server{
		store:   st,
		opts:    opts,
		log:     opts.Logger,
		now:     opts.Now,
		metrics: NewMetrics(opts.Registerer),
		pages:   parseTemplates(),
		mux:     http.NewServeMux(),
		logins:  newLoginLimiter(opts.Now),
	}
	s.routes()
	return s
}

// ServeHTTP sets the security headers every response carries and routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", appCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	s.mux.ServeHTTP(w, r)
}

// appCSP allows only the app's own scripts, styles and frames: an injected
// <script> or inline handler cannot run even if escaping ever failed.
const appCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// evidenceCSP is for stored pages: a sandbox without allow-scripts (an
// opaque origin, no scripts, no forms, no popups) and no network fetches.
const evidenceCSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"

// access is what a route requires.
type access int

const (
	public access = iota
	read          // any logged-in user
	write         // reviewer, with CSRF for sessions
	admin         // admin, with CSRF for sessions
)

// principal is who makes a request.
type principal struct {
	User    store.User
	Session *store.Session // nil for API tokens
}

// CSRF is the token to put in forms ("" for token users).
func (p *principal) CSRF() string {
	if p == nil || p.Session == nil {
		return ""
	}
	return p.Session.CSRF
}

type handler func(w http.ResponseWriter, r *http.Request, p *principal)

func (s *Server) handle(pattern, name string, need access, h handler) {
	api := strings.Contains(pattern, "/api/")
	s.mux.Handle(pattern, s.metrics.instrument(name, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		}
		if need == public {
			h(w, r, nil)
			return
		}
		p, err := s.authenticate(w, r)
		if err != nil {
			s.serverError(w, r, api, err)
			return
		}
		if p == nil {
			if !api && r.Method == http.MethodGet {
				http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.fail(w, r, api, http.StatusUnauthorized, "log in or send an API token")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && p.Session != nil && !p.Session.CheckCSRF(csrfToken(r)) {
			s.fail(w, r, api, http.StatusForbidden, "missing or wrong CSRF token: reload the page and try again")
			return
		}
		if need >= write {
			role := store.Reviewer
			if need == admin {
				role = store.Admin
			}
			if !p.User.Role.Allows(role) {
				s.fail(w, r, api, http.StatusForbidden, fmt.Sprintf("this needs the %s role; you are a %s", role, p.User.Role))
				return
			}
		}
		h(w, r, p)
	})))
}

// csrfToken is the CSRF token a write carries: the X-CSRF-Token header or
// the csrf form field.
func csrfToken(r *http.Request) string {
	if t := r.Header.Get("X-CSRF-Token"); t != "" {
		return t
	}
	return r.PostFormValue("csrf")
}

func (s *Server) sessionCookieName() string {
	if s.opts.Secure {
		return "__Host-mw_session"
	}
	return "mw_session"
}

// authenticate finds the request's user: an API token, else a session
// cookie, else (demo mode) a fresh demo session. It returns nil, nil for an
// anonymous request.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*principal, error) {
	ctx := r.Context()
	if authz := r.Header.Get("Authorization"); authz != "" {
		token, ok := strings.CutPrefix(authz, "Bearer ")
		if !ok {
			return nil, nil
		}
		u, err := s.store.UserByToken(ctx, strings.TrimSpace(token))
		if errors.Is(err, store.ErrAuth) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return &principal{User: u}, nil
	}
	if c, err := r.Cookie(s.sessionCookieName()); err == nil {
		sess, err := s.store.SessionByToken(ctx, c.Value)
		if err == nil {
			return &principal{User: sess.User, Session: &sess}, nil
		}
		if !errors.Is(err, store.ErrAuth) {
			return nil, err
		}
	}
	if s.opts.DemoUser == "" {
		return nil, nil
	}
	u, err := s.demo(ctx)
	if err != nil {
		return nil, err
	}
	sess, err := s.startSession(ctx, w, u)
	if err != nil {
		return nil, err
	}
	return &principal{User: u, Session: &sess}, nil
}

// demo returns the demo reviewer, creating it on first use.
func (s *Server) demo(ctx context.Context) (store.User, error) {
	s.demoOnce.Do(func() {
		u, err := s.store.User(ctx, s.opts.DemoUser)
		if errors.Is(err, store.ErrNotFound) {
			u, err = s.store.AddUser(ctx, "markwatch", s.opts.DemoUser, store.Reviewer, randomString(24))
			if errors.Is(err, store.ErrExists) {
				u, err = s.store.User(ctx, s.opts.DemoUser)
			}
		}
		s.demoUser, s.demoErr = u, err
	})
	return s.demoUser, s.demoErr
}

func (s *Server) startSession(ctx context.Context, w http.ResponseWriter, u store.User) (store.Session, error) {
	sess, err := s.store.CreateSession(ctx, u, s.opts.SessionTTL)
	if err != nil {
		return sess, err
	}
	http.SetCookie(w, &http.Cookie{
		Name:     s.sessionCookieName(),
		Value:    sess.Token,
		Path:     "/",
		Expires:  sess.Expires,
		HttpOnly: true,
		Secure:   s.opts.Secure,
		SameSite: http.SameSiteLaxMode,
	})
	return sess, nil
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// fail answers a request with an error: JSON for the API, a page otherwise.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, api bool, code int, msg string) {
	if api {
		writeJSON(w, code, map[string]string{"error": msg})
		return
	}
	s.renderCode(w, r, code, "error.html", nil, http.StatusText(code), map[string]any{"Code": code, "Message": msg})
}

// failErr maps a store error to a status code.
func (s *Server) failErr(w http.ResponseWriter, r *http.Request, api bool, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.fail(w, r, api, http.StatusNotFound, err.Error())
	case errors.Is(err, store.ErrInvalid):
		s.fail(w, r, api, http.StatusBadRequest, err.Error())
	case errors.Is(err, store.ErrTransition), errors.Is(err, store.ErrExists), errors.Is(err, store.ErrNothingToExport):
		s.fail(w, r, api, http.StatusConflict, err.Error())
	case errors.Is(err, store.ErrAuth):
		s.fail(w, r, api, http.StatusUnauthorized, "authentication failed")
	default:
		s.serverError(w, r, api, err)
	}
}

func (s *Server) serverError(w http.ResponseWriter, r *http.Request, api bool, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	s.log.Error("review request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	s.fail(w, r, api, http.StatusInternalServerError, "internal error (logged)")
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	fsrv := http.FileServer(http.FS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		http.StripPrefix("/static/", fsrv).ServeHTTP(w, r)
	})
}

// loginLimiter slows password guessing: after 5 failures a name is locked
// for a minute, doubling up to an hour.
type loginLimiter struct {
	mu    sync.Mutex
	now   func() time.Time
	fails map[string]*loginFails
}

type loginFails struct {
	n     int
	until time.Time
}

func newLoginLimiter(now func() time.Time) *loginLimiter {
	return &loginLimiter{now: now, fails: map[string]*loginFails{}}
}

func (l *loginLimiter) locked(name string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.fails[name]
	return f != nil && l.now().Before(f.until)
}

func (l *loginLimiter) failed(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fails) > 10000 {
		l.prune()
	}
	f := l.fails[name]
	if f == nil {
		f = &loginFails{}
		l.fails[name] = f
	}
	f.n++
	if f.n >= 5 {
		lock := time.Minute << min(f.n-5, 6)
		f.until = l.now().Add(min(lock, time.Hour))
	}
}

// prune bounds memory under a spray of names without lifting a lock: names
// with fewer than five failures go first (they lock nothing yet), then
// locks that have expired. Locked names stay, so spraying other names
// cannot free one.
func (l *loginLimiter) prune() {
	now := l.now()
	for name, f := range l.fails {
		if f.n < 5 || !now.Before(f.until) {
			delete(l.fails, name)
		}
	}
}

func (l *loginLimiter) succeeded(name string) {
	l.mu.Lock()
	delete(l.fails, name)
	l.mu.Unlock()
}

var (
	_ http.Handler  = (*Server)(nil)
	_ MarkDirectory = MarkMap(nil)
	_ MarkLister    = MarkMap(nil)
)
