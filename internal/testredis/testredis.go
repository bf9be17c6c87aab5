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

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}

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

func start(t testing.TB, dir string, extra ...string) *Server {
	t.Helper()
	s := &Server{bin: lookPath(t, "redis-server"), dir: dir, extra: extra}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		s.port = freePort(t)
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
		if lastErr = s.launch(); lastErr == nil {
			break
		}
	}
	if lastErr != nil {
		t.Fatalf("testredis: start redis-server: %v\n%s", lastErr, s.logTail())
	}
	t.Cleanup(s.stop)
	return s
}

func lookPath(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("testredis: %s not found on PATH; install it with: %s", name, InstallHint)
	}
	return p
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testredis: find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (s *Server) args() []string {
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
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL) // data is in t.TempDir(), nothing to keep
	<-done
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
	if masters < 3 {
		t.Fatalf("testredis: a Redis Cluster needs at least 3 masters, got %d", masters)
	}
	cli := lookPath(t, "redis-cli")
	c := &Cluster{}
	for i := 0; i < masters; i++ {
		dir := filepath.Join(t.TempDir(), fmt.Sprintf("node%d", i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		n := start(t, dir, "--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(dir, "nodes.conf"),
			"--cluster-node-timeout", "2000")
		c.nodes = append(c.nodes, n)
		c.Addrs = append(c.Addrs, n.Addr)
	}
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	out, err := exec.Command(cli, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("testredis: redis-cli %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	deadline := time.Now().Add(60 * time.Second) // generous: a loaded machine only makes it slower
	for _, addr := range c.Addrs {
		rc := redis.NewClient(&redis.Options{Addr: addr})
		for {
			info, err := rc.ClusterInfo(context.Background()).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				rc.Close()
				t.Fatalf("testredis: cluster node %s not ok after 60s: %v\n%s", addr, err, info)
			}
			time.Sleep(50 * time.Millisecond)
		}
		rc.Close()
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
