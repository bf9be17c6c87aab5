package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// FindingsConsumedBefore reports whether every finding published before t
// has been consumed by the store's owner: consumed entries are deleted from
// the findings stream, so the oldest entry left must be younger than t (or
// the stream empty). The store's owner uses it to know that a finished run's
// findings are all stored before it finishes the run.
func FindingsConsumedBefore(ctx context.Context, client redis.UniversalClient, t time.Time) (bool, error) {
	first, err := client.XRangeN(ctx, findingsStream, "-", "+", 1).Result()
	if err != nil {
		return false, fmt.Errorf("queue: findings backlog: %w", err)
	}
	if len(first) == 0 {
		return true, nil
	}
	return idMillis(first[0].ID) > t.UnixMilli(), nil
}
