package crawler

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/markwatch/markwatch"
)

func TestClassify(t *testing.T) {
	item := markwatch.Task{Kind: markwatch.KindItem, Listing: &markwatch.Listing{ID: "1", Title: "t"}}
	search := markwatch.Task{Kind: markwatch.KindSearch}
	tmp := &FetchError{URL: "u", Status: 503, Temporary: true}
	for _, tc := range []struct {
		name    string
		task    markwatch.Task
		attempt int
		err     error
		want    Outcome
	}{
		{"robots", item, 0, fmt.Errorf("x: %w", ErrRobotsDisallowed), OutcomeSkipped},
		{"offsite", search, 0, ErrDomainNotAllowed, OutcomeSkipped},
		{"unknown site", item, 0, ErrUnknownSite, OutcomeRelease},
		{"item 404", item, 0, &FetchError{Status: 404}, OutcomeGone},
		{"item 410", item, 0, &FetchError{Status: 410}, OutcomeGone},
		{"search 404", search, 0, &FetchError{Status: 404}, OutcomeFailed},
		{"layout", search, 0, ErrLayoutChanged, OutcomeLayoutChanged},
		{"503 within budget", item, 2, tmp, OutcomeRetry},
		{"503 budget spent", item, 3, tmp, OutcomeFailed},
		{"malformed", item, 0, ErrMalformed, OutcomeFailed},
	} {
		tc.task.Attempt = tc.attempt
		f := Classify(tc.task, tc.err, 3)
		if f.Outcome != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, f.Outcome, tc.want)
		}
		card, ok := CardOnly(tc.task, f)
		wantCard := tc.task.Kind == markwatch.KindItem && f.Final()
		if ok != wantCard || (ok && !strings.HasPrefix(card.ItemPage, string(tc.want)+": ")) {
			t.Errorf("%s: card %v %q, want a card %v", tc.name, ok, card.ItemPage, wantCard)
		}
	}
}

func TestUnreachable(t *testing.T) {
	refused := &url.Error{Op: "Get", URL: "http://x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
	if !unreachable(&FetchError{Temporary: true, Err: fmt.Errorf("robots.txt: %w", refused)}) {
		t.Error("a refused connection under a robots.txt fetch is unreachable")
	}
	if !unreachable(&net.DNSError{Err: "no such host", Name: "x", IsNotFound: true}) {
		t.Error("a name that does not resolve is unreachable")
	}
	if unreachable(&net.OpError{Op: "read", Err: errors.New("reset")}) || unreachable(errors.New("x")) {
		t.Error("a cut connection is not unreachable")
	}
}
