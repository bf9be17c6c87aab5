// Package review is the enforcement team's workspace: the web app and JSON
// API over the review store.
//
// New returns an http.Handler serving server-rendered pages (html/template,
// a little plain JavaScript, no build step) and a JSON API under /api/v1
// described by openapi.yaml (served at /api/v1/openapi.yaml). Templates and
// static assets are embedded.
//
// # Pages
//
//	/queue             suspects, highest score first, filtered by status, mark,
//	                   kind, site, seller, sweep, run, date and score; paged;
//	                   bulk confirm/dismiss
//	/listings/{id}     one listing: the matched spans highlighted in the text
//	                   the hits were found in, hits and signals in plain words,
//	                   price against the floor, seller, ship-from, history,
//	                   decisions, and the evidence (hash, fetch time, the page
//	                   in a sandboxed frame, download)
//	/seller            all listings and decisions of one seller on one site
//	/runs, /runs/{id}  run overview
//	/exports           takedown batches (≤300 rows) as CSV and XLSX
//	/audit             the append-only audit log
//	/users             user management (admins)
//
// # Access
//
// Every page and API call needs a user: a browser session (cookie set at
// /login, HttpOnly, SameSite=Lax, Secure when Options.Secure) or an API
// token (Authorization: Bearer mwt_…). No user: 401 (pages redirect GETs to
// /login). Writes need the reviewer role (403 otherwise), user management
// the admin role; a write made with a session must carry the session's CSRF
// token (form field csrf or header X-CSRF-Token), else 403. Token requests
// need no CSRF token: a browser never sends one by itself.
//
// # Making hostile data inert
//
// Titles, sellers and descriptions come from marketplaces and may carry
// markup. html/template escapes them on every page; there is no inline
// script (the CSP forbids it); links to listings are only http(s). Stored
// pages are served with a CSP sandbox that forbids scripts and any network
// fetch, X-Content-Type-Options nosniff, and are shown in an iframe with an
// empty sandbox attribute. Exported cells that a spreadsheet would take for
// a formula are prefixed with an apostrophe.
package review
