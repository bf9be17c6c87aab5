package queue

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Dial opens a client for a Redis URL as configs/markwatch.yaml writes it:
// one redis:// (or rediss://) URL for a server, or several comma-separated
// URLs (or host:port addresses) for a Cluster. The password and TLS of the
// first URL apply to every node of a Cluster.
func Dial(url string) (redis.UniversalClient, error) {
	url = strings.TrimSpace(url)
	if url == "" {
		return nil, fmt.Errorf("queue: no Redis URL (set redis: in the config or pass --redis)")
	}
	parts := strings.Split(url, ",")
	if len(parts) == 1 {
		opts, err := redis.ParseURL(url)
		if err != nil {
			return nil, fmt.Errorf("queue: redis URL %q: %w", redact(url), err)
		}
		return redis.NewClient(opts), nil
	}
	var addrs []string
	var first *redis.Options
	for _, p := range parts {
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
	co := &redis.ClusterOptions{Addrs: addrs}
	if first != nil {
		co.Username, co.Password, co.TLSConfig = first.Username, first.Password, first.TLSConfig
	}
	return redis.NewClusterClient(co), nil
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
	l.log.WarnContext(ctx, "redis client", "detail", fmt.Sprintf(format, v...))
}
