package review

import (
	"fmt"
	"testing"
	"time"
)

// Spraying failed logins for many other names must not lift a lock.
func TestLoginLockSurvivesANameSpray(t *testing.T) {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	l := newLoginLimiter(func() time.Time { return now })
	for range 5 {
		l.failed("admin")
	}
	if !l.locked("admin") {
		t.Fatal("admin not locked after 5 failures")
	}
	for i := range 20_000 {
		l.failed(fmt.Sprintf("spray-%d", i))
	}
	if !l.locked("admin") {
		t.Fatal("a spray of other names lifted admin's lock")
	}
	if len(l.fails) > 10_002 {
		t.Fatalf("limiter holds %d names, want it bounded", len(l.fails))
	}
	now = now.Add(2 * time.Minute)
	if l.locked("admin") {
		t.Fatal("the lock did not expire")
	}
}
