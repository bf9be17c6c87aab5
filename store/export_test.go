package store

import (
	"fmt"
	"strings"
)

// ExecForTest runs a statement on the write connection.
func (s *Store) ExecForTest(q string) error {
	_, err := s.write.Exec(q)
	return err
}

// QueryForTest returns the first column of the first row of q, as text.
func (s *Store) QueryForTest(q string) string {
	var v string
	s.read.QueryRow(q).Scan(&v)
	return v
}

// RemovedPlanForTest is EXPLAIN QUERY PLAN of the query FinishRun uses to
// find removed listings, one plan line a row.
func (s *Store) RemovedPlanForTest(run, sweep string, sites []string) (string, error) {
	q, args := removedQuery(run, sweep, 0, sites)
	rows, err := s.read.Query(`EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%d %d %s\n", id, parent, detail)
	}
	return b.String(), rows.Err()
}
