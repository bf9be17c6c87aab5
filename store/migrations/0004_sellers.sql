-- markwatch review store, version 4: the distinct seller names, so that a
-- seller filter by substring scans tens of thousands of names, not a million
-- listings' trigrams, and then reads the listings by the seller index.
CREATE TABLE sellers (name TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT INTO sellers (name) SELECT DISTINCT seller FROM listings WHERE seller <> '';
CREATE TRIGGER sellers_insert AFTER INSERT ON listings WHEN NEW.seller <> '' BEGIN
	INSERT OR IGNORE INTO sellers (name) VALUES (NEW.seller);
END;
CREATE TRIGGER sellers_update AFTER UPDATE OF seller ON listings WHEN NEW.seller <> '' AND OLD.seller IS NOT NEW.seller BEGIN
	INSERT OR IGNORE INTO sellers (name) VALUES (NEW.seller);
END;
