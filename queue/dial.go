package queue

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// DialOptions tune how a client rides out a failover. The zero value gives
// the defaults stated on each field.
type DialOptions struct {
	// FailoverBudget is how long one operation keeps retrying while Redis
	// is unreachable (a master died and its replica is not promoted yet, a
	// Cluster answering CLUSTERDOWN, a restart replaying its AOF) before
	// the error reaches the caller. Default 15s; a negative value disables
	// the retries.
	FailoverBudget time.Duration
	// Durability is how seeds and findings batches are confirmed on
	// replicas (WAIT). Nil: the default for the deployment (see
	// Durability).
	Durability *Durability
	// Logger receives one line when Redis becomes unreachable and one when
	// it answers again (not one per call). Default: discard.
	Logger *slog.Logger
}

// Durability says how many replicas must confirm a write that must not be
// lost (a run's seed tasks, a findings batch) before it is reported done:
// WAIT Replicas Timeout on the master that holds the key. A write that is
// not confirmed in time is reported with ErrNotDurable.
//
// The default is Replicas 1, Timeout 500ms for Cluster and Sentinel URLs
// and off (Replicas 0) for a single server, which has no replica to wait
// for (its durability is its AOF).
type Durability struct {
	Replicas int
	Timeout  time.Duration
}

// defaultFailoverBudget is DialOptions.FailoverBudget's default.
const defaultFailoverBudget = 15 * time.Second

// defaultDurability is Durability's default where the deployment has replicas.
var defaultDurability = Durability{Replicas: 1, Timeout: 500 * time.Millisecond}

// clusterReload is how often a Cluster client reloads the slot map even
// when nothing failed (go-redis' default is a minute).
const clusterReload = 2 * time.Second

// Dial opens a client for a Redis URL as configs/markwatch.yaml writes it,
// with the default DialOptions. See DialWith.
func Dial(url string) (redis.UniversalClient, error) { return DialWith(url, DialOptions{}) }

// DialWith opens a client for a Redis URL:
//   - one redis:// (or rediss://) URL for a server;
//   - several comma-separated URLs (or host:port addresses) for a Cluster
//     (the password and TLS of the first URL apply to every node);
//   - redis-sentinel://[:PASSWORD@]HOST:PORT[,HOST:PORT…]/MASTER[/DB] for a
//     master watched by Sentinel (the addresses are the sentinels'; the
//     password is the master's).
//
// Every command the client runs (scripts, pipelines and transactions
// included) is retried with backoff while Redis is unreachable, for up to
// the failover budget, and a Cluster client reloads its slot map on each
// such error (and every 2s) so that it finds a promoted replica at once.
func DialWith(url string, o DialOptions) (redis.UniversalClient, error) {
	url = strings.TrimSpace(url)
	if url == "" {
		return nil, fmt.Errorf("queue: no Redis URL (set redis: in the config or pass --redis)")
	}
	var client redis.UniversalClient
	replicated := true
	switch {
	case strings.HasPrefix(url, "redis-sentinel://"):
		fo, err := parseSentinelURL(url)
		if err != nil {
			return nil, err
		}
		fo.MinRetryBackoff, fo.MaxRetryBackoff = 8*time.Millisecond, 64*time.Millisecond
		client = redis.NewFailoverClient(fo)
	case !strings.Contains(url, ","):
		opts, err := redis.ParseURL(url)
		if err != nil {
			return nil, fmt.Errorf("queue: redis URL %q: %w", redact(url), err)
		}
		client, replicated = redis.NewClient(opts), false
	default:
		var addrs []string
		var first *redis.Options
		for _, p := range strings.Split(url, ",") {
			p = strings.TrimSpace(p)
			if !strings.Contains(p, "://") {
				addrs = append(addrs, p)
				continue
			}
			o, err := redis.ParseURL(p)
			if err != nil {
				return nil, fmt.Errorf("queue: redis URL %q: %w", redact(p), err)
			}
			if first == nil {
				first = o
			}
			addrs = append(addrs, o.Addr)
		}
		co := &redis.ClusterOptions{Addrs: addrs, ClusterStateReloadInterval: clusterReload,
			MinRetryBackoff: 8 * time.Millisecond, MaxRetryBackoff: 64 * time.Millisecond}
		if first != nil {
			co.Username, co.Password, co.TLSConfig = first.Username, first.Password, first.TLSConfig
		}
		client = redis.NewClusterClient(co)
	}
	d := Durability{}
	if replicated {
		d = defaultDurability
	}
	if o.Durability != nil {
		d = *o.Durability
	}
	Resilient(client, o.FailoverBudget, o.Logger)
	setDurability(client, d)
	return client, nil
}

// parseSentinelURL reads redis-sentinel://[:PASSWORD@]HOST:PORT[,HOST:PORT…]/MASTER[/DB].
func parseSentinelURL(raw string) (*redis.FailoverOptions, error) {
	rest := strings.TrimPrefix(raw, "redis-sentinel://")
	bad := func(msg string) error {
		return fmt.Errorf("queue: redis URL %q: %s (want redis-sentinel://[:password@]host:port[,host:port…]/master[/db])", redact(raw), msg)
	}
	var user, password string
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		info := rest[:at]
		rest = rest[at+1:]
		u, p, _ := strings.Cut(info, ":")
		var err error
		if user, err = url.PathUnescape(u); err != nil {
			return nil, bad("bad user")
		}
		if password, err = url.PathUnescape(p); err != nil {
			return nil, bad("bad password")
		}
	}
	hosts, path, _ := strings.Cut(rest, "/")
	parts := strings.Split(path, "/")
	if hosts == "" || parts[0] == "" || len(parts) > 2 {
		return nil, bad("no sentinel address or master name")
	}
	fo := &redis.FailoverOptions{MasterName: parts[0], Username: user, Password: password}
	if len(parts) == 2 {
		if _, err := fmt.Sscan(parts[1], &fo.DB); err != nil {
			return nil, bad("bad database number")
		}
	}
	for _, h := range strings.Split(hosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			fo.SentinelAddrs = append(fo.SentinelAddrs, h)
		}
	}
	return fo, nil
}

// redact hides a password in a URL for error messages.
func redact(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		return scheme + "://***@" + rest[at+1:]
	}
	return url
}

// SetClientLogger routes go-redis' own messages (dial failures, pool
// events) through log as structured warnings instead of the standard
// library logger. It changes go-redis' process-wide logger.
func SetClientLogger(log *slog.Logger) {
	if log != nil {
		redis.SetLogger(clientLogger{log})
	}
}

type clientLogger struct{ log *slog.Logger }

func (l clientLogger) Printf(ctx context.Context, format string, v ...any) {
	level := slog.LevelDebug
	if strings.HasPrefix(format, "sentinel: new master") || strings.HasPrefix(format, "sentinel: selected") {
		// Which master a Sentinel client writes to, and when that
		// changes: rare, and what a failover's story is made of.
		level = slog.LevelInfo
	}
	l.log.Log(ctx, level, "redis client", "detail", fmt.Sprintf(format, v...))
}

// clients holds what the queue knows of each client it made resilient:
// its failover budget, outage tracker and durability policy.
var clients sync.Map // redis.UniversalClient → *clientInfo

type clientInfo struct {
	budget     time.Duration
	outage     *outage
	durability Durability
}

func infoOf(c redis.UniversalClient) *clientInfo {
	if v, ok := clients.Load(c); ok {
		return v.(*clientInfo)
	}
	return nil
}

// FailoverBudget returns how long the client's operations retry through a
// failover (0: the client was not made resilient).
func FailoverBudget(c redis.UniversalClient) time.Duration {
	if i := infoOf(c); i != nil {
		return i.budget
	}
	return 0
}

// DurabilityOf returns the client's durability policy (Replicas 0: off).
func DurabilityOf(c redis.UniversalClient) Durability {
	if i := infoOf(c); i != nil {
		return i.durability
	}
	return Durability{}
}

func setDurability(c redis.UniversalClient, d Durability) {
	if d.Replicas > 0 && d.Timeout <= 0 {
		d.Timeout = defaultDurability.Timeout
	}
	if i := infoOf(c); i != nil {
		i.durability = d
	}
}

// SetDurability changes a client's durability policy (tests and
// programs that build their own clients).
func SetDurability(c redis.UniversalClient, d Durability) {
	if infoOf(c) == nil {
		Resilient(c, 0, nil)
	}
	setDurability(c, d)
}

// Resilient adds the failover retries to a client that DialWith did not
// make (tests, programs with their own options): every command is retried
// with backoff for up to budget (0: 15s; negative: no retries) while the
// error says Redis is unreachable or failing over, reloading a Cluster
// client's slot map on each such error. Calling it twice on a client
// changes nothing the second time.
func Resilient(c redis.UniversalClient, budget time.Duration, log *slog.Logger) redis.UniversalClient {
	if budget == 0 {
		budget = defaultFailoverBudget
	}
	if budget < 0 {
		budget = 0
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	info := &clientInfo{budget: budget, outage: newOutage(log)}
	if _, loaded := clients.LoadOrStore(c, info); loaded {
		return c
	}
	c.AddHook(&retryHook{client: c, info: info})
	return c
}
