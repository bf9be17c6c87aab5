package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// Exit status of markwatch (documented in --help and the README).
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitBadInput    = 3
	exitUnreachable = 4
)

// exitError is an error with its own exit status.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// exitCode is the exit status for an error a command returned.
func exitCode(err error) int {
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	var coded interface{ ExitCode() int } // a command's own statuses (crawl)
	if errors.As(err, &coded) {
		return coded.ExitCode()
	}
	return exitFailure
}

// errRedisUnreachable is wrapped by the error of a command that could not
// reach Redis.
var errRedisUnreachable = errors.New("cannot reach Redis")

// probeRedis asks every address of client for a PING once: no retries, no
// dial retries and no client log lines, so that a Redis that is down gives
// one clear error ("cannot reach Redis at 127.0.0.1:6379: connection
// refused") instead of the client's retry warnings. A Cluster is reachable
// when one of its nodes answers.
func probeRedis(ctx context.Context, client redis.UniversalClient) error {
	var probes []*redis.Options
	switch c := client.(type) {
	case *redis.Client:
		o := *c.Options()
		if o.Addr == "FailoverClient" { // Sentinel: the client finds the master itself
			return client.Ping(ctx).Err()
		}
		probes = append(probes, &o)
	case *redis.ClusterClient:
		co := c.Options()
		for _, addr := range co.Addrs {
			probes = append(probes, &redis.Options{Addr: addr, Username: co.Username, Password: co.Password, TLSConfig: co.TLSConfig})
		}
	default:
		return client.Ping(ctx).Err()
	}
	redis.SetLogger(silentLogger{}) // the command sets its own logger after
	var errs []error
	for _, o := range probes {
		o.MaxRetries, o.DialerRetries = -1, 1
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout = 5*time.Second, 5*time.Second, 5*time.Second
		o.PoolSize, o.MinIdleConns = 1, 0
		probe := redis.NewClient(o)
		err := probe.Ping(ctx).Err()
		probe.Close()
		if err == nil || !isConnError(err) {
			return err // reachable (an auth or protocol error is not "down")
		}
		errs = append(errs, fmt.Errorf("%w at %s: %s", errRedisUnreachable, o.Addr, reason(err)))
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return fmt.Errorf("%w: no node of the Cluster answers (%w)", errRedisUnreachable, errors.Join(errs...))
}

// reason is the cause of a network error in a few words: "connection
// refused", "i/o timeout", "no such host".
func reason(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "no such host " + dnsErr.Name
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		return opErr.Err.Error()
	}
	return strings.TrimPrefix(err.Error(), "redis: ")
}

// waitForRedis probes Redis until it answers or ctx ends, logging once per
// backoff step (1s, 2s, 4s … at most 30s) what is wrong and when it tries
// again: a worker started before its Redis waits for it.
func waitForRedis(ctx context.Context, client redis.UniversalClient, log *slog.Logger) error {
	wait := redisRetryFirst
	for {
		err := probeRedis(ctx, client)
		if err == nil || !errors.Is(err, errRedisUnreachable) {
			return err
		}
		log.Warn("waiting for Redis", "err", err.Error(), "retry_in", wait.String())
		select {
		case <-ctx.Done():
			return &exitError{exitUnreachable, err}
		case <-time.After(wait):
		}
		wait = min(2*wait, redisRetryMax)
	}
}

// The worker's backoff while Redis does not answer (variables for tests).
var redisRetryFirst, redisRetryMax = time.Second, 30 * time.Second

type silentLogger struct{}

func (silentLogger) Printf(context.Context, string, ...any) {}
