-- 0007: when a pending delivery's next attempt is due, written with the
-- attempt's record (the retry's time) or when a held delivery is handed to
-- the queue; NULL while the first attempt is due (at created_at, or
-- held_until for a held delivery) and once the delivery is no longer
-- pending. Shown by the admin API.

ALTER TABLE deliveries ADD COLUMN next_attempt_at timestamptz;
