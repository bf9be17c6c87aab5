package schedule

// Every Redis key of the scheduler is built here. All share the hash tag
// {sched}, so every script touches one Cluster slot; the queue's keys use
// other tags ({g}, {r:RUN}, {s:SITE}) and are never touched by these
// scripts.
//
//	mw:{sched}:leader     string  "TOKEN OWNER": the scheduler lease, with a TTL
//	mw:{sched}:fence      string  counter issuing fencing tokens (INCR)
//	mw:{sched}:sweeps     hash    per-sweep state, field "SWEEP|NAME":
//	                              planned  planned time (ms) of the last scheduled run: the high-water mark
//	                              fired    fired time (ms) of the newest run
//	                              newest   id of the newest run
//	                              ok       finish time (ms) of the last run that ended with no dead task
//	                              running, finished, cancelled  run counts by state
//	mw:{sched}:run:RUN    hash    a run record (see Run)
//	mw:{sched}:runs       zset    run id → fired (ms): history
//	mw:{sched}:active     set     ids of running runs
const keyPrefix = "mw:{sched}:"

const (
	leaderKey = keyPrefix + "leader"
	fenceKey  = keyPrefix + "fence"
	sweepsKey = keyPrefix + "sweeps"
	runsKey   = keyPrefix + "runs"
	activeKey = keyPrefix + "active"
)

func runKey(id string) string { return keyPrefix + "run:" + id }

// sweepField is a field of the sweeps hash. Sweep names cannot contain '|'.
func sweepField(sweep, what string) string { return sweep + "|" + what }
