package crawler

import (
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/markwatch/markwatch"
)

// Outcome is what a failed crawl means for its task. It is the one
// classification behind the queue worker (pipeline.Worker) and the
// in-process Runner (`markwatch crawl`), so that an adapter is judged by
// the same rules on an author's machine as in production.
type Outcome string

const (
	// OutcomeRetry: a temporary failure (timeout, network, 429, 5xx, a
	// robots.txt that cannot be read now) within the retry budget: fetch
	// again after a backoff of at least Failure.RetryAfter.
	OutcomeRetry Outcome = "retry"
	// OutcomeSkipped: robots.txt or allowed_domains forbid the URL; it was
	// not fetched. Not an error of the task.
	OutcomeSkipped Outcome = "skipped"
	// OutcomeGone: an item page answered 404 or 410: the listing went away
	// between its search page and its item page. A known end.
	OutcomeGone Outcome = "gone"
	// OutcomeLayoutChanged: the adapter does not understand the page;
	// retrying cannot help until it is fixed.
	OutcomeLayoutChanged Outcome = "layout_changed"
	// OutcomeFailed: a permanent failure, or the retry budget is spent.
	OutcomeFailed Outcome = "failed"
	// OutcomeRelease: nothing is wrong with the task, but this process
	// cannot run it (no adapter for its site): give it back untouched.
	OutcomeRelease Outcome = "release"
	// OutcomeBlocked: the site served a block page (ErrBlocked). The queue
	// worker gives the task back without spending a retry and pauses the
	// site for the fleet; `markwatch crawl` stops reading the site's item
	// pages and marks their cards.
	OutcomeBlocked Outcome = "blocked"
)

// Failure is the classification of one failed crawl.
type Failure struct {
	Outcome Outcome
	// RetryAfter is the server's Retry-After, for OutcomeRetry.
	RetryAfter time.Duration
	// Status is the HTTP status, when there was one.
	Status int
	Err    error
}

// Final reports whether the task will not be fetched again by the queue
// worker (its search card, if it has one, must be judged on its own now).
func (f Failure) Final() bool {
	return f.Outcome != OutcomeRetry && f.Outcome != OutcomeRelease && f.Outcome != OutcomeBlocked
}

// Classify says what err, returned by Crawl for task t after t.Attempt
// failed attempts, means under a budget of retries retries.
func Classify(t markwatch.Task, err error, retries int) Failure {
	f := Failure{Err: err}
	var fe *FetchError
	isFetch := errors.As(err, &fe)
	if isFetch {
		f.Status = fe.Status
	}
	switch {
	case errors.Is(err, ErrRobotsDisallowed), errors.Is(err, ErrDomainNotAllowed):
		f.Outcome = OutcomeSkipped
	case errors.Is(err, ErrUnknownSite):
		f.Outcome = OutcomeRelease
	case errors.Is(err, ErrBlocked):
		f.Outcome = OutcomeBlocked
	case isFetch && t.Kind == markwatch.KindItem && (fe.Status == http.StatusNotFound || fe.Status == http.StatusGone):
		f.Outcome = OutcomeGone
	case errors.Is(err, ErrLayoutChanged):
		f.Outcome = OutcomeLayoutChanged
	case isFetch && fe.Temporary && t.Attempt < retries:
		f.Outcome, f.RetryAfter = OutcomeRetry, fe.RetryAfter
	default:
		f.Outcome = OutcomeFailed
	}
	return f
}

// CardOnly is the search card an item task carried, marked with why its
// item page was not read (Listing.ItemPage): the listing the run saw of
// it, to be judged on its own when the task ends without its page (the
// queue worker does not end a blocked task; the in-process Runner does).
// ok is false for search tasks, item tasks without a card, retries and
// releases.
func CardOnly(t markwatch.Task, f Failure) (markwatch.Listing, bool) {
	if t.Kind != markwatch.KindItem || t.Listing == nil || f.Outcome == OutcomeRetry || f.Outcome == OutcomeRelease {
		return markwatch.Listing{}, false
	}
	l := *t.Listing
	l.ItemPage = string(f.Outcome)
	if f.Err != nil {
		l.ItemPage += ": " + f.Err.Error()
	}
	return l, true
}

// unreachable reports whether err is a connection that could not be
// opened at all: a refused connection or a host name that does not
// resolve (as opposed to a timeout or a connection cut mid-way).
func unreachable(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.IsNotFound
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial" && !opErr.Timeout()
}
