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
// than waiting; each run keeps its accounting (RunStats); and a run can be
// cancelled (CancelRun on both frontiers, cancel.go): its queued and
// delayed tasks are dropped, its leased ones finish, and nothing of it is
// queued again, so the run is finished once its leased tasks are acked.
package queue

// # The Redis design
//
// Each site has one Redis stream per priority band (0..15; Task.Priority is
// clamped into that range for ordering) with one consumer group, "mw". A
// Lease is XREADGROUP on the site's streams from the highest band down; the
// entry then sits in the group's pending list (PEL), owned by the leasing
// worker, until XACK. That is the lease: nothing is popped destructively,
// so a worker that dies holds nothing that is lost.
//
// Why streams and not lists with a lease sorted set: the PEL already is a
// lease table kept by Redis itself, with the idle time of every entry
// (XAUTOCLAIM finds expired leases without a separate index, XCLAIM JUSTID
// is the heartbeat), and a stream entry is small (about 120 bytes for a
// search task and 260 for an item task with its card's listing:
// listpack-encoded, field names shared, the task in a compact binary
// payload, codec.go) where a list element plus a zset member plus a
// payload hash costs well over 200. Streams give
// neither priorities nor delays, so priorities are one stream per band and
// delays a sorted set per site (backoff and NotBefore) that the lease
// script moves into the streams when due. The cost is that lease age is
// measured on the Redis clock (idle time) while not-before and token buckets
// use the caller's clock: keep workers' clocks in NTP sync.
//
// Expired leases: the recoverer (recoverer.go, run every quarter lease by
// Lease itself and by the background loop Start) XAUTOCLAIMs entries idle
// for a lease, acks them and re-adds them at the end of their stream with
// the attempt unchanged (a crash spends no retry). The stalled worker's
// late Ack then finds nothing pending and returns ErrLeaseLost, so a page
// is never counted done twice. Recovery time is one lease plus at most a
// quarter.
//
// The lease is the fleet's, not a process's (fleetlease.go): the first
// worker records its lease in mw:{g}:lease, CheckLease refuses a worker
// whose lease differs, every recoverer measures expiry against the
// recorded lease, and `markwatch queue lease --set` changes it while no
// worker is alive.
//
// Failures: Nack acks the entry and either puts the task (attempt + 1, last
// error) into the delayed set with its backoff, or, past the retry budget,
// into the site's dead-letter hash with the time it died. Requeue moves
// dead letters back with a fresh budget.
//
// Politeness: each site has a token bucket in Redis (rate and burst from the
// adapter). The lease script takes tokens and tasks in one step, so N
// workers together never lease more than rate × t + burst of a site's tasks;
// a site whose bucket is empty is skipped and Lease goes on to the next
// site, so a worker never sleeps holding a task it may not fetch yet.
//
// Dedup: a set per site and run holds a 12-byte SHA-256 prefix of each
// task's canonical URL (about 50 bytes of Redis memory per entry); it
// expires RunTTL after the run's last Add.
//
// Accounting: the counters that change atomically with the queue (queued,
// leased, done, failed, dead, cancelled, and when the run went idle on the
// site) live in each site's runs hash, in the site's slot, updated by the
// same scripts; pages, listings and suspects (Record) live in the run's own
// hash.
// Stats sums a run's sites. A run is finished when nothing is queued,
// delayed or leased on any of its sites.
//
// Cancellation (cancel.go): CancelRun marks the run's meta, then runs
// cancelScript on each of the run's sites in turn (one call per site and
// bounded slice, never a cross-slot script): it flags the run in the
// site's runs hash and deletes the run's undelivered stream entries and
// delayed members. Every script that would queue a task checks the flag.
//
// Cluster: every script touches one site's keys only, all under the hash
// tag {s:SITE}; run keys use {r:RUN}, global indexes {g}, findings
// {findings}. The behaviour suite runs on a 3-master Cluster to prove that
// nothing crosses slots. Every Lua script is documented in scripts.go
// (KEYS, ARGV, return value) and every key is built in keys.go.
//
// Batches: Add is one addScript call per site and run (tasks in sections
// of one band, two arguments a task), Lease one leaseScript call per site
// visited, Ack one ackScript call per site (one XACK per stream and run
// inside it).
//
// Acked entries are not deleted one by one: the ack script trims each
// stream it touched up to its oldest pending entry (XTRIM MINID), which
// keeps memory bounded at a fraction of the cost of an XDEL per task.
//
// Findings flow the other way through one stream, mw:{findings}:stream
// (findings.go): workers publish a FindingsBatch per page (the page's
// metadata, its SHA-256 and, for pages with a suspect, the body gzip'd), and
// the store's process consumes it in a consumer group, acking after the
// store has written. Delivery is at-least-once, so the store writes
// idempotently on (run, site, listing id). A batch the store cannot take
// is retried up to FindingsConsumer.MaxDeliveries deliveries (the group's
// own delivery count), then moved with its last error to
// mw:{findings}:dead (findingsdead.go), from which an operator requeues it.
//
// # Failover
//
// Dial (dial.go) adds a hook to every client (failover.go) that retries a
// call while Redis is unreachable or failing over, for the failover budget,
// reloading a Cluster's slot map on each such error; Sentinel URLs get
// go-redis' failover client. Ack, nack, release and extend check in their
// scripts that the caller holds the lease. Seeds and findings batches are
// confirmed on replicas with WAIT when the deployment has replicas
// (durable.go), and seeds are recorded in the run's slot too, so that a
// failover that rolled seeds back shows as RunStats.LostSeeds (seeds.go).
//
// # Limits
//
//   - Priorities above 15 order as 15.
//   - A page processed twice (a lease that expired while the worker was
//     alive, or a Redis restart during its ack) is counted twice in pages,
//     listings and suspects; queued/leased/done are exact.
//   - Redis 7.0 cannot expire hash fields, so a run's fields in the sites'
//     runs hashes are removed by the janitor (janitor.go) once the run's
//     meta has expired; the janitor also drops consumers of dead workers.
