-- markwatch review store, version 5: campaign tallies with the outcomes as
-- columns, one row per dimension value and first-seen day and sweep
-- (run_tallies: per run), and sellers counted apart. Version 3's tallies
-- kept a row per seller, day, run, suspicion and status, which at a million
-- listings was nearly a row per listing.
DROP TRIGGER tallies_insert;
DROP TRIGGER tallies_update;
DROP TRIGGER tallies_delete;
DROP TABLE tallies;
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
