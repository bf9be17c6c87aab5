// Package evidence preserves the pages that suspects were read from.
//
// A takedown request is only actionable when the enforcement team can show
// the page as it was: its exact bytes, when it was fetched and from where.
// Store keeps every such page once, content-addressed by the SHA-256 of the
// raw (undecoded) body, gzip-compressed under
//
//	DIR/ab/cd/abcd…ef.gz     the body
//	DIR/ab/cd/abcd…ef.json   its Meta record (first fetch wins)
//
// Identical pages therefore cost one file however often they are fetched.
// Files are written to a temporary name and renamed, so a crash never leaves
// a half-written record under a real hash. Get decompresses the body (bounded
// in size), recomputes its hash and refuses a file whose content no longer
// matches its name with ErrTampered: evidence that cannot be verified is not
// evidence.
package evidence
