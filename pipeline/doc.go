// Package pipeline is the worker loop that joins the stages: it leases tasks
// from a queue.Frontier, crawls them (Crawler), judges every listing
// (Matcher), hands findings and the page they came from to a Sink, records
// the run's accounting and acks the task. Failed fetches are nacked with
// backoff; robots-disallowed URLs are acked and counted; a layout change is
// dead-lettered at once (retrying cannot help until the adapter is fixed).
//
// The same Worker runs in `markwatch demo` (in-process frontier, store sink)
// and in `markwatch worker` (Redis frontier, Redis findings stream).
package pipeline
