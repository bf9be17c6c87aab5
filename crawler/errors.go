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
	// ErrLayoutChanged: a search page where the card selector found nothing
	// and the no-results selector did not match either.
	ErrLayoutChanged = errors.New("crawler: layout changed (no listing cards and no no-results marker)")
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
