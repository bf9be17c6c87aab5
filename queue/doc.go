// Package queue is markwatch's crawl frontier: the work queue that a fleet
// of workers shares.
//
// Frontier (frontier.go) is the small interface the worker loop
// (package pipeline) uses: Add, Lease, Extend, Ack, Nack, Release, Record,
// Stats. Two implementations keep the same promises and pass the same
// behaviour suite (package queue/queuetest):
//
//   - Memory (memory.go): one process, no Redis; `markwatch demo` without --redis.
//   - Redis (redis.go): many workers on many machines against one Redis or
//     a Redis Cluster; `markwatch worker`.
//
// The promises: delivery is at-least-once with leases (a leased task is
// invisible to other workers until acked; a worker heartbeats with Extend;
// an expired lease is delivered again without spending a retry); a task
// whose failed attempts exceed the retry budget goes to a dead-letter set
// with its last error, from which an operator can requeue it; tasks are
// deduplicated per run on their canonical URL (CanonicalURL); higher
// priority is leased first, FIFO within a priority; a task is not leased
// before its NotBefore time; each site has a token bucket (Limit), and a
// Lease that finds a site's bucket empty takes another site's work rather
// than waiting; and each run keeps its accounting (RunStats).
package queue
