package queue

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Every Redis key the queue uses is built here, under one prefix, each with
// a Cluster hash tag chosen so that no script ever touches two slots:
//
//	mw:{s:SITE}:q:BAND       stream, one per priority band 0..15, consumer group "mw"
//	mw:{s:SITE}:delayed      zset   band·run·payload by not-before (ms): backoff and NotBefore
//	mw:{s:SITE}:lease:REQ    string the entries one lease request leased (band:id,…), kept a short while: a repeated request gets them again
//	mw:{s:SITE}:dead         hash   task id → band·run·died(ms)·payload (payload carries the last error)
//	mw:{s:SITE}:runs         hash   RUN·q|l|d|f|x|c|i → queued, leased, done, failed, dead, cancelled, idle-since(ms);
//	                                RUN·cancelled → when the run was cancelled (ms): its tasks are refused
//	mw:{s:SITE}:bucket       hash   tokens, ts: the site's fleet-wide token bucket
//	mw:{s:SITE}:seen:RUN     set    12-byte SHA-256 prefixes of canonical URLs; expires RunTTL after the last Add
//	mw:{r:RUN}:meta          hash   started(ms), cancelled(ms), pages, listings, suspects; expires with the run
//	mw:{r:RUN}:sites         set    sites the run has tasks on (Stats sums their runs hashes)
//	mw:{r:RUN}:seeds         set    SITE·HASH of each seed (seeds.go)
//	mw:{r:RUN}:rollback      string JSON Rollback: the store holds more of the run's pages than it accounts for (rollback.go)
//	mw:{g}:sites             zset   site → highest priority band seen (Lease's site order)
//	mw:{g}:runs              zset   run → started(ms)
//	mw:{g}:workers           zset   consumer → last heartbeat(ms)
//	mw:{g}:lease             string the fleet's lease (ms): recorded by the first worker, changed by `queue lease --set`
//	mw:{findings}:stream     stream findings batches, consumer groups of the store
//	mw:{findings}:dead       stream findings entries that could not be decoded or stored (FindingsConsumer.MaxDeliveries), with the error
//
// A site's queue state shares the site's slot, so the lease, ack, nack,
// recover and rate-limit scripts are single-slot. A run's accounting spans
// sites, so the counters that scripts change atomically with the queue
// (queued, leased, done, failed, dead) live in each site's runs hash, and
// the run's own slot holds only what no script needs (meta, its site list);
// Stats sums over the run's sites. Nothing else is cross-slot.
const keyPrefix = "mw:"

// sep separates the parts of delayed members, dead values and runs-hash
// fields; run ids and site names may not contain it (nor braces).
const sep = "\x1f"

// groupName is the consumer group of every task stream.
const groupName = "mw"

type siteKeys struct {
	site    string
	streams [MaxPriority + 1]string
	delayed string
	dead    string
	runs    string
	bucket  string
}

func newSiteKeys(site string) *siteKeys {
	tag := keyPrefix + "{s:" + site + "}:"
	k := &siteKeys{
		site:    site,
		delayed: tag + "delayed",
		dead:    tag + "dead",
		runs:    tag + "runs",
		bucket:  tag + "bucket",
	}
	for b := range k.streams {
		k.streams[b] = tag + "q:" + strconv.Itoa(b)
	}
	return k
}

// leaseRequest returns the key of a new lease request's record (in the
// site's slot; a random name, as two processes may share a consumer name).
func (k *siteKeys) leaseRequest() string {
	return keyPrefix + "{s:" + k.site + "}:lease:" + strconv.FormatUint(rand.Uint64(), 36)
}

func (k *siteKeys) seen(run string) string {
	return keyPrefix + "{s:" + k.site + "}:seen:" + run
}

// allStreams returns the stream keys band 0..MaxPriority, for scripts that
// may touch any band (their KEYS tail).
func (k *siteKeys) allStreams() []string { return k.streams[:] }

func runMetaKey(run string) string  { return keyPrefix + "{r:" + run + "}:meta" }
func runSitesKey(run string) string { return keyPrefix + "{r:" + run + "}:sites" }

const (
	sitesKey        = keyPrefix + "{g}:sites"
	runsKey         = keyPrefix + "{g}:runs"
	workersKey      = keyPrefix + "{g}:workers"
	leaseKey        = keyPrefix + "{g}:lease"
	findingsStream  = keyPrefix + "{findings}:stream"
	findingsDeadKey = keyPrefix + "{findings}:dead"
)

// runField is a field of a site's runs hash.
func runField(run, counter string) string { return run + sep + counter }

// checkName rejects names that would break the key layout.
func checkName(what, name string) error {
	if name == "" {
		return fmt.Errorf("empty %s", what)
	}
	if strings.ContainsAny(name, "{}"+sep) {
		return fmt.Errorf("%s %q: must not contain braces or control character 0x1f", what, name)
	}
	return nil
}

// taskID is how the Redis frontier names a task: its priority band and its
// stream entry id, which together locate its stream.
func taskID(band int, streamID string) string { return strconv.Itoa(band) + "/" + streamID }

func parseTaskID(id string) (int, string, error) {
	b, rest, ok := strings.Cut(id, "/")
	n, err := strconv.Atoi(b)
	if !ok || err != nil || n < 0 || n > MaxPriority || rest == "" {
		return 0, "", fmt.Errorf("queue: malformed task id %q", id)
	}
	return n, rest, nil
}

func redisZ(score float64, member string) redis.Z { return redis.Z{Score: score, Member: member} }
