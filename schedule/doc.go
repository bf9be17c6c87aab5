// Package schedule decides when markwatch sweeps run, and fires them.
//
// Operators think in holidays, not cron lines: "from ten days before
// National Day until it ends, every four hours". configs/sweeps.yaml says
// exactly that (File, Sweep, WindowSpec): each named sweep lists its sites
// and queries (explicit, or every name of the marks of a kind), a window
// around an official holiday, an e-commerce festival or a date range,
// widened by before and after, and how often it runs inside the window and
// outside it. Validation names the sweep and the field at fault, with the
// file and line.
//
// # Calendar
//
// The dates come from package calendar: the State Council's days off and
// make-up workdays (via lunar-go), festival days computed for any year, and
// a flag, never a silent guess, for a year with no official arrangement.
// The e-commerce festivals ("618", double_11, double_12, new_year_goods)
// are dated windows configured in sweeps.yaml over built-in defaults;
// File.Calendar joins both behind the small Calendar interface. Every date
// is placed in the file's time zone, Asia/Shanghai by default.
//
// # Plan
//
// Sweep.Windows resolves a sweep's windows over a range of time and
// Sweep.Slots its run times: inside a window every Every from the window's
// start; outside windows (or all year, for a sweep without one) on a grid of
// Outside anchored at local midnight plus Offset. File.Plan is what
// `markwatch sweep plan` prints, so an operator can check a year before it
// happens.
//
// # Scheduler
//
// Scheduler fires due runs; run it on several machines. Each tick the
// instances race for one Redis lease (leaseScript); the holder gets a
// fencing token, a number that grows with every new tenure. A run is
// recorded by fireScript only if the lease still holds that token, and only
// if its slot is past the sweep's high-water mark, which the same script
// moves: a paused leader whose lease lapsed cannot write, and no slot is
// ever fired twice. After downtime the missed slots collapse into one run
// of the latest (trigger catchup); slots older than Params.CatchUp are
// dropped with a log line.
//
// A recorded run is then seeded: one search task per site × query, queued
// through a Seeder (FrontierSeeder: site adapter URL + queue.Frontier.Add).
// Seeding after recording means a crash in between leaves a run recorded
// but unseeded; the leader seeds it again after SeedRetry, which is safe
// because the frontier drops a run's duplicate URLs. The leader also marks
// runs finished when the frontier reports nothing queued or leased.
// Operators fire runs by hand (RunNow), cancel them (Cancel: the record says
// cancelled and a Canceller drops the queued tasks) and read History and
// Status (the frontier's accounting with a rate and an estimated finish).
//
// Every Redis key is built in keys.go under one hash tag, so the scripts
// work on Redis Cluster; each script documents its KEYS, ARGV and returns.
// Time is read only through a Clock, so tests drive whole holiday windows
// on a SimClock against a real Redis.
package schedule
