-- 0004: per-subscription delivery slots and throttle state shared by every
-- node (internal/delivery/pggate). A slot is a lease: a node that dies
-- mid-request loses it when it expires.

CREATE TABLE delivery_slots (
    subscription_id bigint      NOT NULL,
    slot            integer     NOT NULL,
    holder          text        NOT NULL,
    expires_at      timestamptz NOT NULL,
    PRIMARY KEY (subscription_id, slot)
);

CREATE TABLE delivery_throttle (
    subscription_id bigint PRIMARY KEY,
    tat             timestamptz NOT NULL -- theoretical arrival time (GCRA)
);
