package store

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
