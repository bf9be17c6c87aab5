package store

// SetBroadMatches lowers the broad-search threshold for a test, so that
// small stores take the per-listing check path; it returns the undo.
func SetBroadMatches(n int) func() {
	old := broadMatches
	broadMatches = n
	return func() { broadMatches = old }
}
