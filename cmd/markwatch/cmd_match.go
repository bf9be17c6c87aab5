package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/config"
	"github.com/markwatch/markwatch/matchers"
)

// MatchCmd judges listings read as JSON lines.
type MatchCmd struct {
	Signals     string `help:"Signals file (default: the config's)." type:"existingfile" placeholder:"PATH"`
	WithListing bool   `help:"Carry each input listing in its verdict, for markwatch ingest."`
	Workers     int    `help:"Listings judged in parallel (default: one per CPU). Output stays in input order." default:"0"`

	stdin io.Reader // os.Stdin unless a test sets it
}

// maxLine bounds one input line; a longer line gets an error verdict.
const maxLine = 4 << 20

func (c *MatchCmd) Run(g *Globals) error {
	cfg, err := g.Load()
	if err != nil {
		return err
	}
	log := g.Logger(cfg)
	signals := cfg.SignalsLocation()
	if c.Signals != "" {
		signals = config.Dir(c.Signals)
	}
	m, err := matchers.Load(cfg.MarksLocation(), signals)
	if err != nil {
		return err
	}
	in := c.stdin
	if in == nil {
		in = g.stdin
	}
	if in == nil {
		in = os.Stdin
	}
	workers := c.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, stop := signalContext()
	defer stop()
	st, err := matchStream(ctx, m, in, g.stdout, workers, c.WithListing)
	log.Info("match finished", "listings", st.listings, "suspects", st.suspects, "bad_lines", st.bad)
	if err != nil {
		return err
	}
	if st.bad > 0 {
		// Every verdict is written; the status tells a script that some
		// input was not judged, the line says how much.
		return &exitError{exitBadInput, fmt.Errorf("match: %d of %d input lines were bad (their verdicts carry the error and line number); %d listings judged, %d suspect",
			st.bad, st.bad+st.listings, st.listings, st.suspects)}
	}
	return nil
}

type matchStats struct{ listings, suspects, bad int }

// job is one input line on its way through the workers; done is closed when
// out holds its verdict line.
type job struct {
	line         int
	data         []byte
	out          []byte
	bad, suspect bool
	done         chan struct{}
}

// matchStream reads listings as JSON lines from in and writes one verdict
// line per listing to out, in input order, judging up to workers at once.
// A line that is not a listing gets an error verdict naming its line number.
func matchStream(ctx context.Context, m *matchers.Matcher, in io.Reader, out io.Writer, workers int, withListing bool) (matchStats, error) {
	var st matchStats
	work := make(chan *job, workers*4)
	order := make(chan *job, workers*64)
	for range workers {
		go func() {
			for j := range work {
				j.out, j.suspect, j.bad = judgeLine(ctx, m, j.line, j.data, withListing)
				close(j.done)
			}
		}()
	}
	readErr := make(chan error, 1)
	go func() {
		defer close(order)
		defer close(work)
		r := bufio.NewReaderSize(in, 64<<10)
		for n := 1; ; n++ {
			data, tooLong, err := readLine(r)
			if len(data) > 0 || tooLong {
				j := &job{line: n, data: data, done: make(chan struct{})}
				if tooLong {
					j.out, j.bad = errorVerdict("", n, fmt.Sprintf("line longer than %d bytes", maxLine)), true
					close(j.done)
				} else {
					work <- j
				}
				select {
				case order <- j:
				case <-ctx.Done():
					readErr <- ctx.Err()
					return
				}
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					readErr <- fmt.Errorf("match: reading input: %w", err)
				}
				return
			}
		}
	}()
	w := bufio.NewWriterSize(out, 64<<10)
	for j := range order {
		<-j.done
		if _, err := w.Write(j.out); err != nil {
			return st, fmt.Errorf("match: writing verdicts: %w", err)
		}
		switch {
		case j.bad:
			st.bad++
		case j.suspect:
			st.listings++
			st.suspects++
		default:
			st.listings++
		}
		if len(order) == 0 { // keep a pipeline (crawl | match | ingest) moving
			if err := w.Flush(); err != nil {
				return st, fmt.Errorf("match: writing verdicts: %w", err)
			}
		}
	}
	if err := w.Flush(); err != nil {
		return st, fmt.Errorf("match: writing verdicts: %w", err)
	}
	select {
	case err := <-readErr:
		return st, err
	default:
		return st, nil
	}
}

// readLine reads one line without its newline. A line longer than maxLine
// is consumed and reported as tooLong.
func readLine(r *bufio.Reader) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := r.ReadSlice('\n')
		if len(line)+len(chunk) > maxLine+1 {
			tooLong = true
		} else {
			line = append(line, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if tooLong {
			line = nil
		}
		return bytes.TrimSpace(line), tooLong, err
	}
}

// judgeLine decodes and judges one line; it always returns one JSON line.
func judgeLine(ctx context.Context, m *matchers.Matcher, n int, data []byte, withListing bool) (out []byte, suspect, bad bool) {
	var l markwatch.Listing
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&l); err != nil {
		return errorVerdict(peekID(data), n, "not a JSON listing: "+err.Error()), false, true
	}
	if dec.More() {
		return errorVerdict(l.ID, n, "more than one JSON value on the line"), false, true
	}
	switch {
	case strings.TrimSpace(l.ID) == "":
		return errorVerdict("", n, `listing has no "id"`), false, true
	case strings.TrimSpace(l.Title) == "":
		return errorVerdict(l.ID, n, `listing has no "title"`), false, true
	}
	v, err := m.Match(ctx, l)
	if err != nil {
		return errorVerdict(l.ID, n, err.Error()), false, true
	}
	if withListing {
		v.Listing = &l
	}
	b, err := json.Marshal(v)
	if err != nil {
		return errorVerdict(l.ID, n, err.Error()), false, true
	}
	return append(b, '\n'), v.Suspect, false
}

func errorVerdict(id string, n int, msg string) []byte {
	b, _ := json.Marshal(struct {
		ID    string `json:"id"`
		Line  int    `json:"line"`
		Error string `json:"error"`
	}{id, n, fmt.Sprintf("line %d: %s", n, msg)})
	return append(b, '\n')
}

// peekID recovers the id of a listing whose line does not decode as a
// whole, so that the error can be traced; "" when it cannot.
func peekID(data []byte) string {
	var probe struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(data, &probe) != nil {
		return ""
	}
	var id string
	if json.Unmarshal(probe.ID, &id) != nil {
		return ""
	}
	return id
}

// MarksCmd groups marks registry tools.
type MarksCmd struct {
	Check MarksCheckCmd `cmd:"" help:"Validate mark files and print what each mark will match."`
}

// MarksCheckCmd validates mark files.
type MarksCheckCmd struct {
	Paths   []string `arg:"" help:"Mark files or directories." type:"existingpath"`
	Signals string   `help:"Signals file to check with the marks (default: the config's)." type:"existingfile" placeholder:"PATH"`
	Verbose bool     `short:"v" help:"Also show each name's skeleton: the normalised form the matcher compares (lower case, i and l as one letter, traditional characters simplified)."`
}

func (c *MarksCheckCmd) Run(g *Globals) error {
	cfg, err := g.Load()
	if err != nil {
		return err
	}
	signalsLoc := cfg.SignalsLocation()
	if c.Signals != "" {
		signalsLoc = config.Dir(c.Signals)
	}
	var all []matchers.Mark
	var errs []error
	for _, p := range c.Paths {
		marks, err := matchers.LoadMarks(config.Dir(p))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		all = append(all, marks...)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	signals, err := matchers.LoadSignals(signalsLoc)
	if err != nil {
		return err
	}
	m, err := matchers.New(all, signals)
	if err != nil {
		return err
	}
	return matchers.Describe(g.stdout, m, c.Verbose)
}
