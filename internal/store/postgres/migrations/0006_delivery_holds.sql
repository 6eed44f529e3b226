-- 0006: a delivery held for a direct send has no queue job until its
-- first attempt is recorded; held_until is when the queue takes it over
-- if nobody lifted the hold (its node died). The partial index holds only
-- the held deliveries, so the search for holds that ended stays small.

ALTER TABLE deliveries ADD COLUMN held_until timestamptz;
CREATE INDEX deliveries_held_until ON deliveries (held_until) WHERE held_until IS NOT NULL;
