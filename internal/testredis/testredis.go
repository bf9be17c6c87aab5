package testredis

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/markwatch/markwatch/internal/testport"
	"github.com/redis/go-redis/v9"
)

// InstallHint is the line that installs what the helper needs on Debian.
const InstallHint = "apt-get install -y redis-server"

// Server is one private redis-server.
type Server struct {
	// Addr is host:port on loopback.
	Addr string

	bin   string
	dir   string
	port  int
	extra []string
	// sentinelConf, when set, runs the server as a Sentinel with this
	// configuration file (written before each launch).
	sentinelConf func(port int) string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	// portLock holds the port for the server's whole life, down or up
	// (testport.Reserve: a killed server's port must not be handed to
	// another test's server before it is restarted there).
	portLock *os.File

	clientsMu sync.Mutex
	clients   []closer
}

type closer interface{ Close() error }

// Start runs a private redis-server with appendonly on, waits until it
// answers PING, and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return start(t, t.TempDir())
}

// StartReplicaOf runs a private redis-server replicating master (not yet
// in sync when it returns: see WaitOnlineReplicas).
func StartReplicaOf(t testing.TB, master *Server) *Server {
	t.Helper()
	return start(t, t.TempDir(), "--replicaof", "127.0.0.1", strconv.Itoa(master.port))
}

// WaitOnlineReplicas waits until the server, as a master, lists exactly n
// replicas online (INFO replication), up to timeout.
func (s *Server) WaitOnlineReplicas(t testing.TB, n int, timeout time.Duration) {
	t.Helper()
	rc := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer rc.Close()
	deadline := time.Now().Add(timeout)
	for {
		info, err := rc.Info(context.Background(), "replication").Result()
		_, online := replicationOf(info)
		if err == nil && online == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("testredis: %s has %d replicas online after %v, want %d (%v)", s.Addr, online, timeout, n, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func start(t testing.TB, dir string, extra ...string) *Server {
	t.Helper()
	s := &Server{bin: lookPath(t, "redis-server"), dir: dir, extra: extra}
	if err := s.launchOnFreePort(t); err != nil {
		t.Fatalf("testredis: start redis-server: %v\n%s", err, s.logTail())
	}
	t.Cleanup(s.stop)
	return s
}

// launchOnFreePort reserves a free port for s and launches it there,
// trying another port when the launch fails.
func (s *Server) launchOnFreePort(t testing.TB) error {
	t.Helper()
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		port, lock, rerr := testport.Reserve()
		if rerr != nil {
			t.Fatalf("testredis: %v", rerr)
		}
		s.port, s.portLock = port, lock
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
		if err = s.launch(); err == nil {
			return nil
		}
		s.releasePort()
	}
	return err
}

func (s *Server) releasePort() {
	if s.portLock != nil {
		_ = s.portLock.Close() // closing the file drops its lock
		s.portLock = nil
	}
}

func lookPath(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("testredis: %s not found on PATH; install it with: %s", name, InstallHint)
	}
	return p
}

func (s *Server) args() []string {
	if s.sentinelConf != nil {
		conf := filepath.Join(s.dir, "sentinel.conf")
		// Sentinel rewrites its file: write it only before the first launch.
		if _, err := os.Stat(conf); err != nil {
			_ = os.WriteFile(conf, []byte(s.sentinelConf(s.port)), 0o644)
		}
		return []string{conf, "--sentinel"}
	}
	a := []string{
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--dir", s.dir,
		"--appendonly", "yes",
		"--appendfsync", "everysec",
		"--save", "",
		"--daemonize", "no",
		"--protected-mode", "no",
		"--logfile", filepath.Join(s.dir, "redis.log"),
		// A replica that (re)joins syncs at once, not after the 5s default wait.
		"--repl-diskless-sync-delay", "0",
	}
	return append(a, s.extra...)
}

// launch starts the process and waits for PING.
func (s *Server) launch() error {
	cmd := exec.Command(s.bin, s.args()...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()

	c := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer c.Close()
	deadline := time.Now().Add(60 * time.Second) // generous: a loaded machine only makes it slower
	for {
		select {
		case <-done:
			return fmt.Errorf("redis-server on %s exited at start", s.Addr)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		// While loading the AOF Redis answers LOADING; keep waiting.
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			return fmt.Errorf("redis-server on %s did not answer PING within 60s: %w", s.Addr, err)
		}
		time.Sleep(15 * time.Millisecond)
	}
}

func (s *Server) logTail() string {
	b, err := os.ReadFile(filepath.Join(s.dir, "redis.log"))
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}

// URL is the server's redis:// URL (database 0).
func (s *Server) URL() string { return "redis://" + s.Addr + "/0" }

// Client returns a new client for the server, closed when the test ends.
func (s *Server) Client() redis.UniversalClient {
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	s.clientsMu.Lock()
	s.clients = append(s.clients, c)
	s.clientsMu.Unlock()
	return c
}

// Kill sends SIGKILL and waits for the process to go: nothing is flushed
// beyond what appendfsync everysec already wrote.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// Pause stops the server's process (SIGSTOP): its connections stay open
// but nothing is answered, as a server starved of CPU. Resume undoes it.
func (s *Server) Pause(t testing.TB) { s.signal(t, syscall.SIGSTOP) }

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume(t testing.TB) { s.signal(t, syscall.SIGCONT) }

func (s *Server) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil {
		t.Fatalf("testredis: signal %v to %s: not running", sig, s.Addr)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatalf("testredis: signal %v to %s: %v", sig, s.Addr, err)
	}
}

// shutdown stops the server gracefully (SIGTERM: Redis fsyncs the AOF),
// killing it if it takes more than 10s.
func (s *Server) shutdown() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-done:
		return
	default:
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}
}

// Stop stops the server gracefully; Start it again with Restart.
func (s *Server) Stop() { s.shutdown() }

// Restart stops the server gracefully and starts it again on the same port
// with the same data directory (the AOF is replayed). It also restarts a
// server stopped by Kill or Stop.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.shutdown()
	var err error
	// The port may take a moment to be free again.
	for attempt := 0; attempt < 50; attempt++ {
		if err = s.launch(); err == nil {
			return
		}
		t.Logf("testredis: restart on %s: %v (trying again)", s.Addr, err)
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("testredis: restart redis-server on %s: %v\n%s", s.Addr, err, s.logTail())
}

func (s *Server) stop() {
	s.clientsMu.Lock()
	for _, c := range s.clients {
		_ = c.Close()
	}
	s.clients = nil
	s.clientsMu.Unlock()
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd != nil {
		_ = cmd.Process.Signal(syscall.SIGKILL) // data is in t.TempDir(), nothing to keep
		<-done
	}
	s.releasePort()
}

// Cluster is a private Redis Cluster of masters without replicas.
type Cluster struct {
	// Addrs are the masters' host:port addresses.
	Addrs []string

	nodes []*Server

	clientsMu sync.Mutex
	clients   []closer
}

// StartCluster starts masters redis-server processes with cluster mode on,
// joins them with redis-cli --cluster create (slots spread evenly, no
// replicas) and waits for cluster_state:ok on every node.
func StartCluster(t testing.TB, masters int) *Cluster {
	t.Helper()
	return StartClusterWith(t, ClusterOptions{Masters: masters})
}

// ClusterOptions shape a test Cluster.
type ClusterOptions struct {
	// Masters is the number of masters (at least 3).
	Masters int
	// Replicas is the number of replicas of each master (default 0).
	Replicas int
	// NodeTimeout is cluster-node-timeout: how long a master may be
	// unreachable before its replica takes over. Default 2s.
	NodeTimeout time.Duration
}

// StartClusterWith starts a Cluster of o.Masters masters with o.Replicas
// replicas each (redis-cli --cluster create --cluster-replicas) and waits
// for cluster_state:ok on every node. Replicas are always eligible for
// promotion (cluster-replica-validity-factor 0), so a drill that held a
// replica's link back can still fail over to it.
func StartClusterWith(t testing.TB, o ClusterOptions) *Cluster {
	t.Helper()
	masters := o.Masters
	if masters < 3 {
		t.Fatalf("testredis: a Redis Cluster needs at least 3 masters, got %d", masters)
	}
	if o.NodeTimeout <= 0 {
		o.NodeTimeout = 2 * time.Second
	}
	cli := lookPath(t, "redis-cli")
	c := &Cluster{}
	for i := 0; i < masters*(1+o.Replicas); i++ {
		dir := filepath.Join(t.TempDir(), fmt.Sprintf("node%d", i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		n := start(t, dir, "--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(dir, "nodes.conf"),
			"--cluster-node-timeout", strconv.FormatInt(o.NodeTimeout.Milliseconds(), 10),
			"--cluster-replica-validity-factor", "0")
		c.nodes = append(c.nodes, n)
		c.Addrs = append(c.Addrs, n.Addr)
	}
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", strconv.Itoa(o.Replicas), "--cluster-yes")
	out, err := exec.Command(cli, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("testredis: redis-cli %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if err := c.waitOK(60*time.Second, o.Replicas); err != nil {
		t.Fatalf("testredis: %v", err)
	}
	t.Cleanup(func() {
		c.clientsMu.Lock()
		defer c.clientsMu.Unlock()
		for _, cl := range c.clients {
			_ = cl.Close()
		}
	})
	return c
}

// Client returns a new cluster client, closed when the test ends. Its
// routing table is loaded before it is returned.
func (c *Cluster) Client() redis.UniversalClient {
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs})
	// Make sure every node agrees on the slot map before tests run: a
	// freshly created cluster can briefly answer CLUSTERDOWN or MOVED.
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := cc.ForEachShard(ctx, func(ctx context.Context, n *redis.Client) error { return n.Ping(ctx).Err() })
		if err == nil || time.Now().After(deadline) {
			break
		}
		cc.ReloadState(ctx)
		time.Sleep(50 * time.Millisecond)
	}
	c.clientsMu.Lock()
	c.clients = append(c.clients, cc)
	c.clientsMu.Unlock()
	return cc
}

// Node returns the i-th master's server (to Kill or Restart one).
func (c *Cluster) Node(i int) *Server { return c.nodes[i] }

// Nodes returns every node's server, masters and replicas, in start order
// (roles change with failovers: ask Role).
func (c *Cluster) Nodes() []*Server { return c.nodes }

// waitOK waits until every live node reports cluster_state:ok and every
// master has replicas online replicas.
func (c *Cluster) waitOK(timeout time.Duration, replicas int) error {
	deadline := time.Now().Add(timeout)
	for {
		err := c.healthy(replicas)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster not healthy after %v: %v", timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *Cluster) healthy(replicas int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, n := range c.nodes {
		if !n.Alive() {
			continue
		}
		rc := redis.NewClient(&redis.Options{Addr: n.Addr, MaxRetries: -1})
		info, err := rc.ClusterInfo(ctx).Result()
		var role string
		var online int
		if err == nil {
			var repl string
			repl, err = rc.Info(ctx, "replication").Result()
			role, online = replicationOf(repl)
		}
		rc.Close()
		if err != nil {
			return fmt.Errorf("node %s: %w", n.Addr, err)
		}
		if !strings.Contains(info, "cluster_state:ok") {
			return fmt.Errorf("node %s: not cluster_state:ok", n.Addr)
		}
		if role == "master" && online < replicas {
			return fmt.Errorf("master %s has %d of %d replicas online", n.Addr, online, replicas)
		}
	}
	return nil
}

// replicationOf reads the role and the number of online replicas from
// INFO replication.
func replicationOf(info string) (role string, online int) {
	for _, line := range strings.Split(info, "\n") {
		line = strings.TrimSpace(line)
		if r, ok := strings.CutPrefix(line, "role:"); ok {
			role = r
		}
		if strings.HasPrefix(line, "slave") && strings.Contains(line, "state=online") {
			online++
		}
	}
	return role, online
}

// WaitOK waits until every live node reports cluster_state:ok (a failover
// finished) and returns when it saw that.
func (c *Cluster) WaitOK(t testing.TB, timeout time.Duration) time.Time {
	t.Helper()
	if err := c.waitOK(timeout, 0); err != nil {
		t.Fatalf("testredis: %v", err)
	}
	return time.Now()
}

// WaitReplicated waits until the cluster is ok and every master has
// replicas online replicas (a restarted node rejoined and synced).
func (c *Cluster) WaitReplicated(t testing.TB, replicas int, timeout time.Duration) {
	t.Helper()
	if err := c.waitOK(timeout, replicas); err != nil {
		t.Fatalf("testredis: %v", err)
	}
}

// MasterOf returns the live node that is the master of key's slot, as the
// live nodes see it (it fails the test if none is found within timeout).
func (c *Cluster) MasterOf(t testing.TB, key string, timeout time.Duration) *Server {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, n := range c.nodes {
			if !n.Alive() {
				continue
			}
			rc := redis.NewClient(&redis.Options{Addr: n.Addr, MaxRetries: -1})
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			slot, err := rc.ClusterKeySlot(ctx, key).Result()
			var repl string
			if err == nil {
				repl, err = rc.Info(ctx, "replication").Result()
			}
			var owns bool
			if err == nil {
				// A master owns the slot when it answers commands on the key itself.
				owns = rc.Exists(ctx, key).Err() == nil
			}
			cancel()
			rc.Close()
			if role, _ := replicationOf(repl); err == nil && role == "master" && owns && slot >= 0 {
				return n
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("testredis: no live master owns %q after %v", key, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ReplicaOf returns a live node replicating from master.
func (c *Cluster) ReplicaOf(t testing.TB, master *Server) *Server {
	t.Helper()
	for _, n := range c.nodes {
		if n == master || !n.Alive() {
			continue
		}
		if n.masterPort(t) == master.port {
			return n
		}
	}
	t.Fatalf("testredis: no live replica of %s", master.Addr)
	return nil
}

// masterPort is the port of the master n replicates from (0: n is a master).
func (s *Server) masterPort(t testing.TB) int {
	rc := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1})
	defer rc.Close()
	info, err := rc.Info(context.Background(), "replication").Result()
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(info, "\n") {
		if p, ok := strings.CutPrefix(strings.TrimSpace(line), "master_port:"); ok {
			n, _ := strconv.Atoi(p)
			return n
		}
	}
	return 0
}

// Alive says whether the server process is running.
func (s *Server) Alive() bool {
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// HoldReplication cuts a replica's link to its master and keeps it cut
// (the replica keeps failing to authenticate), so that writes the master
// answers from now on reach no replica: asynchronous replication's window
// of loss, made as wide as a drill needs. LetReplicate restores it.
func (s *Server) HoldReplication(t testing.TB) {
	t.Helper()
	rc := redis.NewClient(&redis.Options{Addr: s.Addr})
	defer rc.Close()
	ctx := context.Background()
	if err := rc.ConfigSet(ctx, "masterauth", "held-by-testredis").Err(); err != nil {
		t.Fatalf("testredis: hold replication of %s: %v", s.Addr, err)
	}
	if err := rc.Do(ctx, "CLIENT", "KILL", "TYPE", "master").Err(); err != nil {
		t.Fatalf("testredis: hold replication of %s: %v", s.Addr, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, _ := rc.Info(ctx, "replication").Result()
		if strings.Contains(info, "master_link_status:down") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("testredis: replica %s still linked after holding replication", s.Addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// LetReplicate undoes HoldReplication.
func (s *Server) LetReplicate(t testing.TB) {
	t.Helper()
	rc := redis.NewClient(&redis.Options{Addr: s.Addr})
	defer rc.Close()
	if err := rc.ConfigSet(context.Background(), "masterauth", "").Err(); err != nil {
		t.Fatalf("testredis: let %s replicate: %v", s.Addr, err)
	}
}

// Sentinel is a master with replicas watched by Sentinels.
type Sentinel struct {
	// Name is the master's name in the Sentinels.
	Name      string
	Data      []*Server // the master first, then its replicas (roles change with failovers)
	Sentinels []*Server

	downAfter time.Duration // the configured down-after-milliseconds
}

// StartSentinel starts a master, replicas replicas of it and sentinels
// Sentinels (quorum: a majority) that declare the master down after
// downAfter, and waits until every Sentinel sees the master and its
// replicas.
func StartSentinel(t testing.TB, replicas, sentinels int, downAfter time.Duration) *Sentinel {
	t.Helper()
	s := &Sentinel{Name: "mw", downAfter: downAfter}
	master := start(t, t.TempDir())
	s.Data = append(s.Data, master)
	for i := 0; i < replicas; i++ {
		s.Data = append(s.Data, StartReplicaOf(t, master))
	}
	quorum := sentinels/2 + 1
	for i := 0; i < sentinels; i++ {
		n := &Server{bin: lookPath(t, "redis-server"), dir: t.TempDir()}
		n.sentinelConf = func(port int) string {
			return fmt.Sprintf("port %d\nbind 127.0.0.1\ndaemonize no\nprotected-mode no\ndir %s\nlogfile %s\n"+
				"sentinel monitor %s 127.0.0.1 %d %d\nsentinel down-after-milliseconds %s %d\n"+
				"sentinel failover-timeout %s %d\nsentinel parallel-syncs %s 1\n",
				port, n.dir, filepath.Join(n.dir, "redis.log"), s.Name, master.port, quorum,
				s.Name, downAfter.Milliseconds(), s.Name, max(3*downAfter.Milliseconds(), 2000), s.Name)
		}
		if err := n.launchOnFreePort(t); err != nil {
			t.Fatalf("testredis: start sentinel: %v\n%s", err, n.logTail())
		}
		t.Cleanup(n.stop)
		s.Sentinels = append(s.Sentinels, n)
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, n := range s.Sentinels {
		rc := redis.NewSentinelClient(&redis.Options{Addr: n.Addr})
		for {
			m, err := rc.Master(context.Background(), s.Name).Result()
			if err == nil && m["num-slaves"] == strconv.Itoa(replicas) && m["num-other-sentinels"] == strconv.Itoa(sentinels-1) {
				break
			}
			if time.Now().After(deadline) {
				rc.Close()
				t.Fatalf("testredis: sentinel %s does not see the master, %d replicas and %d other sentinels after 20s: %v %v", n.Addr, replicas, sentinels-1, m, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		rc.Close()
	}
	return s
}

// URL is the markwatch URL of the Sentinel setup.
func (s *Sentinel) URL() string {
	addrs := make([]string, len(s.Sentinels))
	for i, n := range s.Sentinels {
		addrs[i] = n.Addr
	}
	return "redis-sentinel://" + strings.Join(addrs, ",") + "/" + s.Name
}

// Master returns the data node the Sentinels name as master once a
// majority of them agree on a live one (after a failover: the promoted
// replica), waiting up to timeout.
func (s *Sentinel) Master(t testing.TB, timeout time.Duration) *Server {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		votes := map[string]int{}
		for _, n := range s.Sentinels {
			if !n.Alive() {
				continue
			}
			rc := redis.NewSentinelClient(&redis.Options{Addr: n.Addr, MaxRetries: -1})
			addr, err := rc.GetMasterAddrByName(context.Background(), s.Name).Result()
			rc.Close()
			if err == nil && len(addr) == 2 {
				votes[net.JoinHostPort(addr[0], addr[1])]++
			}
		}
		for addr, v := range votes {
			if v > len(s.Sentinels)/2 {
				for _, d := range s.Data {
					if d.Addr == addr && d.Alive() && d.masterPort(t) == 0 {
						return d
					}
				}
			}
		}
		if time.Now().After(deadline) {
			var nodes []string
			for _, d := range s.Data {
				rc := redis.NewClient(&redis.Options{Addr: d.Addr, MaxRetries: -1})
				info, err := rc.Info(context.Background(), "replication").Result()
				rc.Close()
				role, online := replicationOf(info)
				nodes = append(nodes, fmt.Sprintf("%s alive %v role %s replicas %d master port %d err %v", d.Addr, d.Alive(), role, online, d.masterPort(t), err))
			}
			t.Fatalf("testredis: sentinels agree on no live master after %v: %v; nodes: %s", timeout, votes, strings.Join(nodes, "; "))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Replicated waits until the master has replicas online replicas.
func (s *Sentinel) Replicated(t testing.TB, replicas int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		m := s.Master(t, timeout)
		rc := redis.NewClient(&redis.Options{Addr: m.Addr, MaxRetries: -1})
		info, _ := rc.Info(context.Background(), "replication").Result()
		rc.Close()
		if _, online := replicationOf(info); online >= replicas {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("testredis: master %s has fewer than %d replicas online after %v", m.Addr, replicas, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WaitFailover waits, after old (the master of key) was killed, until
// another live node is the master of key's slot and every live node
// reports cluster_state:ok; it returns that node and when that was seen.
func (c *Cluster) WaitFailover(t testing.TB, key string, old *Server, timeout time.Duration) (*Server, time.Time) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		m := c.MasterOf(t, key, time.Until(deadline))
		if m != old && c.healthy(0) == nil {
			return m, time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("testredis: no failover of %q away from %s after %v", key, old.Addr, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ReadyToPromote waits until every Sentinel lists r as a replica it may
// promote (known, and flagged neither s_down, o_down nor disconnected),
// so that killing r's master then fails over to r. heldFor is how long
// r's link to its master has been cut on purpose (HoldReplication; 0 when
// it is not held). Sentinel promotes no replica whose link has been down
// longer than 10 down-after periods plus the time since the master went
// SDOWN (its replica validity check; the factor is fixed): since the held
// link's down time grows as fast as the master's SDOWN time, a replica
// held longer than about 9 down-after periods is never promoted and the
// master's kill is never failed over. ReadyToPromote then raises
// down-after-milliseconds on every Sentinel to cover heldFor, with a
// margin for INFO's whole seconds and the Sentinels' detection lag on a
// loaded machine. The returned func restores the configured down-after:
// call it once the failover is done.
func (s *Sentinel) ReadyToPromote(t testing.TB, r *Server, heldFor, timeout time.Duration) (restore func()) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(timeout)
	for _, n := range s.Sentinels {
		rc := redis.NewSentinelClient(&redis.Options{Addr: n.Addr, MaxRetries: -1})
		for {
			replicas, err := rc.Replicas(ctx, s.Name).Result()
			var state string
			if err == nil {
				state = "not listed"
				for _, rep := range replicas {
					if net.JoinHostPort(rep["ip"], rep["port"]) != r.Addr {
						continue
					}
					state = rep["flags"]
					if !strings.Contains(state, "s_down") && !strings.Contains(state, "o_down") && !strings.Contains(state, "disconnected") {
						state = ""
					}
				}
			}
			if err == nil && state == "" {
				break
			}
			if time.Now().After(deadline) {
				rc.Close()
				t.Fatalf("testredis: sentinel %s does not list replica %s as promotable after %v: %s %v", n.Addr, r.Addr, timeout, state, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		rc.Close()
	}
	// Promotable when heldFor + margin <= 9 * down-after.
	const margin, step = 4 * time.Second, 100 * time.Millisecond
	need := ((heldFor+margin)/9 + step - 1) / step * step
	if need <= s.downAfter {
		return func() {}
	}
	s.setDownAfter(t, need)
	return func() { s.setDownAfter(t, s.downAfter) }
}

// setDownAfter sets down-after-milliseconds on every Sentinel.
func (s *Sentinel) setDownAfter(t testing.TB, d time.Duration) {
	t.Helper()
	for _, n := range s.Sentinels {
		rc := redis.NewSentinelClient(&redis.Options{Addr: n.Addr})
		err := rc.Set(context.Background(), s.Name, "down-after-milliseconds", strconv.FormatInt(d.Milliseconds(), 10)).Err()
		rc.Close()
		if err != nil {
			t.Fatalf("testredis: sentinel %s: set down-after-milliseconds %v: %v", n.Addr, d, err)
		}
	}
}

// RestartAsReplicaOf starts a stopped or killed server again as a replica
// of master (what Sentinel would make of a returning old master, without
// waiting for it to notice).
func (s *Server) RestartAsReplicaOf(t testing.TB, master *Server) {
	t.Helper()
	s.extra = append(s.extra, "--replicaof", "127.0.0.1", strconv.Itoa(master.port))
	s.Restart(t)
}
