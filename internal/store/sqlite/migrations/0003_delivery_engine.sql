-- 0003: the delivery engine: attempt log, dead letters and redrive,
-- paused subscriptions, delivery policy overrides.

ALTER TABLE deliveries ADD COLUMN dead_at INTEGER;
ALTER TABLE deliveries ADD COLUMN redriven_from INTEGER REFERENCES deliveries (id);

CREATE INDEX deliveries_status_created_at ON deliveries (status, created_at);

CREATE TABLE delivery_attempts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id      INTEGER NOT NULL REFERENCES deliveries (id),
    subscription_id  INTEGER NOT NULL REFERENCES subscriptions (id),
    number           INTEGER NOT NULL, -- 1 for the first attempt
    started_at       INTEGER NOT NULL,
    duration_us      INTEGER NOT NULL,
    status_code      INTEGER,          -- NULL when no HTTP response
    outcome          TEXT    NOT NULL, -- delivered | retry | fail | forbidden
    error            TEXT,
    response_excerpt BLOB              -- first 4 KiB of the response body
);

CREATE INDEX delivery_attempts_delivery_id ON delivery_attempts (delivery_id, id);
CREATE INDEX delivery_attempts_subscription_id ON delivery_attempts (subscription_id, id);
CREATE INDEX delivery_attempts_started_at ON delivery_attempts (started_at);

ALTER TABLE subscriptions ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN delivery_policy BLOB; -- SNS DeliveryPolicy JSON, NULL = inherit

ALTER TABLE accounts ADD COLUMN delivery_policy BLOB;
