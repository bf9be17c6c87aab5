package queue

import (
	"context"
	"time"

	"github.com/markwatch/markwatch"
)

// Inspector is what the operator commands (`markwatch queue stats|dead|
// requeue`) need beyond Frontier. Both frontiers implement it.
type Inspector interface {
	// Runs lists the runs the frontier knows, oldest first.
	Runs(ctx context.Context) ([]string, error)
	// DeadLetters lists dead-lettered tasks of a site ("" for every site),
	// each with its last error in Task.LastError.
	DeadLetters(ctx context.Context, site string) ([]DeadLetter, error)
	// Requeue queues dead letters again with a fresh retry budget: the
	// given ids, or all of the site's ("" for every site) when none are
	// given. It returns how many were queued.
	Requeue(ctx context.Context, site string, ids ...string) (int, error)
}

// DeadLetter is a task that spent its retry budget (or failed for good).
type DeadLetter struct {
	Task   markwatch.Task `json:"task"`
	DiedAt time.Time      `json:"died_at"`
}
