package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alecthomas/kong"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/internal/testport"
	"github.com/markwatch/markwatch/internal/testredis"
	"github.com/markwatch/markwatch/queue"
)

// cli runs the whole command line in-process, as main does, and returns
// the exit status, stdout and stderr.
func cli(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func lines(s string) []string {
	return strings.Split(strings.TrimRight(s, "\n"), "\n")
}

// closedPort is a loopback address nothing listens on: connections to it
// are refused.
func closedPort(t *testing.T) string {
	t.Helper()
	// A reserved port (testport): no test server is started on it
	// meanwhile, and no outgoing connection takes it.
	return "127.0.0.1:" + testport.Port(t)
}

func TestHelpDocumentsExitStatus(t *testing.T) {
	code, out, _ := cli(t, "", "--help")
	if code != exitOK {
		t.Fatalf("--help exit %d", code)
	}
	for _, want := range []string{"Exit status: 0 success; 1 failure", "2 usage", "3 bad input", "4 Redis unreachable"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help does not say %q:\n%s", want, out)
		}
	}
}

// match writes every verdict, then exits 3 with one summary line when an
// input line was bad; 0 when none was.
func TestCLIMatchBadLinesExitStatus(t *testing.T) {
	in := `{"id":"1","title":"N I K E 高仿","price":99}` + "\n{not json\n" + `{"id":"3","title":"红富士苹果"}` + "\n"
	code, out, errOut := cli(t, in, "--log-level", "error", "match")
	if code != exitBadInput {
		t.Fatalf("exit %d, want %d (bad input)\nstderr: %s", code, exitBadInput, errOut)
	}
	if got := lines(out); len(got) != 3 || !strings.Contains(got[1], `"error":"line 2: not a JSON listing`) || !strings.Contains(got[2], `"id":"3"`) {
		t.Fatalf("verdicts:\n%s", out)
	}
	want := "markwatch: match: 1 of 3 input lines were bad (their verdicts carry the error and line number); 2 listings judged, 1 suspect"
	if got := lines(errOut); len(got) != 1 || got[0] != want {
		t.Fatalf("stderr %q, want the one line %q", errOut, want)
	}
	if code, _, errOut := cli(t, `{"id":"1","title":"红富士苹果"}`+"\n", "--log-level", "error", "match"); code != exitOK || errOut != "" {
		t.Fatalf("all good: exit %d, stderr %q", code, errOut)
	}
}

// A --config (or --sites, --marks) path that does not exist: one line
// naming it, exit 2, no usage text.
func TestCLIMissingPathsAreOneLine(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	for _, args := range [][]string{
		{"--config", missing, "calendar", "--year", "2026"},
		{"--sites", missing, "calendar"},
		{"--marks", missing, "match"},
	} {
		code, out, errOut := cli(t, "", args...)
		want := "markwatch: " + args[0] + " " + missing + ": no such file or directory"
		if code != exitUsage || out != "" || len(lines(errOut)) != 1 || lines(errOut)[0] != want {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and the one line %q", args, code, out, errOut, want)
		}
	}
	code, _, errOut := cli(t, "", "calendar", "--yeer", "2026")
	if code != exitUsage || strings.Contains(errOut, "Commands:") || len(lines(errOut)) != 2 || !strings.Contains(errOut, `Run "markwatch calendar --help"`) {
		t.Errorf("unknown flag: exit %d, stderr %q; want exit 2, the error and a pointer to --help", code, errOut)
	}
}

// Every command reads and validates the main config first: a broken one
// stops each of them with the file, line, field and the nearest name.
func TestCLIEveryCommandValidatesTheConfig(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "markwatch.yaml")
	if err := os.WriteFile(bad, []byte("lisen: 127.0.0.1:1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	want := bad + ":1:1: lisen: unknown field; did you mean listen?"
	var c CLI
	parser, err := kong.New(&c, kong.Name("markwatch"), kong.Exit(func(int) {}))
	if err != nil {
		t.Fatal(err)
	}
	var leaves [][]string
	var walk func(n *kong.Node, path []string)
	walk = func(n *kong.Node, path []string) {
		if len(n.Children) == 0 && len(path) > 0 {
			args := append([]string{"--config", bad}, path...)
			// An existing path, or the first allowed value, suits every
			// required argument here.
			value := func(v *kong.Value) string {
				if v.Enum != "" {
					return strings.Split(v.Enum, ",")[0]
				}
				return bad
			}
			for _, p := range n.Positional {
				if p.Required {
					args = append(args, value(p))
				}
			}
			for _, f := range n.Flags {
				if f.Required {
					args = append(args, "--"+f.Name, value(f.Value))
				}
			}
			leaves = append(leaves, args)
		}
		for _, child := range n.Children {
			walk(child, append(append([]string(nil), path...), child.Name))
		}
	}
	walk(parser.Model.Node, nil)
	for _, args := range leaves {
		code, _, errOut := cli(t, "", args...)
		if code != exitFailure || len(lines(errOut)) != 1 || lines(errOut)[0] != "markwatch: "+want {
			t.Errorf("%s: exit %d, stderr %q; want exit 1 and %q", strings.Join(args[2:], " "), code, errOut, want)
		}
	}
	if len(leaves) < 20 {
		t.Fatalf("checked %d commands", len(leaves))
	}
}

// Commands that need Redis say in one line that it is down, and exit 4.
func TestCLIRedisDownIsOneClearLine(t *testing.T) {
	addr := closedPort(t)
	url := "redis://" + addr
	want := "markwatch: cannot reach Redis at " + addr + ": connection refused"
	for _, args := range [][]string{
		{"queue", "stats", "--redis", url},
		{"queue", "lease", "--redis", url},
		{"enqueue", "--redis", url, "--site", "fakemart", "--query", "耐克"},
		{"sweep", "history", "--redis", url},
	} {
		code, _, errOut := cli(t, "", args...)
		if code != exitUnreachable || len(lines(errOut)) != 1 || lines(errOut)[0] != want {
			t.Errorf("%v: exit %d, stderr %q; want exit 4 and the one line %q", args, code, errOut, want)
		}
	}
}

// The worker waits for a Redis that does not answer, one warning per
// backoff step, doubling; and goes on at once when it answers.
func TestWorkerWaitsForRedisOneLinePerStep(t *testing.T) {
	first, most := redisRetryFirst, redisRetryMax
	redisRetryFirst, redisRetryMax = 10*time.Millisecond, 40*time.Millisecond
	t.Cleanup(func() { redisRetryFirst, redisRetryMax = first, most })

	addr := closedPort(t)
	client, err := queue.Dial("redis://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- waitForRedis(ctx, client, log) }()
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(buf.String(), "\n") < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("no four warnings in 30s:\n%s", buf.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; exitCode(err) != exitUnreachable {
		t.Fatalf("after cancel: %v (exit %d), want exit 4", err, exitCode(err))
	}
	retry := regexp.MustCompile(`retry_in=(\S+)`)
	var steps []string
	for _, l := range lines(buf.String())[:4] {
		if !strings.Contains(l, "msg=\"waiting for Redis\"") || !strings.Contains(l, "cannot reach Redis at "+addr+": connection refused") {
			t.Fatalf("warning %q", l)
		}
		steps = append(steps, retry.FindStringSubmatch(l)[1])
	}
	if got := strings.Join(steps, " "); got != "10ms 20ms 40ms 40ms" {
		t.Fatalf("backoff steps %s, want 10ms 20ms 40ms 40ms", got)
	}

	srv := testredis.Start(t)
	up, err := queue.Dial(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	buf.Reset()
	if err := waitForRedis(context.Background(), up, log); err != nil || buf.String() != "" {
		t.Fatalf("Redis up: %v, logged %q", err, buf.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Reset()
}

// marks check shows each name readably with what it catches; the skeleton
// only with --verbose.
func TestCLIMarksCheckReadable(t *testing.T) {
	code, out, errOut := cli(t, "", "marks", "check", "../../configs/marks")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"  name     NIKE  (Latin: whole word)\n           catches any case (nike), full-width (ＮＩＫＥ), accents (NÍKE), separators (N-I-K-E), I and l alike (NlKE), digits and symbols for letters (N1KE), Cyrillic or Greek look-alikes (Greek Ν for N)\n",
		"  name     爱马仕\n           catches separators (爱-马-仕), traditional characters (愛馬仕)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("marks check lacks %q", want)
		}
	}
	if strings.Contains(out, "nlke") || strings.Contains(out, "skeleton") {
		t.Error("marks check shows skeletons without --verbose")
	}
	_, out, _ = cli(t, "", "marks", "check", "--verbose", "../../configs/marks")
	if !strings.Contains(out, "  name     NIKE  (Latin: whole word)\n           catches any case") || !strings.Contains(out, "           skeleton nlke\n") {
		t.Errorf("marks check --verbose lacks the skeleton:\n%.600s", out)
	}
}

// sweep plan lists windows in date order and says why a sweep has none.
func TestCLISweepPlanOrderAndReasons(t *testing.T) {
	code, out, errOut := cli(t, "", "sweep", "plan", "--from", "2026-01-01", "--to", "2026-12-31")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	section := out[strings.Index(out, "Windows in date order:"):]
	section = section[:strings.Index(section, "\n\n")]
	stamps := regexp.MustCompile(`(?m)^  (\d{4}-\d\d-\d\d \d\d:\d\d) – `).FindAllStringSubmatch(section, -1)
	if len(stamps) < 5 {
		t.Fatalf("windows:\n%s", section)
	}
	for i := 1; i < len(stamps); i++ {
		if stamps[i][1] < stamps[i-1][1] {
			t.Fatalf("windows out of date order:\n%s", section)
		}
	}
	for _, want := range []string{"2026-09-11 00:00 – 2026-09-29 00:00  mid_autumn_gi", "2026-09-21 00:00 – 2026-10-10 00:00  national_day"} {
		if !strings.Contains(section, want) {
			t.Errorf("windows lack %q:\n%s", want, section)
		}
	}
	_, out, _ = cli(t, "", "sweep", "plan", "--from", "2026-12-01", "--to", "2027-03-01")
	for _, want := range []string{
		"Windows in date order:\n  none in range\n",
		"national_day: every 4h in window, outside never\n  no window in range: its next window, national_day 2027 (2027-10-01 – 2027-10-07), opens 2027-09-21 00:00, after 2027-03-01\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	_, out, _ = cli(t, "", "sweep", "plan", "--sweep", "may_day", "--from", "2026-06-01", "--to", "2026-06-30")
	if !strings.Contains(out, "no window in range: its next window, may_day 2027") {
		t.Errorf("plan:\n%s", out)
	}
}

// A running worker's lease loop waits out a Redis outage, one warning per
// backoff step, and leases again once Redis is back.
func TestWorkerLeaseWaitsOutRedisOutage(t *testing.T) {
	first, most := redisRetryFirst, redisRetryMax
	redisRetryFirst, redisRetryMax = 10*time.Millisecond, 40*time.Millisecond
	t.Cleanup(func() { redisRetryFirst, redisRetryMax = first, most })

	srv := testredis.Start(t)
	// A short failover budget: each call gives up quickly, so that the
	// outage reaches the lease loop's own waiting (with the default budget
	// every call would first ride out 15s of it inside the client).
	client, err := queue.DialWith(srv.URL(), queue.DialOptions{FailoverBudget: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx := context.Background()
	f := queue.NewRedis(client, queue.Options{})
	defer f.Close()
	if _, err := f.Add(ctx, markwatch.Task{Run: "r", Site: "shop", Kind: markwatch.KindItem, URL: "https://shop.example/1"}); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	var buf syncBuffer
	wf := &waitingFrontier{Frontier: f, client: client, log: slog.New(slog.NewTextHandler(&buf, nil))}
	type result struct {
		tasks []markwatch.Task
		err   error
	}
	done := make(chan result, 1)
	go func() {
		tasks, err := wf.Lease(ctx, 10)
		done <- result{tasks, err}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(buf.String(), "waiting for Redis") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no two warnings in 30s:\n%s", buf.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	srv.Restart(t)
	r := <-done
	if r.err != nil || len(r.tasks) != 1 {
		t.Fatalf("Lease after the outage = %v, %v; want the queued task", r.tasks, r.err)
	}
	for _, l := range lines(buf.String()) {
		if !strings.Contains(l, "waiting for Redis") && !strings.Contains(l, "Redis answers again") {
			t.Errorf("unexpected log line %q", l)
		}
	}
}
