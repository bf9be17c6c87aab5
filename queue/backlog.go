package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// FindingsMark returns the id of the newest entry ever added to the findings
// stream ("0-0" when none). Every finding published before the call has an
// id at or below it. Ids come from the Redis server's clock, so comparing
// marks with entries needs no agreement between machines' clocks.
func FindingsMark(ctx context.Context, client redis.UniversalClient) (string, error) {
	info, err := client.XInfoStream(ctx, findingsStream).Result()
	if err != nil {
		if errors.Is(err, redis.Nil) || strings.Contains(err.Error(), "no such key") {
			return "0-0", nil
		}
		return "", fmt.Errorf("queue: findings mark: %w", err)
	}
	return info.LastGeneratedID, nil
}

// FindingsConsumedThrough reports whether every finding up to mark (from
// FindingsMark) has been consumed: consumed entries are deleted from the
// stream, so the oldest entry left must be newer than mark, or the stream
// empty. Entries set aside as findings dead letters count as consumed; ask
// FindingsDeadLetters about those.
func FindingsConsumedThrough(ctx context.Context, client redis.UniversalClient, mark string) (bool, error) {
	first, err := client.XRangeN(ctx, findingsStream, "-", "+", 1).Result()
	if err != nil {
		return false, fmt.Errorf("queue: findings backlog: %w", err)
	}
	if len(first) == 0 {
		return true, nil
	}
	return streamIDLess(mark, first[0].ID), nil
}

// streamIDLess compares two stream ids "ms-seq".
func streamIDLess(a, b string) bool {
	am, as := splitStreamID(a)
	bm, bs := splitStreamID(b)
	if am != bm {
		return am < bm
	}
	return as < bs
}

func splitStreamID(id string) (ms, seq uint64) {
	m, s, _ := strings.Cut(id, "-")
	ms, _ = strconv.ParseUint(m, 10, 64)
	seq, _ = strconv.ParseUint(s, 10, 64)
	return ms, seq
}
