package queue

import (
	"time"

	"github.com/redis/go-redis/v9"
)

// ItemTaskSample is itemTaskSample for the external tests' benchmarks.
var ItemTaskSample = itemTaskSample

// SetReplicaGoneAfter sets how long a master may lack a replica before
// leases and acks stop waiting for one; it returns the old value.
func SetReplicaGoneAfter(d time.Duration) time.Duration {
	old := replicaGoneAfter
	replicaGoneAfter = d
	return old
}

// SetReplicaMissingFor sets how long WAIT is skipped on a replica-less
// master; it returns the old value.
func SetReplicaMissingFor(d time.Duration) time.Duration {
	old := replicaMissingFor
	replicaMissingFor = d
	return old
}

// WaitsOnReplicas says whether leases and acks on c's master wait for
// replicas (false while the master is taken as replica-less).
func WaitsOnReplicas(c *redis.Client) bool { return !watchOf(c).isReplicaLess() }
