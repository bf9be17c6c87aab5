// Package evidence preserves the pages that suspects were read from.
//
// A takedown request is only actionable when the enforcement team can show
// the page as it was: its exact bytes, when it was fetched and from where.
// Store keeps every such page once, content-addressed by the SHA-256 of the
// raw (undecoded) body, gzip-compressed, appended with its Meta record (first
// fetch wins) to pack files:
//
//	DIR/packs/TIME-PID-RANDOM.pack   records: header (hash, lengths, CRC-32C), Meta JSON, gzip'd body
//
// Identical pages therefore cost one record however often they are
// fetched. Each Store (each process) appends to packs of its own, so
// writers never share a file; a Store indexes the packs in memory when it
// opens and looks again when a hash is not indexed, so a page one process
// stored is found by another. A record is on disk when Put returns; a
// Batch puts many pages with one fsync at Commit (serve's findings batch:
// evidence durable first, then the rows, then the ack). A crash can leave
// a torn record at the end of a pack: it is not found or not trusted (its
// CRC), and the next Put of the page stores it again. Get decompresses the
// body (bounded in size), recomputes its hash and refuses a record whose
// content no longer matches its name with ErrTampered: evidence that cannot
// be verified is not evidence.
//
// Evidence written before pack files, one file per body and one per
// record (DIR/ab/cd/HASH.gz and HASH.json), is still read, verified and
// counted as stored; nothing rewrites it. Screenshots (PNG) stay files,
// DIR/ab/cd/HASH.png.
package evidence
