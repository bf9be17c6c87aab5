-- markwatch review store, version 2.
-- FinishRun looks, inside the write transaction, for listings whose takedown
-- was requested on the sites a run crawled before the run started. Those
-- are a few per cent of the listings: a partial index of them, by site and
-- status time, lets that search read only them (with the row id, covering)
-- instead of every listing of the status index.
CREATE INDEX listings_requested ON listings (site, status_at) WHERE status = 'takedown_requested';
