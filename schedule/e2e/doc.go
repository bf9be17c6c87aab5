// Package e2e holds the holiday-sweep end-to-end test (issue 6's
// acceptance): a sweep defined in YAML is fired by the scheduler on a
// simulated clock, its seed tasks go through the Redis frontier to a
// worker that crawls the fake marketplace, matches listings and writes
// findings to the SQLite store, and the scheduler then records the run as
// finished. It lives apart from package schedule so that the scheduler's
// own tests do not depend on every other stage.
package e2e
