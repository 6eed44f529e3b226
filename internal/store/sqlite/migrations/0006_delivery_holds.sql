-- 0006: a delivery held for a direct send has no queue job until its
-- first attempt is recorded; held_until (Unix microseconds) is when the
-- queue takes it over if nobody lifted the hold (its process died). The
-- partial index holds only the held deliveries, so the search for holds
-- that ended stays small.

ALTER TABLE deliveries ADD COLUMN held_until INTEGER;
CREATE INDEX deliveries_held_until ON deliveries (held_until) WHERE held_until IS NOT NULL;
