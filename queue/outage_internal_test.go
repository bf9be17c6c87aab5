package queue

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// A failed attempt that began before Redis was seen back (a dial whose own
// retries straddled the restart, answered after another command had
// succeeded) is the end of the outage just logged, not a new one; a
// failure that begins after it is.
func TestOutageIgnoresAttemptsThatBeganBeforeTheRecovery(t *testing.T) {
	var logs bytes.Buffer
	clock := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	o := &outage{log: slog.New(slog.NewTextHandler(&logs, nil)), now: func() time.Time { return clock }}
	refused := errors.New("dial tcp 127.0.0.1:1: connect: connection refused")

	o.down(refused, time.Minute, o.began())
	clock = clock.Add(time.Second)
	straddling := o.began() // an attempt begun during the outage
	clock = clock.Add(time.Second)
	o.up()
	o.down(refused, time.Minute, straddling)
	if o.isOut.Load() {
		t.Fatal("a failure of an attempt begun during the outage opened a new one")
	}
	if n := strings.Count(logs.String(), "redis unavailable"); n != 1 {
		t.Fatalf("%d 'redis unavailable' lines, want 1:\n%s", n, logs.String())
	}

	clock = clock.Add(time.Second)
	o.down(refused, time.Minute, o.began()) // begun after the recovery
	if !o.isOut.Load() {
		t.Fatal("a failure begun after the recovery did not open a new outage")
	}
	if n := strings.Count(logs.String(), "redis unavailable"); n != 2 {
		t.Fatalf("%d 'redis unavailable' lines, want 2:\n%s", n, logs.String())
	}
}
