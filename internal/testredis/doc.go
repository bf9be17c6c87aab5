// Package testredis starts private redis-server processes for tests.
//
// markwatch's tests talk to a real Redis, never an in-memory fake: the
// frontier's correctness lives in Lua scripts and in Redis' own semantics
// (stream consumer groups, key expiry, Cluster slots), which a fake would
// only imitate. Each test gets its own server on a free loopback port with
// its data directory under t.TempDir(); the machine's own Redis on 6379 is
// never touched.
//
//	srv := testredis.Start(t)        // single server, appendonly on
//	rdb := srv.Client()              // redis.UniversalClient, closed in t.Cleanup
//	srv.Restart(t)                   // same port, same data (AOF replayed)
//	srv.Kill()                       // SIGKILL, for crash drills
//
//	cl := testredis.StartCluster(t, 3) // 3 masters, slots spread, cluster_state:ok
//	crdb := cl.Client()                // *redis.ClusterClient
//
// Failover drills get replicas and Sentinels:
//
//	cl := testredis.StartClusterWith(t, testredis.ClusterOptions{Masters: 3, Replicas: 1, NodeTimeout: time.Second})
//	m := cl.MasterOf(t, key, time.Second)   // the live master of key's slot
//	cl.ReplicaOf(t, m).HoldReplication(t)   // its replica stops receiving writes
//	m.Kill(); cl.WaitFailover(t, key, m, d)  // the replica took over; cluster_state:ok
//	m.Restart(t)                            // rejoins as a replica (nodes.conf kept)
//
//	s := testredis.StartSentinel(t, 1, 3, 500*time.Millisecond) // master, replica, 3 sentinels
//	s.URL()                                 // redis-sentinel://…/mw for queue.Dial
//
// If redis-server (or redis-cli, for clusters) is not on PATH the test fails
// with the install line; it never silently skips.
package testredis
