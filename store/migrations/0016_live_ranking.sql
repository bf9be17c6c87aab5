-- markwatch review store, issue 16 (numbered after the issue so that
-- migrations written in parallel do not share a version).
-- The queue ranks by likelihood calibrated live from the team's decisions:
-- decided listings counted per signal combination (kept by triggers, so a
-- decision costs one row update here), and an index that reads each
-- combination's listings in score order.
CREATE TABLE key_decisions (
	key TEXT PRIMARY KEY,
	confirmed INTEGER NOT NULL DEFAULT 0,
	dismissed INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
INSERT INTO key_decisions (key, confirmed, dismissed)
	SELECT signal_key, sum(status IN ('confirmed','takedown_requested','removed','reappeared')), sum(status = 'dismissed')
	FROM listings WHERE status IN ('confirmed','takedown_requested','removed','reappeared','dismissed') GROUP BY signal_key;
CREATE TRIGGER key_decisions_insert AFTER INSERT ON listings
	WHEN NEW.status IN ('confirmed','takedown_requested','removed','reappeared','dismissed')
BEGIN
	INSERT INTO key_decisions (key, confirmed, dismissed)
	VALUES (NEW.signal_key, NEW.status <> 'dismissed', NEW.status = 'dismissed')
	ON CONFLICT DO UPDATE SET confirmed = confirmed + excluded.confirmed, dismissed = dismissed + excluded.dismissed;
END;
CREATE TRIGGER key_decisions_update AFTER UPDATE OF status, signal_key ON listings
	WHEN (OLD.status IN ('confirmed','takedown_requested','removed','reappeared','dismissed')
		OR NEW.status IN ('confirmed','takedown_requested','removed','reappeared','dismissed'))
		AND (OLD.signal_key IS NOT NEW.signal_key OR OLD.status IS NOT NEW.status)
BEGIN
	INSERT INTO key_decisions (key, confirmed, dismissed)
	VALUES (OLD.signal_key, -(OLD.status IN ('confirmed','takedown_requested','removed','reappeared')), -(OLD.status = 'dismissed'))
	ON CONFLICT DO UPDATE SET confirmed = confirmed + excluded.confirmed, dismissed = dismissed + excluded.dismissed;
	INSERT INTO key_decisions (key, confirmed, dismissed)
	VALUES (NEW.signal_key, NEW.status IN ('confirmed','takedown_requested','removed','reappeared'), NEW.status = 'dismissed')
	ON CONFLICT DO UPDATE SET confirmed = confirmed + excluded.confirmed, dismissed = dismissed + excluded.dismissed;
END;
CREATE TRIGGER key_decisions_delete AFTER DELETE ON listings
	WHEN OLD.status IN ('confirmed','takedown_requested','removed','reappeared','dismissed')
BEGIN
	UPDATE key_decisions SET confirmed = confirmed - (OLD.status <> 'dismissed'), dismissed = dismissed - (OLD.status = 'dismissed')
	WHERE key = OLD.signal_key;
END;
-- Score order within a combination; suspicion and status are checked in
-- the index entries, so that any status filter reads in order.
CREATE INDEX listings_key_queue ON listings (signal_key, score DESC, id DESC, suspect, status);
-- The admin-applied snapshot (listings.likelihood) is no longer read: the
-- ranking is live. The column stays (SQLite rewrites the table to drop it).
DROP INDEX listings_likely;
DELETE FROM calibration;
