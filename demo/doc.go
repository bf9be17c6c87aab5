// Package demo runs every markwatch stage in one process: the fake
// marketplace on loopback, the default site adapters pointed at it, one
// sweep of the catalogue's queries through a frontier (in-process, or Redis
// when given a URL), the matcher, the SQLite store, and the review app with
// /metrics. It is `markwatch demo` and also what the end-to-end test runs,
// so the two cannot drift apart.
//
// Precision and recall are measured against the fake marketplace's ground
// truth: a listing counts once per site, a suspect the matcher flagged that
// the ground truth says is not one is a false positive, and a suspect
// listing reachable through the sweep's queries that was not flagged (or
// never crawled) is a false negative.
package demo
