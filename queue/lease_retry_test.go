package queue_test

import (
	"context"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/internal/testredis"
	"github.com/markwatch/markwatch/queue"
	"github.com/redis/go-redis/v9"
)

// faults breaks the connection of chosen commands as a master dying would:
// each fault applies once, to the first command it matches, either before
// the command reaches the server or after the server ran it (the reply
// lost).
type faults struct {
	mu   sync.Mutex
	list []fault
	hit  int
}

type fault struct {
	match func(redis.Cmder) bool
	ran   bool // the server runs the command; only its reply is lost
}

func (h *faults) arm(f ...fault) {
	h.mu.Lock()
	h.list, h.hit = append([]fault(nil), f...), 0
	h.mu.Unlock()
}

func (h *faults) take(cmd redis.Cmder) (fault, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, f := range h.list {
		if f.match(cmd) {
			h.list = append(h.list[:i], h.list[i+1:]...)
			h.hit++
			return f, true
		}
	}
	return fault{}, false
}

func (h *faults) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *faults) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
func (h *faults) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		f, ok := h.take(cmd)
		if !ok {
			return next(ctx, cmd)
		}
		if f.ran {
			if err := next(ctx, cmd); err != nil {
				return err
			}
		}
		cmd.SetErr(io.ErrUnexpectedEOF)
		return io.ErrUnexpectedEOF
	}
}

// script matches EVALSHA/EVAL calls whose keys start with the given
// suffixes (the lease script: a site's runs hash, then its delayed set).
func script(suffixes ...string) func(redis.Cmder) bool {
	return func(cmd redis.Cmder) bool {
		name := strings.ToLower(cmd.Name())
		args := cmd.Args()
		if name != "evalsha" && name != "eval" || len(args) < 3+len(suffixes) {
			return false
		}
		for i, s := range suffixes {
			if k, _ := args[3+i].(string); !strings.Contains(k, s) {
				return false
			}
		}
		return true
	}
}

func named(name string) func(redis.Cmder) bool {
	return func(cmd redis.Cmder) bool { return strings.EqualFold(cmd.Name(), name) }
}

// pendingFor returns the stream ids of site's entries leased to consumer.
func pendingFor(t *testing.T, c redis.UniversalClient, site, consumer string) []string {
	t.Helper()
	var out []string
	for b := 0; b <= queue.MaxPriority; b++ {
		key := "mw:{s:" + site + "}:q:" + strconv.Itoa(b)
		ps, err := c.XPendingExt(context.Background(), &redis.XPendingExtArgs{Stream: key, Group: "mw", Start: "-", End: "+", Count: 1000, Consumer: consumer}).Result()
		if err != nil && !strings.Contains(err.Error(), "NOGROUP") && err != redis.Nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			out = append(out, p.ID)
		}
	}
	sort.Strings(out)
	return out
}

func streamIDs(tasks []markwatch.Task) []string {
	var out []string
	for _, t := range tasks {
		out = append(out, t.ID[strings.Index(t.ID, "/")+1:])
	}
	sort.Strings(out)
	return out
}

// A lease that ran on the master but whose reply was lost (the connection
// broke; the client rides out the failover and sends it again) gives the
// worker the tasks it leased the first time: it must not lease others and
// leave the first ones pending for a worker that never heard of them,
// leasable again only when their lease expires (issue 19: the fleet idle
// for most of a 20s lease near the end of a run).
func TestLeaseRepeatedAfterLostReply(t *testing.T) {
	srv := testredis.Start(t)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer client.Close()
	queue.Resilient(client, time.Minute, nil)
	h := &faults{}
	client.AddHook(h)
	ctx := context.Background()
	a := queue.NewRedis(client, queue.Options{Consumer: "a", Lease: time.Hour})
	defer a.Close()
	if _, err := a.Add(ctx, itemTasks("r", "s", 6)...); err != nil {
		t.Fatal(err)
	}
	h.arm(fault{match: script(":runs", ":delayed"), ran: true})
	got, err := a.Lease(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if h.hit != 1 {
		t.Fatalf("%d lease replies lost, want 1", h.hit)
	}
	if len(got) != 2 {
		t.Fatalf("leased %d tasks, want 2", len(got))
	}
	// Everything pending for a is what a was given: nothing stranded.
	if pending, ids := pendingFor(t, srv.Client(), "s", "a"), streamIDs(got); strings.Join(pending, " ") != strings.Join(ids, " ") {
		t.Fatalf("pending for the worker %v, the worker was given %v (the others are stranded until their lease expires)", pending, ids)
	}
	st, err := a.Stats(ctx, "r")
	if err != nil {
		t.Fatal(err)
	}
	if st.Leased != 2 || st.Queued != 4 {
		t.Fatalf("stats after the repeated lease: %+v, want leased 2 queued 4", st)
	}
	// The tasks are whole and the worker's own: they ack.
	for _, task := range got {
		if task.URL == "" || task.Run != "r" || task.Kind != markwatch.KindItem {
			t.Fatalf("task from the repeated lease: %+v", task)
		}
	}
	if err := a.Ack(ctx, got...); err != nil {
		t.Fatal(err)
	}
	// A later lease is a new request, not a replay: the tasks left.
	next, err := a.Lease(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(next) != 4 {
		t.Fatalf("next lease: %d tasks, want the 4 left", len(next))
	}
}

// Leases whose confirmation broke off and which could not be checked on
// the master afterwards are given up by the worker; they are given back
// too, so another worker leases them at once, not when they expire.
func TestLeaseGivenUpIsReleased(t *testing.T) {
	srv := testredis.Start(t)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer client.Close()
	queue.Resilient(client, -1, nil) // no retries: the hook's errors reach the queue at once
	queue.SetDurability(client, queue.Durability{Replicas: 1, Timeout: 10 * time.Millisecond})
	h := &faults{}
	client.AddHook(h)
	ctx := context.Background()
	a := queue.NewRedis(client, queue.Options{Consumer: "a", Lease: time.Hour})
	b := queue.NewRedis(srv.Client(), queue.Options{Consumer: "b", Lease: time.Hour})
	defer a.Close()
	defer b.Close()
	if _, err := a.Add(ctx, itemTasks("r", "s", 6)...); err != nil {
		t.Fatal(err)
	}
	// The WAIT after the lease breaks, and so does the check that
	// follows (extendScript: one stream key).
	h.arm(fault{match: named("wait")}, fault{match: script(":q:")})
	got, err := a.Lease(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if h.hit != 2 || len(got) != 0 {
		t.Fatalf("%d faults hit, %d tasks leased; want 2 and 0 (given up)", h.hit, len(got))
	}
	if pending := pendingFor(t, srv.Client(), "s", "a"); len(pending) != 0 {
		t.Fatalf("given up, yet still leased to the worker: %v", pending)
	}
	all, err := b.Lease(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 6 {
		t.Fatalf("another worker leased %d tasks, want all 6", len(all))
	}
}
