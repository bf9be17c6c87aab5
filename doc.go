// Package markwatch holds the domain types that flow between markwatch's
// stages: a Task is leased from the frontier, a crawler turns it into a Page
// and Listings, a matcher turns each Listing into a Verdict, and the sink
// records a Finding (verdict plus evidence) for the review store.
//
// The stages live in their own packages (queue, crawler, matchers, store,
// review, schedule); this package has no dependencies so that every stage can
// share the same vocabulary without importing another stage. See
// docs/ARCHITECTURE.md for the data flow and who owns what.
package markwatch
