package browser

import (
	"context"
	"net/url"
	"sync"
	"sync/atomic"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// interceptor holds every request of one tab in CDP's Fetch domain: it
// answers the proxy's authentication challenges with the page's proxy
// credentials and lets each request go or fails it, as Request.Allow
// decides.
type interceptor struct {
	req Request

	mu       sync.Mutex
	closed   bool // finish was called: no new decision is started
	inflight sync.WaitGroup
	blocked  map[string]int
	sample   string
	// authAnswered holds the requests whose proxy challenge was answered:
	// a second challenge for one of them means the proxy refused.
	authAnswered     map[fetch.RequestID]bool
	proxyAuthRefused atomic.Bool
	// mainFrame is the page's main frame (a page target's id); document
	// is the first main-frame navigation Allow refused (a redirect off
	// the rules), which fails the page.
	mainFrame string
	document  *NavigationBlockedError
}

// NavigationBlockedError: the page's own navigation (a redirect, or a
// script moving the page before it loaded) went where Request.Allow
// refused. URL is redacted (no user information or query).
type NavigationBlockedError struct {
	URL, Reason string
}

func (e *NavigationBlockedError) Error() string {
	return "browser: the page's navigation to " + e.URL + " was blocked (" + e.Reason + ")"
}

// navigationBlocked returns the refused main-frame navigation, if any.
func (in *interceptor) navigationBlocked() *NavigationBlockedError {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.document
}

// start enables the Fetch domain on tab (before the page loads) and
// listens for its events.
func (in *interceptor) start(tab context.Context) error {
	in.authAnswered = map[fetch.RequestID]bool{}
	err := chromedp.Listen(tab, func(ev any) {
		// Listeners run on the tab's event loop, which a CDP call made
		// from here would wait on: decide and answer on a goroutine.
		switch ev := ev.(type) {
		case *fetch.EventRequestPaused:
			in.spawn(tab, func(ctx context.Context) { in.paused(ctx, ev) })
		case *fetch.EventAuthRequired:
			in.spawn(tab, func(ctx context.Context) { in.auth(ctx, ev) })
		}
	})
	if err != nil {
		return err
	}
	// Listen opened the tab: a page target's id is its main frame's.
	if c := chromedp.FromContext(tab); c != nil && c.Target != nil {
		in.mu.Lock()
		in.mainFrame = string(c.Target.TargetID)
		in.mu.Unlock()
	}
	handleAuth := true // a proxy that asks with no credentials given fails the page at once
	_, err = chromedp.Call(tab, fetch.Enable, fetch.EnableParams{HandleAuthRequests: &handleAuth})
	return err
}

func (in *interceptor) spawn(tab context.Context, f func(context.Context)) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		return // the page is read and its tab about to close
	}
	in.inflight.Add(1)
	go func() {
		defer in.inflight.Done()
		f(tab)
	}()
}

// paused lets a request go or fails it. The page's own document was
// checked by the caller before the page was asked for.
func (in *interceptor) paused(ctx context.Context, ev *fetch.EventRequestPaused) {
	if in.req.Allow != nil && ev.Request != nil && ev.Request.URL != in.req.URL {
		reason := "malformed"
		if u, err := url.Parse(ev.Request.URL); err == nil {
			reason = in.req.Allow(ctx, u)
		}
		if reason != "" {
			in.mu.Lock()
			in.blocked[reason]++
			if in.sample == "" {
				in.sample = redact(ev.Request.URL)
			}
			if in.document == nil && ev.ResourceType == network.ResourceTypeDocument && in.mainFrame != "" && string(ev.FrameID) == in.mainFrame {
				in.document = &NavigationBlockedError{URL: redact(ev.Request.URL), Reason: reason}
			}
			in.mu.Unlock()
			_, _ = chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonBlockedByClient})
			return
		}
	}
	// An error here means the tab is closing: nothing is left to answer.
	_, _ = chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
}

// auth answers a proxy's challenge once per request with the page's
// credentials; servers' challenges, and a proxy that asks again, are
// cancelled (the page then shows the 401 or 407).
func (in *interceptor) auth(ctx context.Context, ev *fetch.EventAuthRequired) {
	answer := &fetch.AuthChallengeResponse{Response: fetch.AuthChallengeResponseResponseCancelAuth}
	if ev.AuthChallenge != nil && ev.AuthChallenge.Source == fetch.AuthChallengeSourceProxy {
		in.mu.Lock()
		again := in.authAnswered[ev.RequestID]
		in.authAnswered[ev.RequestID] = true
		in.mu.Unlock()
		if again || in.req.ProxyUser == "" {
			in.proxyAuthRefused.Store(true)
		} else {
			answer = &fetch.AuthChallengeResponse{Response: fetch.AuthChallengeResponseResponseProvideCredentials,
				Username: in.req.ProxyUser, Password: in.req.ProxyPassword}
		}
	}
	_, _ = chromedp.Call(ctx, fetch.ContinueWithAuth, fetch.ContinueWithAuthParams{RequestID: ev.RequestID, AuthChallengeResponse: answer})
}

// finish stops new decisions, waits for those under way and returns the
// counts.
func (in *interceptor) finish() (map[string]int, string) {
	in.mu.Lock()
	in.closed = true
	in.mu.Unlock()
	in.inflight.Wait()
	if len(in.blocked) == 0 {
		return nil, ""
	}
	return in.blocked, in.sample
}

// redact drops a URL's user information and query (a sample for a log).
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(malformed URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
