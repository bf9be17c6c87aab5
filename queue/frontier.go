package queue

import (
	"context"
	"errors"
	"time"

	"github.com/markwatch/markwatch"
)

// ErrClosed is returned by a frontier after Close.
var ErrClosed = errors.New("queue: frontier closed")

// ErrUnknownRun is returned by Stats for a run the frontier has no record of.
var ErrUnknownRun = errors.New("queue: unknown run")

// ErrLeaseLost is returned (wrapped) by Ack, Nack, Release and Extend for a
// task whose lease expired and was handed to another worker, or that was
// already acked: the call changed nothing.
var ErrLeaseLost = errors.New("queue: lease lost")

// Frontier is the crawl work queue shared by workers. Delivery is
// at-least-once: a leased task is invisible to other workers until it is
// acked, nacked, or its lease expires (then it is delivered again without
// spending a retry).
type Frontier interface {
	// Add queues tasks, assigning IDs. A task whose canonical URL was already
	// added in the same run is dropped; Add returns how many were queued.
	Add(ctx context.Context, tasks ...markwatch.Task) (int, error)
	// Lease hands out up to max ready tasks (NotBefore passed), highest
	// priority first, each leased for the frontier's lease length. It returns
	// an empty slice, not an error, when nothing is ready.
	Lease(ctx context.Context, max int) ([]markwatch.Task, error)
	// Extend renews the leases of tasks still being worked on (heartbeat).
	Extend(ctx context.Context, tasks ...markwatch.Task) error
	// Ack marks tasks done.
	Ack(ctx context.Context, tasks ...markwatch.Task) error
	// Nack reports a failed attempt: the attempt counts against the retry
	// budget; the task is queued again after delay or, once the budget is
	// spent (or retry is false), dead-lettered with cause.
	Nack(ctx context.Context, task markwatch.Task, cause error, retry bool, delay time.Duration) error
	// Release gives leased tasks back untouched, without spending a retry
	// (a worker shutting down).
	Release(ctx context.Context, tasks ...markwatch.Task) error
	// Record adds a page's outcome to its run's accounting.
	Record(ctx context.Context, run string, p Progress) error
	// Stats returns the accounting of a run.
	Stats(ctx context.Context, run string) (RunStats, error)
}

// RunStats is a sweep run's accounting.
type RunStats struct {
	Run    string `json:"run"`
	Queued int64  `json:"queued"`
	Leased int64  `json:"leased"`
	Done   int64  `json:"done"`
	Failed int64  `json:"failed"` // failed attempts (retried or not)
	Dead   int64  `json:"dead"`
	// Cancelled counts tasks dropped because the run was cancelled
	// (CancelRun): queued or delayed then, or leased then and later
	// released, recovered or nacked for a retry.
	Cancelled int64     `json:"cancelled"`
	Pages     int64     `json:"pages"`
	Listings  int64     `json:"listings"`
	Suspects  int64     `json:"suspects"`
	Started   time.Time `json:"started,omitzero"`
	Finished  bool      `json:"finished"`
	// FinishedAt is when nothing was left queued or leased.
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// CancelledAt is when the run was cancelled (zero: it was not).
	CancelledAt time.Time `json:"cancelled_at,omitzero"`
	// LostSeeds counts seed tasks that were queued and then rolled back
	// (a Redis master died before its replica had them; seeds.go): the run
	// is not finished while any are lost. Seed the run again to put them
	// back.
	LostSeeds int64 `json:"lost_seeds,omitempty"`
	// RolledBack, when set, says that the run's accounting went backwards:
	// the findings store holds more of its pages than the frontier
	// accounts for (rollback.go). The run is not finished while it is set.
	RolledBack *Rollback `json:"rolled_back,omitempty"`
}

// Progress is what one processed page adds to its run's accounting.
type Progress struct {
	Pages    int64
	Listings int64
	Suspects int64
}
