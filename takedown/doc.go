// Package takedown turns a batch of confirmed listings into what a
// platform's IP-complaint portal accepts and what a rights holder files as
// proof.
//
// A Profile (configs/exports/*.yaml) describes one portal's bulk-complaint
// spreadsheet: its columns in order with their headers, fixed values, the
// most rows one file may hold and the date format. Export cuts a batch into
// as many CSV or XLSX files as the row limit needs; every cell is
// neutralised against formula injection. MissingRegistrations names the
// marks of a batch that carry no registration number, so the operator is
// warned before a portal rejects the rows.
//
// WriteBundle writes the evidence bundle of a batch: a ZIP holding every
// listing's stored page and screenshot, a manifest.json (URLs, fetch
// times, HTTP status and headers, adapter, verdict, and the SHA-256 of
// every file) and an index.html that reads offline. When a time-stamping
// authority is configured, the manifest's hash is stamped (RFC 3161, via
// github.com/digitorus/timestamp) and the token is stored beside it.
// VerifyBundle checks every hash and the token, naming the file that
// fails.
package takedown
