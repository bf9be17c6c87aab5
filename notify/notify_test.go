package notify

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/store"
	"github.com/markwatch/markwatch/store/storetest"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func openStore(t testing.TB, now func() time.Time) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), t.TempDir(), store.WithClock(now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// receiver records each event key it accepted and fails the first
// failures requests; it checks the robots' signatures.
type receiver struct {
	mu       sync.Mutex
	failures int
	requests int
	accepted map[string]int // event text → times accepted
	bad      []string
	secret   string
	format   string
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	if r.requests <= r.failures {
		http.Error(w, "try later", http.StatusServiceUnavailable)
		return
	}
	var text string
	switch r.format {
	case "webhook":
		var e Event
		json.Unmarshal(body, &e)
		text = e.Key
	case "dingtalk":
		ts, sign := req.URL.Query().Get("timestamp"), req.URL.Query().Get("sign")
		if sign != DingTalkSign(ts, r.secret) || ts == "" {
			r.bad = append(r.bad, "dingtalk signature")
		}
		var m struct{ Markdown struct{ Title, Text string } }
		json.Unmarshal(body, &m)
		text = m.Markdown.Text
		w.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
	case "wecom":
		var m struct {
			Msgtype  string
			Markdown struct{ Content string }
		}
		json.Unmarshal(body, &m)
		if m.Msgtype != "markdown" {
			r.bad = append(r.bad, "wecom msgtype")
		}
		text = m.Markdown.Content
		w.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
	case "feishu":
		var m struct {
			Timestamp, Sign string
			MsgType         string `json:"msg_type"`
			Content         struct{ Text string }
		}
		json.Unmarshal(body, &m)
		if m.Sign != FeishuSign(m.Timestamp, r.secret) || m.MsgType != "text" {
			r.bad = append(r.bad, "feishu signature")
		}
		text = m.Content.Text
		w.Write([]byte(`{"code":0,"msg":"success"}`))
	}
	r.accepted[text]++
}

func (r *receiver) snapshot() (map[string]int, []string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for k, v := range r.accepted {
		out[k] = v
	}
	return out, append([]string(nil), r.bad...), r.requests
}

// hangingReceiver starts a webhook receiver that never answers until the
// test ends; hung gets a value when the first request arrives.
func hangingReceiver(t testing.TB) (url string, hung <-chan struct{}) {
	t.Helper()
	h := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case h <- struct{}{}:
		default:
		}
		<-release
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: frees the handlers so Close returns
	return srv.URL, h
}

// runNotifier runs n until the test ends.
func runNotifier(t testing.TB, n *Notifier) context.Context {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return ctx
}

func findings(run string, n int, at time.Time) []markwatch.Finding {
	out := make([]markwatch.Finding, n)
	for i := range out {
		out[i] = storetest.Finding(run, "shop", fmt.Sprintf("L%03d", i), "Nike", "", 59, at)
		out[i].Verdict.Score = 0.5 + float64(i%2)*0.4 // half above 0.8
	}
	return out
}

// Every channel type gets each event exactly once although the receiver
// fails the first 3 deliveries, and storing the same findings again adds
// nothing.
func TestFailingReceiverGetsEachEventExactlyOnce(t *testing.T) {
	for _, format := range []string{"webhook", "dingtalk", "wecom", "feishu"} {
		t.Run(format, func(t *testing.T) {
			clk := &clock{t: time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)}
			st := openStore(t, clk.now)
			rec := &receiver{failures: 3, accepted: map[string]int{}, secret: "SECtest", format: format}
			srv := httptest.NewServer(rec)
			defer srv.Close()
			cfg, err := ParseConfig("notify.yaml", []byte(fmt.Sprintf(`
channels:
  - {name: team, type: %s, url: "%s/robot/send?access_token=x", secret: SECtest}
rules:
  - {on: new_suspect, min_score: 0.8, channels: [team]}
backoff: 1s
`, format, srv.URL)))
			if err != nil {
				t.Fatal(err)
			}
			reg := prometheus.NewRegistry()
			n := New(st, cfg, Options{Now: clk.now, Registerer: reg})
			ctx := context.Background()
			fs := findings("r1", 6, clk.now())
			if _, err := st.PutFindings(ctx, fs); err != nil {
				t.Fatal(err)
			}
			for range 2 { // the same batch consumed twice (a redelivery)
				if err := n.Findings(ctx, fs); err != nil {
					t.Fatal(err)
				}
			}
			for i := 0; i < 20; i++ {
				if _, err := n.DeliverDue(ctx); err != nil {
					t.Fatal(err)
				}
				clk.add(time.Minute) // past every backoff
			}
			got, bad, requests := rec.snapshot()
			if len(bad) > 0 {
				t.Fatalf("receiver saw bad requests: %v", bad)
			}
			if len(got) != 3 {
				t.Fatalf("accepted %d distinct events, want 3 (the suspects scoring >= 0.8): %v", len(got), got)
			}
			for k, times := range got {
				if times != 1 {
					t.Errorf("event %q accepted %d times", k, times)
				}
			}
			if requests != 3+3 {
				t.Errorf("%d requests, want 3 failed + 3 delivered", requests)
			}
			if d := testutil.ToFloat64(n.counter.WithLabelValues("delivered")); d != 3 {
				t.Errorf("delivered counter %v", d)
			}
			if d := testutil.ToFloat64(n.counter.WithLabelValues("duplicate")); d != 3 {
				t.Errorf("duplicate counter %v, want 3", d)
			}
			if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
				t.Errorf("metrics lint: %v %v", problems, err)
			}
			log, _ := st.Notifications(ctx, 10)
			for _, e := range log {
				if e.State != "delivered" {
					t.Errorf("delivery log: %+v", e)
				}
			}
		})
	}
}

// An undelivered outbox survives a restart: a new Notifier over the
// reopened store delivers it.
func TestOutboxSurvivesRestart(t *testing.T) {
	clk := &clock{t: time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, dir, store.WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	rec := &receiver{accepted: map[string]int{}, format: "webhook"}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	cfg, _ := ParseConfig("n.yaml", []byte(fmt.Sprintf("channels: [{name: a, type: webhook, url: %q}]\nrules: [{on: new_suspect, channels: [a]}]\n", srv.URL)))
	fs := findings("r1", 2, clk.now())
	st.PutFindings(ctx, fs)
	if err := New(st, cfg, Options{Now: clk.now}).Findings(ctx, fs); err != nil {
		t.Fatal(err)
	}
	st.Close() // "crash" before delivering
	st2, err := store.Open(ctx, dir, store.WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	if n, err := New(st2, cfg, Options{Now: clk.now}).DeliverDue(ctx); err != nil || n != 2 {
		t.Fatalf("after restart delivered %d, %v", n, err)
	}
}

// smtpServer is a minimal SMTP receiver on loopback: it accepts every
// message and records its DATA.
func smtpServer(t *testing.T) (string, func() []string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	var messages []string
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				r := bufio.NewReader(c)
				fmt.Fprintf(c, "220 localhost test SMTP\r\n")
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					cmd := strings.ToUpper(strings.TrimSpace(line))
					switch {
					case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
						fmt.Fprintf(c, "250 localhost\r\n")
					case cmd == "DATA":
						fmt.Fprintf(c, "354 go on\r\n")
						var b strings.Builder
						for {
							l, err := r.ReadString('\n')
							if err != nil {
								return
							}
							if l == ".\r\n" {
								break
							}
							b.WriteString(l)
						}
						mu.Lock()
						messages = append(messages, b.String())
						mu.Unlock()
						fmt.Fprintf(c, "250 queued\r\n")
					case cmd == "QUIT":
						fmt.Fprintf(c, "221 bye\r\n")
						return
					default:
						fmt.Fprintf(c, "250 ok\r\n")
					}
				}
			}(conn)
		}
	}()
	return ln.Addr().String(), func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), messages...)
	}
}

func TestSweepEndByMail(t *testing.T) {
	clk := &clock{t: time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)}
	st := openStore(t, clk.now)
	addr, messages := smtpServer(t)
	cfg, err := ParseConfig("n.yaml", []byte(fmt.Sprintf(`
channels: [{name: mail, type: smtp, addr: %q, from: markwatch@example.test, to: [team@example.test]}]
rules: [{on: sweep_end, channels: [mail]}]
`, addr)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	n := New(st, cfg, Options{Now: clk.now})
	if _, err := st.PutFindings(ctx, findings("run-7", 4, clk.now())); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishRun(ctx, "run-7", nil); err != nil {
		t.Fatal(err)
	}
	n.RunFinished(ctx, "run-7")
	n.RunFinished(ctx, "run-7") // once only
	if d, err := n.DeliverDue(ctx); err != nil || d != 1 {
		t.Fatalf("delivered %d, %v", d, err)
	}
	msgs := messages()
	if len(msgs) != 1 {
		t.Fatalf("%d mails", len(msgs))
	}
	i := strings.Index(msgs[0], "\r\n\r\n")
	body, _ := base64.StdEncoding.DecodeString(strings.ReplaceAll(msgs[0][i+4:], "\r\n", ""))
	if !strings.Contains(string(body), "run run-7: 4 findings, 4 suspects") || !strings.Contains(msgs[0], "To: team@example.test") {
		t.Fatalf("mail:\n%s\nbody %s", msgs[0], body)
	}
}

// A receiver that never answers does not hold up storing findings: while
// the deliverer is stuck in a request to it, every batch is stored and
// enqueued.
func TestHangingReceiverDoesNotBlockIngest(t *testing.T) {
	clk := &clock{t: time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)}
	st := openStore(t, clk.now)
	url, hung := hangingReceiver(t)
	cfg, _ := ParseConfig("n.yaml", []byte(fmt.Sprintf("channels: [{name: a, type: webhook, url: %q}]\nrules: [{on: new_suspect, channels: [a]}]\ntimeout: 1h\n", url)))
	n := New(st, cfg, Options{Now: clk.now})
	ctx := runNotifier(t, n)
	if err := n.Findings(ctx, findings("r0", 1, clk.now())); err != nil {
		t.Fatal(err)
	}
	select {
	case <-hung:
	case <-time.After(60 * time.Second):
		t.Fatal("the deliverer never reached the receiver")
	}
	for b := range 20 {
		fs := findings(fmt.Sprintf("r%d", b+1), 10, clk.now())
		for i := range fs {
			fs[i].Listing.ID = fmt.Sprintf("B%d-%d", b, i)
		}
		if _, err := st.PutFindings(ctx, fs); err != nil {
			t.Fatal(err)
		}
		if err := n.Findings(ctx, fs); err != nil {
			t.Fatal(err)
		}
	}
	log, _ := st.Notifications(ctx, 1000)
	if len(log) != 201 {
		t.Fatalf("outbox holds %d, want 201", len(log))
	}
}

func TestConfigErrorsNameField(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"channels: [{name: a, type: telegram, url: 'http://x'}]", "channels[0].type"},
		{"channels: [{name: a, type: webhook}]", "channels[0].url"},
		{"channels: [{name: a, type: webhook, url: 'http://x'}]\nrules: [{on: new_suspect, channels: [b]}]", "rules[0].channels"},
		{"rules: [{on: sometimes, channels: [b]}]", "rules[0].on"},
	} {
		if _, err := ParseConfig("notify.yaml", []byte(tc.yaml)); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "notify.yaml") {
			t.Errorf("%q: got %v, want %s", tc.yaml, err, tc.want)
		}
	}
}

func TestExampleConfigParses(t *testing.T) {
	cfg, err := LoadConfig("../configs/notify.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Channels) != 5 || len(cfg.Rules) != 3 || cfg.Backoff != 10*time.Second {
		t.Fatalf("%+v", cfg)
	}
}

// A removed listing of a seller with 3 confirmed listings seen again is a
// repeat offender reappearing: notified once for that listing and run.
func TestRepeatOffenderReappearing(t *testing.T) {
	clk := &clock{t: time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)}
	st := openStore(t, clk.now)
	ctx := context.Background()
	cfg, _ := ParseConfig("n.yaml", []byte("channels: [{name: a, type: webhook, url: 'http://127.0.0.1:1/'}]\nrules: [{on: repeat_offender, channels: [a]}]\n"))
	n := New(st, cfg, Options{Now: clk.now})
	mk := func(run string, ids ...string) []markwatch.Finding {
		var fs []markwatch.Finding
		for _, id := range ids {
			fs = append(fs, storetest.Finding(run, "shop", id, "Nike", "", 59, clk.now()))
		}
		return fs
	}
	if _, err := st.PutFindings(ctx, mk("run1", "X1", "X2", "X3")); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, id := range []string{"X1", "X2", "X3"} {
		l, _ := st.ListingByKey(ctx, "shop", id)
		ids = append(ids, l)
	}
	if _, err := st.Decide(ctx, "rita", ids, store.Confirmed, ""); err != nil {
		t.Fatal(err)
	}
	b, err := st.CreateBatch(ctx, "rita", "shop", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.MarkBatchRequested(ctx, "rita", b.ID, ""); err != nil {
		t.Fatal(err)
	}
	clk.add(time.Hour)
	st.PutFindings(ctx, mk("run2", "X1", "X2"))
	if err := st.FinishRun(ctx, "run2", []string{"shop"}); err != nil {
		t.Fatal(err)
	}
	if s, _ := st.ListingStatus(ctx, "shop", "X3"); s != store.Removed {
		t.Fatalf("X3 is %s, want removed", s)
	}
	clk.add(time.Hour)
	run3 := mk("run3", "X3", "X1")
	st.PutFindings(ctx, run3)
	if err := n.Findings(ctx, run3); err != nil {
		t.Fatal(err)
	}
	n.Findings(ctx, run3)
	log, _ := st.Notifications(ctx, 10)
	if len(log) != 1 || log[0].Kind != RepeatOffender || log[0].Key != "reappeared/shop/X3/run3" {
		t.Fatalf("outbox: %+v", log)
	}
}

// A channel whose receiver never answers holds only its own lane: the
// other channel gets every event while the first is stuck, and the stuck
// channel's events stay pending in the outbox (nothing lost).
func TestHangingChannelDoesNotDelayOthers(t *testing.T) {
	clk := &clock{t: time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)}
	st := openStore(t, clk.now)
	stuck, hung := hangingReceiver(t)
	rec := &receiver{accepted: map[string]int{}, format: "webhook"}
	ok := httptest.NewServer(rec)
	defer ok.Close()
	cfg, err := ParseConfig("n.yaml", []byte(fmt.Sprintf(`
channels: [{name: stuck, type: webhook, url: %q}, {name: team, type: webhook, url: %q}]
rules: [{on: new_suspect, channels: [stuck, team]}]
timeout: 1h
`, stuck, ok.URL)))
	if err != nil {
		t.Fatal(err)
	}
	n := New(st, cfg, Options{Now: clk.now, Poll: time.Hour})
	ctx := runNotifier(t, n)
	if err := n.Findings(ctx, findings("r0", 1, clk.now())); err != nil {
		t.Fatal(err)
	}
	select {
	case <-hung:
	case <-time.After(2 * time.Minute):
		t.Fatal("the stuck channel's lane never reached its receiver")
	}
	for b := range 5 {
		fs := findings(fmt.Sprintf("r%d", b+1), 10, clk.now())
		for i := range fs {
			fs[i].Listing.ID = fmt.Sprintf("B%d-%d", b, i)
		}
		if err := n.Findings(ctx, fs); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(2 * time.Minute) // guards against a hang only
	for {
		got, _, _ := rec.snapshot()
		if len(got) == 51 {
			for k, times := range got {
				if times != 1 {
					t.Errorf("event %q accepted %d times", k, times)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the healthy channel got %d of 51 events while the other channel hung", len(got))
		}
		time.Sleep(10 * time.Millisecond)
	}
	log, _ := st.Notifications(ctx, 1000)
	pending := 0
	for _, e := range log {
		if e.Channel == "stuck" && e.State == "pending" {
			pending++
		}
	}
	if pending != 51 {
		t.Errorf("%d of the stuck channel's 51 events pending, want all", pending)
	}
}

// Pending notifications of a channel removed from the config are given
// up with a reason naming the channel, not left pending for ever.
func TestRemovedChannelIsGivenUp(t *testing.T) {
	clk := &clock{t: time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)}
	st := openStore(t, clk.now)
	ctx := context.Background()
	rec := &receiver{accepted: map[string]int{}, format: "webhook"}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	old, _ := ParseConfig("n.yaml", []byte(fmt.Sprintf("channels: [{name: gone, type: webhook, url: %q}, {name: a, type: webhook, url: %q}]\nrules: [{on: new_suspect, channels: [gone, a]}]\n", srv.URL, srv.URL)))
	if err := New(st, old, Options{Now: clk.now}).Findings(ctx, findings("r1", 2, clk.now())); err != nil {
		t.Fatal(err)
	}
	cfg, _ := ParseConfig("n.yaml", []byte(fmt.Sprintf("channels: [{name: a, type: webhook, url: %q}]\nrules: [{on: new_suspect, channels: [a]}]\n", srv.URL)))
	if d, err := New(st, cfg, Options{Now: clk.now}).DeliverDue(ctx); err != nil || d != 2 {
		t.Fatalf("delivered %d, %v; want 2", d, err)
	}
	log, _ := st.Notifications(ctx, 10)
	for _, e := range log {
		want := "delivered"
		if e.Channel == "gone" {
			want = "failed"
			if !strings.Contains(e.LastError, `no channel named 'gone'`) {
				t.Errorf("reason %q does not name the channel", e.LastError)
			}
		}
		if e.State != want {
			t.Errorf("%s/%s: %s, want %s", e.Channel, e.Key, e.State, want)
		}
	}
}
