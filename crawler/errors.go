package crawler

import (
	"errors"
	"fmt"
	"time"
)

var (
	// ErrRobotsDisallowed: robots.txt forbids the URL; it was not fetched.
	ErrRobotsDisallowed = errors.New("crawler: disallowed by robots.txt")
	// ErrDomainNotAllowed: the URL (or a redirect) leaves the adapter's allowed_domains.
	ErrDomainNotAllowed = errors.New("crawler: domain not allowed by the site adapter")
	// ErrLayoutChanged: the page no longer has the layout the adapter reads
	// (a search page where the card selector found nothing and the
	// no-results selector did not match either; an item page with none of
	// the adapter's item fields).
	ErrLayoutChanged = errors.New("crawler: layout changed")
	// ErrUnknownSite: the task names a site no adapter is loaded for.
	ErrUnknownSite = errors.New("crawler: unknown site")
)

// FetchError is a failed fetch, with what the retry policy needs.
type FetchError struct {
	URL        string
	Status     int           // 0 for a network error or timeout
	RetryAfter time.Duration // from a Retry-After header, 0 if none
	Temporary  bool          // timeouts, 429, 5xx: worth retrying
	Err        error
}

func (e *FetchError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("fetch %s: status %d", e.URL, e.Status)
	}
	return fmt.Sprintf("fetch %s: %v", e.URL, e.Err)
}

func (e *FetchError) Unwrap() error { return e.Err }

// Errors added by the crawler (additive; see errors above).
var (
	// ErrTooManyRedirects: a redirect chain longer than crawl.max_redirects,
	// or a loop. Permanent: retrying follows the same chain.
	ErrTooManyRedirects = errors.New("crawler: too many redirects")
	// ErrBodyTooLarge: the body exceeded crawl.body_limit and nothing could
	// be read from the part that fitted.
	ErrBodyTooLarge = errors.New("crawler: body exceeds the size limit")
	// ErrMalformed: a page body that could not be parsed at all (JSON that
	// does not decode: often a login wall or a slider check served instead).
	ErrMalformed = errors.New("crawler: malformed page")
	// ErrBlocked: the site served a page of the adapter's blocked markers (a
	// slider check, a login wall, 访问受限) instead of the page asked for.
	// Not the page's fault and not a layout change: the task is given back
	// and the site paused (see *BlockedError).
	ErrBlocked = errors.New("crawler: blocked by the site")
)

// BlockedError is a page the site served to block the crawler; errors.Is
// it ErrBlocked. Reason names the marker that matched.
type BlockedError struct {
	URL    string
	Status int
	Reason string
}

func (e *BlockedError) Error() string {
	return fmt.Sprintf("%s: blocked by the site (%s)", e.URL, e.Reason)
}

// Unwrap makes errors.Is(err, ErrBlocked) true.
func (e *BlockedError) Unwrap() error { return ErrBlocked }
