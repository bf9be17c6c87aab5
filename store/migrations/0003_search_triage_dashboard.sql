-- markwatch review store, version 3: search, triage, calibration, campaign
-- tallies and token lifetimes.

-- OCR text of a listing's images, filled when the images stage lands.
ALTER TABLE listings ADD COLUMN ocr_text TEXT NOT NULL DEFAULT '';
-- The verdict's signal types, sorted and comma-joined ("region,slang"): the
-- key calibration learns precision for.
ALTER TABLE listings ADD COLUMN signal_key TEXT NOT NULL DEFAULT '';
-- Calibrated likelihood of a confirmed infringement; -1 until calibrated
-- weights are applied (the queue then falls back to the shipped score).
ALTER TABLE listings ADD COLUMN likelihood REAL NOT NULL DEFAULT -1;
CREATE INDEX listings_likely ON listings (suspect, status, likelihood DESC, score DESC, id DESC);
-- A date filter on the queue: the suspects of a status seen since a day,
-- sorted by score without reading the rows (the generated million-listing
-- store spreads over 400 days, where a week is under 2% of the queue).
CREATE INDEX listings_status_seen ON listings (suspect, status, last_seen, score, id);

-- Full-text search without a segmenter: trigrams answer terms of three or
-- more characters over every text field.
--
-- Both search tables are contentless (rowid = listing id) and written by
-- the store's Go code (Store.reindex), one statement per batch of
-- listings, not by a trigger per row: FTS5 flushes its buffer to disk at
-- every statement savepoint, so a trigger per listing wrote a segment per
-- listing and tripled the ingest time. Code that changes a listing's
-- title, description, seller or ocr_text must reindex it.
CREATE VIRTUAL TABLE listings_fts USING fts5(title, description, seller, ocr_text,
	content='', contentless_delete=1, tokenize='trigram case_sensitive 0');
INSERT INTO listings_fts (rowid, title, description, seller, ocr_text)
	SELECT id, title, description, seller, ocr_text FROM listings;

-- Terms of one or two characters (二字 Chinese fragments) are beyond
-- trigrams: markwatch_grams writes every pair of adjacent characters of
-- title and seller as one token (their lower-cased UTF-8 bytes in hex) and
-- the last character of each run; a two-character term is one token, a
-- one-character term a prefix query. No positions needed: detail=none.
CREATE VIRTUAL TABLE listings_grams USING fts5(title, seller, content='', contentless_delete=1,
	tokenize='ascii', detail='none');
INSERT INTO listings_grams (rowid, title, seller)
	SELECT id, markwatch_grams(title), markwatch_grams(seller) FROM listings;
CREATE TRIGGER listings_search_delete AFTER DELETE ON listings BEGIN
	DELETE FROM listings_fts WHERE rowid = OLD.id;
	DELETE FROM listings_grams WHERE rowid = OLD.id;
END;

-- Takedown timing: when each listing's takedown was requested and when its
-- removal was seen (the decisions table has both; this index reads them by
-- time).
CREATE INDEX decisions_to ON decisions (to_status, at);

-- Undo: a decision may reverse an earlier one.
ALTER TABLE decisions ADD COLUMN undo_of INTEGER;
CREATE INDEX decisions_actor ON decisions (actor, id);

-- Calibrated precision by signal key (see listings.signal_key), written
-- when an admin applies calibration.
CREATE TABLE calibration (
	key        TEXT PRIMARY KEY,
	likelihood REAL NOT NULL,
	confirmed  INTEGER NOT NULL,
	dismissed  INTEGER NOT NULL,
	applied_at INTEGER NOT NULL
);

-- Tokens: optional expiry, and revocation (kept for the list and audit).
ALTER TABLE tokens ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tokens ADD COLUMN revoked_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tokens ADD COLUMN revoked_by TEXT NOT NULL DEFAULT '';
CREATE INDEX tokens_user ON tokens (user_id);

-- Existing listings get the signal key of their newest verdict.
UPDATE listings SET signal_key = coalesce((SELECT markwatch_signal_key(v.signals) FROM verdicts v
	WHERE v.listing = listings.id ORDER BY v.fetched_at DESC, v.stored_at DESC LIMIT 1), '');

-- Campaign tallies: listings counted with the outcomes as columns, one row
-- per dimension value (mark, kind, site, province, or 'all'), first-seen
-- day and sweep (run_tallies: per run), so that the dashboard reads tens of
-- thousands of summary rows instead of a million listings.
CREATE TABLE tallies (
	dim       TEXT NOT NULL, -- all, mark, kind, site, province
	value     TEXT NOT NULL,
	day       INTEGER NOT NULL, -- days since 1970-01-01 (UTC) of first_seen
	sweep     TEXT NOT NULL,    -- of the listing's newest verdict
	listings  INTEGER NOT NULL DEFAULT 0,
	suspects  INTEGER NOT NULL DEFAULT 0,
	confirmed INTEGER NOT NULL DEFAULT 0, -- confirmed, takedown requested, removed or reappeared
	dismissed INTEGER NOT NULL DEFAULT 0,
	requested INTEGER NOT NULL DEFAULT 0, -- takedown requested, removed or reappeared
	removed   INTEGER NOT NULL DEFAULT 0,
	-- value before day: the dashboard groups by value, which this order
	-- streams without sorting.
	PRIMARY KEY (dim, value, day, sweep)
) WITHOUT ROWID;
CREATE INDEX tallies_day ON tallies (dim, day);
CREATE TABLE run_tallies (
	dim       TEXT NOT NULL,
	value     TEXT NOT NULL,
	run       TEXT NOT NULL, -- the listing's newest run
	listings  INTEGER NOT NULL DEFAULT 0,
	suspects  INTEGER NOT NULL DEFAULT 0,
	confirmed INTEGER NOT NULL DEFAULT 0, -- confirmed, takedown requested, removed or reappeared
	dismissed INTEGER NOT NULL DEFAULT 0,
	requested INTEGER NOT NULL DEFAULT 0, -- takedown requested, removed or reappeared
	removed   INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (dim, run, value)
) WITHOUT ROWID;
INSERT INTO tallies (dim, value, day, sweep, listings, suspects, confirmed, dismissed, requested, removed)
	SELECT d.dim, CASE d.dim WHEN 'all' THEN '' WHEN 'mark' THEN l.mark WHEN 'kind' THEN l.kind WHEN 'site' THEN l.site
		ELSE markwatch_province(l.ship_from) END,
		l.first_seen / 86400000, l.sweep, count(*), sum(l.suspect),
		sum(l.status IN ('confirmed','takedown_requested','removed','reappeared')), sum(l.status = 'dismissed'),
		sum(l.status IN ('takedown_requested','removed','reappeared')), sum(l.status = 'removed')
	FROM listings l, (SELECT 'all' AS dim UNION ALL SELECT 'mark' UNION ALL SELECT 'kind' UNION ALL SELECT 'site'
		UNION ALL SELECT 'province') d
	GROUP BY 1, 2, 3, 4;
INSERT INTO run_tallies (dim, value, run, listings, suspects, confirmed, dismissed, requested, removed)
	SELECT d.dim, CASE d.dim WHEN 'all' THEN '' WHEN 'mark' THEN l.mark WHEN 'kind' THEN l.kind WHEN 'site' THEN l.site
		ELSE markwatch_province(l.ship_from) END,
		l.last_run, count(*), sum(l.suspect),
		sum(l.status IN ('confirmed','takedown_requested','removed','reappeared')), sum(l.status = 'dismissed'),
		sum(l.status IN ('takedown_requested','removed','reappeared')), sum(l.status = 'removed')
	FROM listings l, (SELECT 'all' AS dim UNION ALL SELECT 'mark' UNION ALL SELECT 'kind' UNION ALL SELECT 'site'
		UNION ALL SELECT 'province') d
	GROUP BY 1, 2, 3;
-- Ingestion adds and moves listings in the tallies itself, summed per
-- transaction (store/tallies.go): a trigger per listing cost half the
-- ingest rate. Status changes (decisions, runs) go through this trigger.
CREATE TRIGGER tallies_update AFTER UPDATE OF status ON listings
	WHEN OLD.status IS NOT NEW.status
BEGIN
	UPDATE tallies SET listings = listings - 1, suspects = suspects - OLD.suspect,
		confirmed = confirmed - (OLD.status IN ('confirmed','takedown_requested','removed','reappeared')),
		dismissed = dismissed - (OLD.status = 'dismissed'),
		requested = requested - (OLD.status IN ('takedown_requested','removed','reappeared')),
		removed = removed - (OLD.status = 'removed')
	WHERE day = OLD.first_seen / 86400000 AND sweep = OLD.sweep
		AND ((dim = 'all' AND value = '') OR (dim = 'mark' AND value = OLD.mark) OR (dim = 'kind' AND value = OLD.kind)
		  OR (dim = 'site' AND value = OLD.site) OR (dim = 'province' AND value = markwatch_province(OLD.ship_from)));
	UPDATE run_tallies SET listings = listings - 1, suspects = suspects - OLD.suspect,
		confirmed = confirmed - (OLD.status IN ('confirmed','takedown_requested','removed','reappeared')),
		dismissed = dismissed - (OLD.status = 'dismissed'),
		requested = requested - (OLD.status IN ('takedown_requested','removed','reappeared')),
		removed = removed - (OLD.status = 'removed')
	WHERE run = OLD.last_run
		AND ((dim = 'all' AND value = '') OR (dim = 'mark' AND value = OLD.mark) OR (dim = 'kind' AND value = OLD.kind)
		  OR (dim = 'site' AND value = OLD.site) OR (dim = 'province' AND value = markwatch_province(OLD.ship_from)));
	INSERT INTO tallies (dim, value, day, sweep, listings, suspects, confirmed, dismissed, requested, removed)
	VALUES ('all', '', NEW.first_seen / 86400000, NEW.sweep, 1, NEW.suspect, NEW.status IN ('confirmed','takedown_requested','removed','reappeared'), NEW.status = 'dismissed', NEW.status IN ('takedown_requested','removed','reappeared'), NEW.status = 'removed'),
	       ('mark', NEW.mark, NEW.first_seen / 86400000, NEW.sweep, 1, NEW.suspect, NEW.status IN ('confirmed','takedown_requested','removed','reappeared'), NEW.status = 'dismissed', NEW.status IN ('takedown_requested','removed','reappeared'), NEW.status = 'removed'),
	       ('kind', NEW.kind, NEW.first_seen / 86400000, NEW.sweep, 1, NEW.suspect, NEW.status IN ('confirmed','takedown_requested','removed','reappeared'), NEW.status = 'dismissed', NEW.status IN ('takedown_requested','removed','reappeared'), NEW.status = 'removed'),
	       ('site', NEW.site, NEW.first_seen / 86400000, NEW.sweep, 1, NEW.suspect, NEW.status IN ('confirmed','takedown_requested','removed','reappeared'), NEW.status = 'dismissed', NEW.status IN ('takedown_requested','removed','reappeared'), NEW.status = 'removed'),
	       ('province', markwatch_province(NEW.ship_from), NEW.first_seen / 86400000, NEW.sweep, 1, NEW.suspect, NEW.status IN ('confirmed','takedown_requested','removed','reappeared'), NEW.status = 'dismissed', NEW.status IN ('takedown_requested','removed','reappeared'), NEW.status = 'removed')
	ON CONFLICT DO UPDATE SET listings = listings + excluded.listings, suspects = suspects + excluded.suspects,
		confirmed = confirmed + excluded.confirmed, dismissed = dismissed + excluded.dismissed,
		requested = requested + excluded.requested, removed = removed + excluded.removed;
	INSERT INTO run_tallies (dim, value, run, listings, suspects, confirmed, dismissed, requested, removed)
	VALUES ('all', '', NEW.last_run, 1, NEW.suspect, NEW.status IN ('confirmed','takedown_requested','removed','reappeared'), NEW.status = 'dismissed', NEW.status IN ('takedown_requested','removed','reappeared'), NEW.status = 'removed'),
	       ('mark', NEW.mark, NEW.last_run, 1, NEW.suspect, NEW.status IN ('confirmed','takedown_requested','removed','reappeared'), NEW.status = 'dismissed', NEW.status IN ('takedown_requested','removed','reappeared'), NEW.status = 'removed'),
	       ('kind', NEW.kind, NEW.last_run, 1, NEW.suspect, NEW.status IN ('confirmed','takedown_requested','removed','reappeared'), NEW.status = 'dismissed', NEW.status IN ('takedown_requested','removed','reappeared'), NEW.status = 'removed'),
	       ('site', NEW.site, NEW.last_run, 1, NEW.suspect, NEW.status IN ('confirmed','takedown_requested','removed','reappeared'), NEW.status = 'dismissed', NEW.status IN ('takedown_requested','removed','reappeared'), NEW.status = 'removed'),
	       ('province', markwatch_province(NEW.ship_from), NEW.last_run, 1, NEW.suspect, NEW.status IN ('confirmed','takedown_requested','removed','reappeared'), NEW.status = 'dismissed', NEW.status IN ('takedown_requested','removed','reappeared'), NEW.status = 'removed')
	ON CONFLICT DO UPDATE SET listings = listings + excluded.listings, suspects = suspects + excluded.suspects,
		confirmed = confirmed + excluded.confirmed, dismissed = dismissed + excluded.dismissed,
		requested = requested + excluded.requested, removed = removed + excluded.removed;
END;
CREATE TRIGGER tallies_delete AFTER DELETE ON listings BEGIN
	UPDATE tallies SET listings = listings - 1, suspects = suspects - OLD.suspect,
		confirmed = confirmed - (OLD.status IN ('confirmed','takedown_requested','removed','reappeared')),
		dismissed = dismissed - (OLD.status = 'dismissed'),
		requested = requested - (OLD.status IN ('takedown_requested','removed','reappeared')),
		removed = removed - (OLD.status = 'removed')
	WHERE day = OLD.first_seen / 86400000 AND sweep = OLD.sweep
		AND ((dim = 'all' AND value = '') OR (dim = 'mark' AND value = OLD.mark) OR (dim = 'kind' AND value = OLD.kind)
		  OR (dim = 'site' AND value = OLD.site) OR (dim = 'province' AND value = markwatch_province(OLD.ship_from)));
	UPDATE run_tallies SET listings = listings - 1, suspects = suspects - OLD.suspect,
		confirmed = confirmed - (OLD.status IN ('confirmed','takedown_requested','removed','reappeared')),
		dismissed = dismissed - (OLD.status = 'dismissed'),
		requested = requested - (OLD.status IN ('takedown_requested','removed','reappeared')),
		removed = removed - (OLD.status = 'removed')
	WHERE run = OLD.last_run
		AND ((dim = 'all' AND value = '') OR (dim = 'mark' AND value = OLD.mark) OR (dim = 'kind' AND value = OLD.kind)
		  OR (dim = 'site' AND value = OLD.site) OR (dim = 'province' AND value = markwatch_province(OLD.ship_from)));
END;

-- Every seller name with its suspects over all time (kept by ingestion):
-- the seller filter by substring scans these names, not a million
-- listings' trigrams; the dashboard's seller table takes its candidates
-- from the top of it, then counts them exactly in scope.
CREATE TABLE seller_counts (
	seller   TEXT PRIMARY KEY,
	suspects INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX seller_counts_suspects ON seller_counts (suspects DESC, seller);
INSERT INTO seller_counts (seller, suspects) SELECT seller, sum(suspect) FROM listings WHERE seller <> '' GROUP BY seller;
CREATE TRIGGER seller_counts_delete AFTER DELETE ON listings BEGIN
	UPDATE seller_counts SET suspects = suspects - OLD.suspect WHERE seller = OLD.seller;
END;

-- The dashboard's seller counts read the seller index alone.
DROP INDEX listings_seller;
CREATE INDEX listings_seller ON listings (seller, site, suspect, status, last_run, first_seen, sweep);
