-- 0004: per-subscription delivery slots and throttle state shared by every
-- node. A single SQLite node keeps these limits in memory; the tables exist
-- so both backends have the same schema.

CREATE TABLE delivery_slots (
    subscription_id INTEGER NOT NULL,
    slot            INTEGER NOT NULL,
    holder          TEXT    NOT NULL,
    expires_at      INTEGER NOT NULL,
    PRIMARY KEY (subscription_id, slot)
);

CREATE TABLE delivery_throttle (
    subscription_id INTEGER PRIMARY KEY,
    tat             INTEGER NOT NULL -- theoretical arrival time (GCRA)
);
