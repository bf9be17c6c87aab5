package crawler

import (
	"testing"
	"time"
)

func TestBackoffIsBoundedJitterAndHonoursRetryAfter(t *testing.T) {
	b := Backoff{Base: 100 * time.Millisecond, Max: time.Second}
	for attempt := 1; attempt <= 8; attempt++ {
		ceiling := min(100*time.Millisecond<<(attempt-1), time.Second)
		for range 50 {
			if d := b.Delay(attempt, 0); d <= 0 || d > ceiling {
				t.Fatalf("attempt %d: delay %v outside (0, %v]", attempt, d, ceiling)
			}
		}
	}
	if d := b.Delay(1, 5*time.Second); d != 5*time.Second {
		t.Fatalf("Retry-After not honoured: %v", d)
	}
}
