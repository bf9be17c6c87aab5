package markwatch

import "time"

// TaskKind says what a task fetches.
type TaskKind string

const (
	// KindSearch is a marketplace search-result page for Task.Query, page Task.Page.
	KindSearch TaskKind = "search"
	// KindItem is one listing's item page; Task.Listing carries what the
	// search card already said, to be merged with the item page's fields.
	KindItem TaskKind = "item"
)

// Task is one unit of crawl work. The frontier assigns ID when the task is
// added; everything else is set by whoever creates the task (the scheduler,
// `markwatch enqueue`, or a crawler following links).
type Task struct {
	ID    string   `json:"id,omitempty"`
	Run   string   `json:"run"`             // sweep run id
	Sweep string   `json:"sweep,omitempty"` // sweep name, for logs and metrics
	Site  string   `json:"site"`            // site adapter name
	Kind  TaskKind `json:"kind"`
	URL   string   `json:"url"`
	Query string   `json:"query,omitempty"`
	Page  int      `json:"page,omitempty"`
	// Attempt counts failed fetches so far (0 on first delivery). A worker
	// crash does not count: only a Nack does.
	Attempt int `json:"attempt,omitempty"`
	// Priority: higher is leased first. Item pages get their search page's
	// priority plus one so that a search's items are fetched before its next page.
	Priority  int       `json:"priority,omitempty"`
	NotBefore time.Time `json:"not_before,omitzero"`
	// MaxPages bounds how far a search task's pagination may go (0: the
	// adapter's max_pages).
	MaxPages int `json:"max_pages,omitempty"`
	// Listing is the partial listing from a search card, for item tasks.
	Listing *Listing `json:"listing,omitempty"`
	// LastError is the error of the last failed attempt, kept for dead letters.
	LastError string `json:"last_error,omitempty"`
}
