-- The distinct pages (task URLs, by a 12-byte SHA-256 prefix) whose
-- findings each run stored: what the store has seen of a run, checked
-- against the frontier's accounting so that a Redis rollback is told rather
-- than reported as a clean finish (Store.RunPages). The frontier queues a
-- URL once per run, so a run that finished has done at least this many
-- tasks. One row per page with findings, written in the ingestion
-- transaction.
CREATE TABLE run_pages (
	run  TEXT NOT NULL,
	page BLOB NOT NULL,
	PRIMARY KEY (run, page)
) WITHOUT ROWID;

-- The highest done count of each run's frontier accounting that serve has
-- seen (Store.ObserveDone): done only grows, so a lower one later means the
-- accounting went back.
CREATE TABLE run_seen (
	run  TEXT PRIMARY KEY,
	done INTEGER NOT NULL
) WITHOUT ROWID;
