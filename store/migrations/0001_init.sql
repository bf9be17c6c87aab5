-- markwatch review store, version 1.
-- Times are Unix milliseconds (UTC). Listing rows carry the newest verdict's
-- summary so that the queue is one indexed query; verdicts keep every run's
-- judgement with its hits and signals.

CREATE TABLE runs (
	id          TEXT PRIMARY KEY,
	sweep       TEXT NOT NULL DEFAULT '',
	started_at  INTEGER NOT NULL,
	finished_at INTEGER,
	findings    INTEGER NOT NULL DEFAULT 0,
	suspects    INTEGER NOT NULL DEFAULT 0,
	removed     INTEGER NOT NULL DEFAULT 0,
	reappeared  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE listings (
	id          INTEGER PRIMARY KEY,
	site        TEXT NOT NULL,
	listing_id  TEXT NOT NULL,
	url         TEXT NOT NULL DEFAULT '',
	title       TEXT NOT NULL DEFAULT '',
	description TEXT NOT NULL DEFAULT '',
	price       REAL,
	seller      TEXT NOT NULL DEFAULT '',
	ship_from   TEXT NOT NULL DEFAULT '',
	category    TEXT NOT NULL DEFAULT '',
	image       TEXT NOT NULL DEFAULT '',
	first_seen  INTEGER NOT NULL,
	last_seen   INTEGER NOT NULL,
	last_run    TEXT NOT NULL DEFAULT '',
	sweep       TEXT NOT NULL DEFAULT '',
	suspect     INTEGER NOT NULL DEFAULT 0,
	score       REAL NOT NULL DEFAULT 0,
	mark        TEXT NOT NULL DEFAULT '',
	kind        TEXT NOT NULL DEFAULT '',
	reasons     TEXT NOT NULL DEFAULT '',
	evidence    TEXT NOT NULL DEFAULT '',
	fetched_at  INTEGER NOT NULL DEFAULT 0,
	status      TEXT NOT NULL DEFAULT 'new'
		CHECK (status IN ('new','confirmed','dismissed','takedown_requested','removed','reappeared')),
	status_at   INTEGER NOT NULL DEFAULT 0,
	status_by   TEXT NOT NULL DEFAULT '',
	note        TEXT NOT NULL DEFAULT '',
	UNIQUE (site, listing_id)
);
-- Queue indexes: each filter's column first, then suspicion and status
-- (almost always filtered), then the default order, so that a page and its
-- capped count read the index alone.
CREATE INDEX listings_status_score ON listings (suspect, status, score DESC, id DESC);
CREATE INDEX listings_score ON listings (score DESC, id DESC);
CREATE INDEX listings_site ON listings (site, suspect, status, score DESC, id DESC);
CREATE INDEX listings_kind ON listings (kind, suspect, status, score DESC, id DESC);
CREATE INDEX listings_sweep ON listings (sweep, suspect, status, score DESC, id DESC);
CREATE INDEX listings_run ON listings (last_run, suspect, status, score DESC, id DESC);
CREATE INDEX listings_seller ON listings (seller, site);
CREATE INDEX listings_seen ON listings (suspect, last_seen);

-- Title and price as first seen and at every change.
CREATE TABLE listing_history (
	listing INTEGER NOT NULL REFERENCES listings (id),
	seen_at INTEGER NOT NULL,
	run     TEXT NOT NULL,
	title   TEXT NOT NULL,
	price   REAL
);
CREATE INDEX listing_history_listing ON listing_history (listing, seen_at);

-- Every mark a listing's verdicts named, with a copy of the listing's
-- suspicion, status and score (kept by trigger) so that the mark filter is
-- one index range in queue order.
CREATE TABLE listing_marks (
	mark    TEXT NOT NULL,
	listing INTEGER NOT NULL REFERENCES listings (id),
	kind    TEXT NOT NULL,
	suspect INTEGER NOT NULL DEFAULT 0,
	status  TEXT NOT NULL DEFAULT 'new',
	score   REAL NOT NULL DEFAULT 0,
	PRIMARY KEY (mark, listing)
) WITHOUT ROWID;
CREATE INDEX listing_marks_listing ON listing_marks (listing);
CREATE INDEX listing_marks_queue ON listing_marks (mark, suspect, status, score DESC, listing DESC);
CREATE TRIGGER listing_marks_follow AFTER UPDATE OF status, suspect, score ON listings
	WHEN OLD.status IS NOT NEW.status OR OLD.suspect IS NOT NEW.suspect OR OLD.score IS NOT NEW.score
BEGIN
	UPDATE listing_marks SET suspect = NEW.suspect, status = NEW.status, score = NEW.score WHERE listing = NEW.id;
END;

-- One verdict per (run, listing): the unit of idempotent ingestion.
CREATE TABLE verdicts (
	run         TEXT NOT NULL,
	listing     INTEGER NOT NULL REFERENCES listings (id),
	sweep       TEXT NOT NULL DEFAULT '',
	suspect     INTEGER NOT NULL,
	score       REAL NOT NULL,
	title       TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	price       REAL,
	hits        TEXT NOT NULL,  -- JSON []markwatch.Hit
	signals     TEXT NOT NULL,  -- JSON []markwatch.Signal
	evidence    TEXT NOT NULL DEFAULT '',
	fetched_at  INTEGER NOT NULL,
	stored_at   INTEGER NOT NULL,
	PRIMARY KEY (run, listing)
);
CREATE INDEX verdicts_listing ON verdicts (listing, fetched_at);

-- Review decisions: every change of a listing's status, by whom, when, why.
CREATE TABLE decisions (
	id          INTEGER PRIMARY KEY,
	listing     INTEGER NOT NULL REFERENCES listings (id),
	from_status TEXT NOT NULL,
	to_status   TEXT NOT NULL,
	actor       TEXT NOT NULL,
	at          INTEGER NOT NULL,
	note        TEXT NOT NULL DEFAULT '',
	batch       INTEGER,
	run         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX decisions_listing ON decisions (listing, at);
CREATE TRIGGER decisions_append_only_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER decisions_append_only_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;

-- Audit log of every write made by a person or a token: append-only.
CREATE TABLE audit (
	id     INTEGER PRIMARY KEY,
	at     INTEGER NOT NULL,
	actor  TEXT NOT NULL,
	action TEXT NOT NULL,
	target TEXT NOT NULL DEFAULT '',
	detail TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TABLE users (
	id            INTEGER PRIMARY KEY,
	name          TEXT NOT NULL UNIQUE,
	role          TEXT NOT NULL CHECK (role IN ('viewer','reviewer','admin')),
	password_hash TEXT NOT NULL,
	created_at    INTEGER NOT NULL,
	disabled      INTEGER NOT NULL DEFAULT 0
);

-- API tokens: only the SHA-256 of the token is kept.
CREATE TABLE tokens (
	id         INTEGER PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users (id),
	hash       TEXT NOT NULL UNIQUE,
	label      TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	last_used  INTEGER NOT NULL DEFAULT 0
);

-- Browser sessions: only the SHA-256 of the cookie value is kept.
CREATE TABLE sessions (
	hash       TEXT PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users (id),
	csrf       TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Takedown batches: at most 300 listings of one site, exported together.
CREATE TABLE batches (
	id           INTEGER PRIMARY KEY,
	site         TEXT NOT NULL,
	created_at   INTEGER NOT NULL,
	created_by   TEXT NOT NULL,
	size         INTEGER NOT NULL,
	requested_at INTEGER,
	requested_by TEXT NOT NULL DEFAULT '',
	note         TEXT NOT NULL DEFAULT ''
);
CREATE TABLE batch_items (
	batch   INTEGER NOT NULL REFERENCES batches (id),
	listing INTEGER NOT NULL REFERENCES listings (id),
	PRIMARY KEY (batch, listing)
) WITHOUT ROWID;
CREATE INDEX batch_items_listing ON batch_items (listing);

-- Listing counts by status and suspicion, kept by triggers so that the
-- status gauge and the default queue's total cost nothing at a million rows.
CREATE TABLE status_counts (
	status  TEXT NOT NULL,
	suspect INTEGER NOT NULL,
	n       INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (status, suspect)
) WITHOUT ROWID;
INSERT INTO status_counts (status, suspect)
SELECT s.status, v.suspect
FROM (SELECT 'new' AS status UNION ALL SELECT 'confirmed' UNION ALL SELECT 'dismissed'
      UNION ALL SELECT 'takedown_requested' UNION ALL SELECT 'removed' UNION ALL SELECT 'reappeared') s,
     (SELECT 0 AS suspect UNION ALL SELECT 1) v;
CREATE TRIGGER listings_count_insert AFTER INSERT ON listings
BEGIN
	UPDATE status_counts SET n = n + 1 WHERE status = NEW.status AND suspect = NEW.suspect;
END;
CREATE TRIGGER listings_count_update AFTER UPDATE OF status, suspect ON listings
	WHEN OLD.status IS NOT NEW.status OR OLD.suspect IS NOT NEW.suspect
BEGIN
	UPDATE status_counts SET n = n - 1 WHERE status = OLD.status AND suspect = OLD.suspect;
	UPDATE status_counts SET n = n + 1 WHERE status = NEW.status AND suspect = NEW.suspect;
END;
CREATE TRIGGER listings_count_delete AFTER DELETE ON listings
BEGIN
	UPDATE status_counts SET n = n - 1 WHERE status = OLD.status AND suspect = OLD.suspect;
END;
