-- markwatch review store, issue 17 (numbered after the issue so that
-- migrations written in parallel do not share a version).
-- A batch remembers how it was cut (rights holder, marks, sweep).
ALTER TABLE batches ADD COLUMN filter TEXT NOT NULL DEFAULT '';

-- The notification outbox: an event is inserted once (its key is unique, so
-- a repeat is dropped) for each channel, and delivered by serve's notifier
-- until it succeeds or gives up. Restarts lose nothing.
CREATE TABLE notify_outbox (
	id INTEGER PRIMARY KEY,
	channel TEXT NOT NULL,
	event_key TEXT NOT NULL,
	kind TEXT NOT NULL,
	payload TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_at INTEGER NOT NULL,
	state TEXT NOT NULL DEFAULT 'pending', -- pending, delivered, failed
	last_error TEXT NOT NULL DEFAULT '',
	delivered_at INTEGER,
	UNIQUE (channel, event_key)
);
CREATE INDEX notify_outbox_due ON notify_outbox (next_at) WHERE state = 'pending';
