-- The currency of a listing's price (ISO 4217: CNY, USD, HKD, EUR; '' for
-- unstated, which is CNY), as the crawler read it (issue 13). Prices of
-- older rows were all read as CNY.
ALTER TABLE listings ADD COLUMN currency TEXT NOT NULL DEFAULT '';
