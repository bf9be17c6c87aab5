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

-- Full-text search without a segmenter: trigrams answer terms of three or
-- more characters over every text field.
CREATE VIRTUAL TABLE listings_fts USING fts5(title, description, seller, ocr_text,
	content='listings', content_rowid='id', tokenize='trigram case_sensitive 0');
INSERT INTO listings_fts (listings_fts) VALUES ('rebuild');
CREATE TRIGGER listings_fts_insert AFTER INSERT ON listings BEGIN
	INSERT INTO listings_fts (rowid, title, description, seller, ocr_text)
	VALUES (NEW.id, NEW.title, NEW.description, NEW.seller, NEW.ocr_text);
END;
CREATE TRIGGER listings_fts_delete AFTER DELETE ON listings BEGIN
	INSERT INTO listings_fts (listings_fts, rowid, title, description, seller, ocr_text)
	VALUES ('delete', OLD.id, OLD.title, OLD.description, OLD.seller, OLD.ocr_text);
END;
CREATE TRIGGER listings_fts_update AFTER UPDATE OF title, description, seller, ocr_text ON listings
	WHEN OLD.title IS NOT NEW.title OR OLD.description IS NOT NEW.description
	  OR OLD.seller IS NOT NEW.seller OR OLD.ocr_text IS NOT NEW.ocr_text
BEGIN
	INSERT INTO listings_fts (listings_fts, rowid, title, description, seller, ocr_text)
	VALUES ('delete', OLD.id, OLD.title, OLD.description, OLD.seller, OLD.ocr_text);
	INSERT INTO listings_fts (rowid, title, description, seller, ocr_text)
	VALUES (NEW.id, NEW.title, NEW.description, NEW.seller, NEW.ocr_text);
END;

-- Terms of one or two characters (二字 Chinese fragments) are beyond
-- trigrams: markwatch_grams writes every pair of adjacent characters of
-- title and seller as one token (their lower-cased UTF-8 bytes in hex) and
-- the last character of each run; a two-character term is one token, a
-- one-character term a prefix query. No positions needed: detail=none.
CREATE VIRTUAL TABLE listings_grams USING fts5(title, seller, content='', contentless_delete=1,
	tokenize='ascii', detail='none');
INSERT INTO listings_grams (rowid, title, seller)
	SELECT id, markwatch_grams(title), markwatch_grams(seller) FROM listings;
CREATE TRIGGER listings_grams_insert AFTER INSERT ON listings BEGIN
	INSERT INTO listings_grams (rowid, title, seller) VALUES (NEW.id, markwatch_grams(NEW.title), markwatch_grams(NEW.seller));
END;
CREATE TRIGGER listings_grams_delete AFTER DELETE ON listings BEGIN
	DELETE FROM listings_grams WHERE rowid = OLD.id;
END;
CREATE TRIGGER listings_grams_update AFTER UPDATE OF title, seller ON listings
	WHEN OLD.title IS NOT NEW.title OR OLD.seller IS NOT NEW.seller
BEGIN
	DELETE FROM listings_grams WHERE rowid = OLD.id;
	INSERT INTO listings_grams (rowid, title, seller) VALUES (NEW.id, markwatch_grams(NEW.title), markwatch_grams(NEW.seller));
END;

-- Campaign tallies: listings counted by one dimension at a time (mark, kind,
-- site, seller, province, or 'all'), first-seen day, run, suspicion and
-- status, kept by triggers so that the dashboard reads a few thousand rows
-- instead of a million listings.
CREATE TABLE tallies (
	dim     TEXT NOT NULL,
	value   TEXT NOT NULL,
	day     INTEGER NOT NULL, -- days since 1970-01-01 (UTC) of first_seen
	run     TEXT NOT NULL,
	suspect INTEGER NOT NULL,
	status  TEXT NOT NULL,
	n       INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (dim, day, value, run, suspect, status)
) WITHOUT ROWID;
CREATE INDEX tallies_run ON tallies (dim, run, value);
INSERT INTO tallies (dim, value, day, run, suspect, status, n)
	SELECT d.dim, CASE d.dim WHEN 'all' THEN '' WHEN 'mark' THEN l.mark WHEN 'kind' THEN l.kind WHEN 'site' THEN l.site
		WHEN 'seller' THEN l.seller ELSE markwatch_province(l.ship_from) END,
		l.first_seen / 86400000, l.last_run, l.suspect, l.status, count(*)
	FROM listings l, (SELECT 'all' AS dim UNION ALL SELECT 'mark' UNION ALL SELECT 'kind' UNION ALL SELECT 'site'
		UNION ALL SELECT 'seller' UNION ALL SELECT 'province') d
	GROUP BY 1, 2, 3, 4, 5, 6;
CREATE TRIGGER tallies_insert AFTER INSERT ON listings BEGIN
	INSERT INTO tallies (dim, value, day, run, suspect, status, n)
	VALUES ('all', '', NEW.first_seen / 86400000, NEW.last_run, NEW.suspect, NEW.status, 1),
	       ('mark', NEW.mark, NEW.first_seen / 86400000, NEW.last_run, NEW.suspect, NEW.status, 1),
	       ('kind', NEW.kind, NEW.first_seen / 86400000, NEW.last_run, NEW.suspect, NEW.status, 1),
	       ('site', NEW.site, NEW.first_seen / 86400000, NEW.last_run, NEW.suspect, NEW.status, 1),
	       ('seller', NEW.seller, NEW.first_seen / 86400000, NEW.last_run, NEW.suspect, NEW.status, 1),
	       ('province', markwatch_province(NEW.ship_from), NEW.first_seen / 86400000, NEW.last_run, NEW.suspect, NEW.status, 1)
	ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER tallies_update AFTER UPDATE OF status, suspect, mark, kind, site, seller, ship_from, first_seen, last_run ON listings
	WHEN OLD.status IS NOT NEW.status OR OLD.suspect IS NOT NEW.suspect OR OLD.mark IS NOT NEW.mark OR OLD.kind IS NOT NEW.kind
	  OR OLD.site IS NOT NEW.site OR OLD.seller IS NOT NEW.seller OR OLD.ship_from IS NOT NEW.ship_from
	  OR OLD.first_seen / 86400000 IS NOT NEW.first_seen / 86400000 OR OLD.last_run IS NOT NEW.last_run
BEGIN
	UPDATE tallies SET n = n - 1 WHERE run = OLD.last_run AND suspect = OLD.suspect AND status = OLD.status AND day = OLD.first_seen / 86400000
		AND ((dim = 'all' AND value = '') OR (dim = 'mark' AND value = OLD.mark) OR (dim = 'kind' AND value = OLD.kind)
		  OR (dim = 'site' AND value = OLD.site) OR (dim = 'seller' AND value = OLD.seller)
		  OR (dim = 'province' AND value = markwatch_province(OLD.ship_from)));
	INSERT INTO tallies (dim, value, day, run, suspect, status, n)
	VALUES ('all', '', NEW.first_seen / 86400000, NEW.last_run, NEW.suspect, NEW.status, 1),
	       ('mark', NEW.mark, NEW.first_seen / 86400000, NEW.last_run, NEW.suspect, NEW.status, 1),
	       ('kind', NEW.kind, NEW.first_seen / 86400000, NEW.last_run, NEW.suspect, NEW.status, 1),
	       ('site', NEW.site, NEW.first_seen / 86400000, NEW.last_run, NEW.suspect, NEW.status, 1),
	       ('seller', NEW.seller, NEW.first_seen / 86400000, NEW.last_run, NEW.suspect, NEW.status, 1),
	       ('province', markwatch_province(NEW.ship_from), NEW.first_seen / 86400000, NEW.last_run, NEW.suspect, NEW.status, 1)
	ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER tallies_delete AFTER DELETE ON listings BEGIN
	UPDATE tallies SET n = n - 1 WHERE run = OLD.last_run AND suspect = OLD.suspect AND status = OLD.status AND day = OLD.first_seen / 86400000
		AND ((dim = 'all' AND value = '') OR (dim = 'mark' AND value = OLD.mark) OR (dim = 'kind' AND value = OLD.kind)
		  OR (dim = 'site' AND value = OLD.site) OR (dim = 'seller' AND value = OLD.seller)
		  OR (dim = 'province' AND value = markwatch_province(OLD.ship_from)));
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
