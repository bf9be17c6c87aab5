// Package images is markwatch's image channel: it fetches a listing's
// photos under the crawler's politeness (allowed domains, robots.txt, the
// per-site rate), refuses hostile files before they cost memory (size
// limit, content type, magic number, a pixel limit read from the header
// before decoding), keeps each accepted image content-addressed beside the
// page evidence, compares it with the marks' reference pictures by
// perceptual hash (pHash to search a multi-index hash table, dHash and a
// 3×3 colour grid to confirm; crops and mirrors of each reference
// are indexed too) and, where the OCR policy says, reads the
// text in it with Tesseract.
//
// The results reach the matcher through the listing: Listing.PhotoHits
// (hits with Via "photo") and Listing.ImageText (matched as the field
// "image_text" by every name, alias, slang and patent rule), so verdicts
// stay one mechanism. pipeline.Worker calls Step.Enrich between crawl and
// match.
package images
