package schedule

import (
	"context"
	"fmt"
	"slices"

	"github.com/markwatch/markwatch"
	"github.com/markwatch/markwatch/queue"
)

// Seeder queues the seed tasks of a run. Each task is a search task (Kind
// search, Page 1, Run, Sweep, Site, Query, Priority and MaxPages set) whose
// URL is empty: the seeder builds it from the site adapter. Seed returns how
// many tasks were queued.
//
// Seeding the same run twice must be harmless (the frontier's per-run
// dedup makes it so): a scheduler that dies between recording a run and
// seeding it leaves the seeding to its successor, which seeds again.
type Seeder interface {
	Seed(ctx context.Context, tasks []markwatch.Task) (int, error)
}

// SeederFunc adapts a function to Seeder.
type SeederFunc func(ctx context.Context, tasks []markwatch.Task) (int, error)

// Seed implements Seeder.
func (f SeederFunc) Seed(ctx context.Context, tasks []markwatch.Task) (int, error) {
	return f(ctx, tasks)
}

// TaskAdder is the part of queue.Frontier a FrontierSeeder needs.
type TaskAdder interface {
	Add(ctx context.Context, tasks ...markwatch.Task) (int, error)
}

// FrontierSeeder is the usual Seeder: it fills each task's URL with
// SearchURL (the site adapter's search URL of a query's first page) and
// adds the tasks to a frontier.
type FrontierSeeder struct {
	Frontier  TaskAdder
	SearchURL func(site, query string, page int) (string, error)
}

// Seed implements Seeder.
func (s FrontierSeeder) Seed(ctx context.Context, tasks []markwatch.Task) (int, error) {
	out := make([]markwatch.Task, 0, len(tasks))
	for _, t := range tasks {
		u, err := s.SearchURL(t.Site, t.Query, t.Page)
		if err != nil {
			return 0, fmt.Errorf("seed run %s: site %s query %q: %w", t.Run, t.Site, t.Query, err)
		}
		t.URL = u
		out = append(out, t)
	}
	return s.Frontier.Add(ctx, out...)
}

// Marks gives the search queries of the marks of a kind (trademark,
// special, gi): every mark's names, or its own query list where the marks
// registry has one. The lead wires it to the matchers' registry.
type Marks interface {
	MarkNames(kind string) []string
}

// MarksFunc adapts a function to Marks.
type MarksFunc func(kind string) []string

// MarkNames implements Marks.
func (f MarksFunc) MarkNames(kind string) []string { return f(kind) }

// RunStatser is the part of queue.Frontier the scheduler reads progress
// from.
type RunStatser interface {
	Stats(ctx context.Context, run string) (queue.RunStats, error)
}

// Canceller drops the queued tasks of a run; leased tasks finish, and the
// run's new tasks are refused. Both queue frontiers implement it
// (queue.Redis.CancelRun, queue.Memory.CancelRun).
type Canceller interface {
	CancelRun(ctx context.Context, run string) (dropped int, err error)
}

// QueryList returns the sweep's queries: the explicit ones, then those of its
// marks, without duplicates.
func (s *Sweep) QueryList(marks Marks) ([]string, error) {
	out := slices.Clone(s.Queries)
	if s.Marks != nil {
		if marks == nil {
			return nil, fmt.Errorf("sweep %s: queries from marks of kind %s, but no marks registry is wired", s.Name, s.Marks.Kind)
		}
		for _, q := range marks.MarkNames(s.Marks.Kind) {
			if q != "" && !slices.Contains(out, q) {
				out = append(out, q)
			}
		}
	}
	return out, nil
}

// SeedTasks returns the seed tasks of a run of the sweep: the first search
// page of every query on every site.
func (s *Sweep) SeedTasks(run string, marks Marks) ([]markwatch.Task, error) {
	queries, err := s.QueryList(marks)
	if err != nil {
		return nil, err
	}
	var out []markwatch.Task
	for _, site := range s.Sites {
		for _, q := range queries {
			out = append(out, markwatch.Task{
				Run: run, Sweep: s.Name, Site: site, Kind: markwatch.KindSearch,
				Query: q, Page: 1, Priority: s.Priority, MaxPages: s.MaxPages,
			})
		}
	}
	return out, nil
}

var _ Seeder = FrontierSeeder{}
var _ Seeder = SeederFunc(nil)
var _ RunStatser = queue.Frontier(nil)
