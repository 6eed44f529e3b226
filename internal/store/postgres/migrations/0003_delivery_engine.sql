-- 0003: the delivery engine: attempt log, dead letters and redrive,
-- paused subscriptions, delivery policy overrides.

ALTER TABLE deliveries
    ADD COLUMN dead_at       timestamptz,
    ADD COLUMN redriven_from bigint REFERENCES deliveries (id);

CREATE INDEX deliveries_status_created_at ON deliveries (status, created_at);

CREATE TABLE delivery_attempts (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id      bigint      NOT NULL REFERENCES deliveries (id),
    subscription_id  bigint      NOT NULL REFERENCES subscriptions (id),
    number           integer     NOT NULL, -- 1 for the first attempt
    started_at       timestamptz NOT NULL,
    duration_us      bigint      NOT NULL, -- microseconds
    status_code      integer,              -- NULL when no HTTP response
    outcome          text        NOT NULL, -- delivered | retry | fail | forbidden
    error            text,
    response_excerpt bytea                 -- first 4 KiB of the response body
);

CREATE INDEX delivery_attempts_delivery_id ON delivery_attempts (delivery_id, id);
CREATE INDEX delivery_attempts_subscription_id ON delivery_attempts (subscription_id, id);
CREATE INDEX delivery_attempts_started_at ON delivery_attempts (started_at);

ALTER TABLE subscriptions
    ADD COLUMN paused          boolean NOT NULL DEFAULT false,
    ADD COLUMN delivery_policy bytea; -- SNS DeliveryPolicy JSON, NULL = inherit

ALTER TABLE accounts ADD COLUMN delivery_policy bytea;
