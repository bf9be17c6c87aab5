package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// The findings dead-letter stream, mw:{findings}:dead, keeps the batches
// the findings consumer gave up on: undecodable entries, and batches not
// stored after FindingsConsumer.MaxDeliveries deliveries (a page body that
// fails its SHA-256 check, a store that keeps refusing them). Each entry
// keeps the batch as published and why it died, so that an operator can
// read it (`markwatch queue dead --findings`) and, once the cause is fixed,
// publish it again (`markwatch queue requeue --findings`).

// FindingsDeadLetter is one entry of the findings dead-letter stream.
type FindingsDeadLetter struct {
	ID         string    `json:"id"`    // its id in the dead-letter stream (RequeueFindings takes it)
	Entry      string    `json:"entry"` // its id in the findings stream when it died
	Run        string    `json:"run,omitempty"`
	Site       string    `json:"site,omitempty"`
	Task       string    `json:"task,omitempty"`
	URL        string    `json:"url,omitempty"`
	Findings   int       `json:"findings"`
	Deliveries int64     `json:"deliveries"` // 0 when unknown
	Error      string    `json:"error"`
	DiedAt     time.Time `json:"died_at"`
}

// FindingsDeadLetters lists the findings dead-letter stream, oldest first.
func FindingsDeadLetters(ctx context.Context, client redis.UniversalClient) ([]FindingsDeadLetter, error) {
	msgs, err := client.XRange(ctx, findingsDeadKey, "-", "+").Result()
	if err != nil {
		return nil, fmt.Errorf("queue: findings dead letters: %w", err)
	}
	out := make([]FindingsDeadLetter, 0, len(msgs))
	for _, m := range msgs {
		str := func(k string) string { s, _ := m.Values[k].(string); return s }
		d := FindingsDeadLetter{ID: m.ID, Entry: str("entry"), Run: str("run"), Site: str("site"), Task: str("task"),
			Error: str("error"), DiedAt: time.UnixMilli(idMillis(m.ID))}
		d.Deliveries, _ = strconv.ParseInt(str("deliveries"), 10, 64)
		var b FindingsBatch
		if json.Unmarshal([]byte(str("b")), &b) == nil {
			d.URL, d.Findings = b.Page.URL, len(b.Findings)
			if d.Run == "" {
				d.Run, d.Site, d.Task = b.Run, b.Site, b.Task
			}
		}
		out = append(out, d)
	}
	return out, nil
}

// RequeueFindings publishes findings dead letters again (the given
// dead-letter ids, or all of them when none are given) with a fresh
// delivery budget, and removes them from the dead-letter stream, each in
// one transaction. It returns how many it requeued.
func RequeueFindings(ctx context.Context, client redis.UniversalClient, ids ...string) (int, error) {
	var msgs []redis.XMessage
	if len(ids) == 0 {
		all, err := client.XRange(ctx, findingsDeadKey, "-", "+").Result()
		if err != nil {
			return 0, fmt.Errorf("queue: requeue findings: %w", err)
		}
		msgs = all
	}
	for _, id := range ids {
		one, err := client.XRange(ctx, findingsDeadKey, id, id).Result()
		if err != nil {
			return 0, fmt.Errorf("queue: requeue findings dead letter %s: %w", id, err)
		}
		msgs = append(msgs, one...)
	}
	n := 0
	for _, m := range msgs {
		raw, _ := m.Values["b"].(string)
		_, err := client.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.XAdd(ctx, &redis.XAddArgs{Stream: findingsStream, Values: []string{"b", raw}})
			p.XDel(ctx, findingsDeadKey, m.ID)
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("queue: requeue findings dead letter %s: %w", m.ID, err)
		}
		n++
	}
	return n, nil
}
