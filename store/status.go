package store

import "fmt"

// Status is a listing's review state.
type Status string

const (
	New               Status = "new"
	Confirmed         Status = "confirmed"
	Dismissed         Status = "dismissed"
	TakedownRequested Status = "takedown_requested"
	Removed           Status = "removed"
	Reappeared        Status = "reappeared"
)

// Statuses lists every status in workflow order.
var Statuses = []Status{New, Confirmed, Dismissed, TakedownRequested, Removed, Reappeared}

// ParseStatus checks s against the known statuses.
func ParseStatus(s string) (Status, error) {
	for _, st := range Statuses {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fmt.Errorf("%w: unknown status %q", ErrInvalid, s)
}

// Label is the status in plain words.
func (s Status) Label() string {
	switch s {
	case New:
		return "new"
	case Confirmed:
		return "confirmed"
	case Dismissed:
		return "dismissed"
	case TakedownRequested:
		return "takedown requested"
	case Removed:
		return "removed"
	case Reappeared:
		return "reappeared"
	}
	return string(s)
}

// manual lists the status changes a reviewer may make by hand. Moving to
// takedown_requested happens by marking an export batch requested, and
// removed/reappeared are set by runs, except that a reviewer may record a
// removal the platform confirmed.
var manual = map[Status][]Status{
	New:               {Confirmed, Dismissed},
	Confirmed:         {Dismissed, New},
	Dismissed:         {Confirmed, New},
	TakedownRequested: {Removed, Confirmed},
	Reappeared:        {Confirmed, Dismissed},
}

// CanDecide reports whether a reviewer may move a listing from one status
// to another.
func CanDecide(from, to Status) bool {
	for _, s := range manual[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Exportable reports whether a listing in status s belongs in a takedown
// batch: confirmed, or reappeared after a removal.
func Exportable(s Status) bool { return s == Confirmed || s == Reappeared }
