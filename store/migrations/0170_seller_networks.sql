-- markwatch review store, issue 17 (second migration; numbered 0170 so
-- that migrations written in parallel do not share a version).
-- Stored seller networks: rebuilt by serve's networks job from the
-- linkable listings, read by /networks and the queue's network filter.
CREATE TABLE seller_networks (
	site TEXT NOT NULL,
	seller TEXT NOT NULL,
	network TEXT NOT NULL,
	PRIMARY KEY (site, seller)
) WITHOUT ROWID;
CREATE INDEX seller_networks_network ON seller_networks (network, site, seller);

-- Why the sellers of a network are linked: one row per link.
CREATE TABLE seller_network_links (
	id INTEGER PRIMARY KEY,
	network TEXT NOT NULL,
	a_site TEXT NOT NULL, a_seller TEXT NOT NULL,
	b_site TEXT NOT NULL, b_seller TEXT NOT NULL,
	via TEXT NOT NULL, value TEXT NOT NULL,
	a_listing TEXT NOT NULL, b_listing TEXT NOT NULL,
	a_text TEXT NOT NULL, b_text TEXT NOT NULL
);
CREATE INDEX seller_network_links_network ON seller_network_links (network);

-- Each network's record as of its build (the /networks list reads this,
-- a page at a time; a network's own page counts live).
CREATE TABLE seller_network_summaries (
	network TEXT PRIMARY KEY,
	sellers INTEGER NOT NULL,
	sites TEXT NOT NULL, -- JSON array
	preview TEXT NOT NULL, -- JSON array of the first sellers, [site, seller]
	listings INTEGER NOT NULL,
	confirmed INTEGER NOT NULL,
	removed INTEGER NOT NULL,
	first_seen INTEGER NOT NULL,
	last_seen INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX seller_network_summaries_rank ON seller_network_summaries (confirmed DESC, sellers DESC, network);

-- The last build: when, over which listings (the version it read), and
-- how many networks it found. One row.
CREATE TABLE seller_networks_build (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	built_at INTEGER NOT NULL,
	version TEXT NOT NULL,
	listings INTEGER NOT NULL,
	networks INTEGER NOT NULL
);
