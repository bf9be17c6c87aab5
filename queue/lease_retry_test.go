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

// replyLoser plays a master that ran a lease and whose reply never reached
// the worker (the connection broke with it: a failover): the first lease
// script after arm runs, and its caller gets a broken connection instead
// of the tasks.
type replyLoser struct {
	mu   sync.Mutex
	on   bool
	lost int
}

func (h *replyLoser) arm() {
	h.mu.Lock()
	h.on, h.lost = true, 0
	h.mu.Unlock()
}

func (h *replyLoser) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *replyLoser) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
func (h *replyLoser) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if err != nil || !isLeaseScript(cmd) {
			return err
		}
		h.mu.Lock()
		on := h.on
		if on {
			h.on = false
			h.lost++
		}
		h.mu.Unlock()
		if !on {
			return err
		}
		cmd.SetErr(io.ErrUnexpectedEOF)
		return io.ErrUnexpectedEOF
	}
}

// isLeaseScript: EVALSHA/EVAL whose first two keys are a site's runs hash
// and delayed set (the lease script's).
func isLeaseScript(cmd redis.Cmder) bool {
	name := strings.ToLower(cmd.Name())
	args := cmd.Args()
	if name != "evalsha" && name != "eval" || len(args) < 5 {
		return false
	}
	k1, _ := args[3].(string)
	k2, _ := args[4].(string)
	return strings.HasSuffix(k1, ":runs") && strings.HasSuffix(k2, ":delayed")
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
	h := &replyLoser{}
	client.AddHook(h)
	ctx := context.Background()
	a := queue.NewRedis(client, queue.Options{Consumer: "a", Lease: time.Hour})
	defer a.Close()
	if _, err := a.Add(ctx, itemTasks("r", "s", 6)...); err != nil {
		t.Fatal(err)
	}
	h.arm()
	got, err := a.Lease(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if h.lost != 1 {
		t.Fatalf("the hook lost %d lease replies, want 1", h.lost)
	}
	if len(got) != 2 {
		t.Fatalf("leased %d tasks, want 2", len(got))
	}
	// Everything pending for a is what a was given: nothing stranded.
	var pending []string
	for b := 0; b <= queue.MaxPriority; b++ {
		key := "mw:{s:s}:q:" + strconv.Itoa(b)
		ps, err := srv.Client().XPendingExt(ctx, &redis.XPendingExtArgs{Stream: key, Group: "mw", Start: "-", End: "+", Count: 100, Consumer: "a"}).Result()
		if err != nil && !strings.Contains(err.Error(), "NOGROUP") && err != redis.Nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			pending = append(pending, p.ID)
		}
	}
	var ids []string
	for _, task := range got {
		ids = append(ids, task.ID[strings.Index(task.ID, "/")+1:])
	}
	sort.Strings(pending)
	sort.Strings(ids)
	if strings.Join(pending, " ") != strings.Join(ids, " ") {
		t.Fatalf("pending for the worker %v, the worker was given %v (the others are stranded until their lease expires)", pending, ids)
	}
	st, err := a.Stats(ctx, "r")
	if err != nil {
		t.Fatal(err)
	}
	if st.Leased != 2 || st.Queued != 4 {
		t.Fatalf("stats after the repeated lease: %+v, want leased 2 queued 4", st)
	}
	// The tasks the worker got are whole and its own: they ack.
	for _, task := range got {
		if task.URL == "" || task.Run != "r" || task.Kind != markwatch.KindItem {
			t.Fatalf("task from the repeated lease: %+v", task)
		}
	}
	if err := a.Ack(ctx, got...); err != nil {
		t.Fatal(err)
	}
	// A later lease is a new one (not a replay): the next tasks.
	next, err := a.Lease(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(next) != 4 {
		t.Fatalf("next lease: %d tasks, want the 4 left", len(next))
	}
}
