// Package store is the review store: an embedded SQLite database (pure Go,
// modernc.org/sqlite, WAL mode) under the data directory, plus the evidence
// store beside it.
//
// # What it keeps
//
// Listings are deduplicated across runs by (site, listing id). Each listing
// row carries its first and last sighting, its current fields and a summary
// of its newest verdict (suspect, score, strongest mark and kind, reasons),
// so that the review queue is a single indexed query even at a million
// listings. listing_history keeps the title and price as first seen and at
// every change; verdicts keeps every run's judgement with its hits and
// signals, and the title and description those hits' rune offsets refer to.
//
// # Ingestion
//
// Put implements pipeline.Sink. A finding is written once per (run, site,
// listing id): a redelivered page or a replayed ingest file changes nothing.
// When any finding of a page is suspect the page body is preserved in the
// evidence store first and every finding of that page is linked to its
// SHA-256. A finding older than what the store already has (a late
// redelivery) adds its verdict but does not roll the listing's fields back.
//
// # Review states
//
//	new ─┬─> confirmed ──> takedown_requested ──> removed ──> reappeared
//	     └─> dismissed            (batch)        (FinishRun)  (seen again)
//
// Reviewers move listings between new, confirmed and dismissed (and back);
// marking an export batch as requested moves its listings to
// takedown_requested; FinishRun marks requested listings that a finished run
// no longer found as removed (it reads them from the partial index
// listings_requested, so the write transaction does not walk every
// listing); a later sighting of a removed listing marks it
// reappeared, and it can be requested again. Every change is a row in
// decisions (who, when, note) and every write by a person also goes to the
// audit log. Both tables refuse UPDATE and DELETE by trigger.
//
// # The queue at a million listings
//
// Suspects answers with one indexed query: every filter column has an index
// that continues with suspicion, status and score, so the first page of any
// single filter is an index range read in queue order. The mark filter reads
// listing_marks, which carries a trigger-kept copy of each listing's
// suspicion, status and score. Totals come from trigger-kept counters when
// the filter is only a status; otherwise they are counted up to a little
// past the current page (Filter.TotalIsLowerBound says so), which keeps a
// broad filter from scanning the table. Generate fills a store with
// synthetic listings for benchmarks and load tests.
//
// # Concurrency
//
// One process owns the database. Writes go through a single connection with
// immediate transactions (no SQLITE_BUSY between our own writers); reads use
// a small pool that WAL lets run beside the writer.
package store
