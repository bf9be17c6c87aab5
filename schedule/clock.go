package schedule

import (
	"sync"
	"time"
)

// Clock tells the time. The scheduler, the plan and the status commands
// read the time only through a Clock, so that tests can run a whole holiday
// window on a SimClock in milliseconds.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now implements Clock.
func (SystemClock) Now() time.Time { return time.Now() }

// SimClock is a simulated clock that moves only when told. It is safe for
// concurrent use.
type SimClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewSimClock returns a SimClock reading t.
func NewSimClock(t time.Time) *SimClock { return &SimClock{now: t} }

// Now implements Clock.
func (c *SimClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *SimClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves the clock forward by d and returns the new time.
func (c *SimClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

var (
	_ Clock = SystemClock{}
	_ Clock = (*SimClock)(nil)
)
