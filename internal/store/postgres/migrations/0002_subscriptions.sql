-- 0002: account signing keys, topics, subscriptions, confirmation tokens,
-- events and deliveries.

CREATE TABLE signing_keys (
    account_id         bigint      NOT NULL REFERENCES accounts (id),
    version            bigint      NOT NULL, -- Unix seconds at creation; part of the public key's path
    private_key_sealed bytea       NOT NULL, -- PKCS#8 DER, AES-GCM under the master key
    public_key_pem     bytea       NOT NULL,
    created_at         timestamptz NOT NULL,
    PRIMARY KEY (account_id, version)
);

CREATE TABLE topics (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint      NOT NULL REFERENCES accounts (id),
    endpoint   text        NOT NULL,
    arn        text        NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    UNIQUE (account_id, endpoint)
);

CREATE TABLE subscriptions (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic_id     bigint      NOT NULL REFERENCES topics (id),
    arn          text        NOT NULL UNIQUE,
    url          text        NOT NULL,
    status       text        NOT NULL, -- PendingConfirmation | Confirmed | Deleted
    api_key      text        NOT NULL, -- the API key that subscribed it
    created_at   timestamptz NOT NULL,
    confirmed_at timestamptz,
    deleted_at   timestamptz
);

-- One live subscription per URL per topic.
CREATE UNIQUE INDEX subscriptions_live_url ON subscriptions (topic_id, url) WHERE status <> 'Deleted';
-- PostgreSQL does not index foreign keys by itself; publishing lists a
-- topic's subscriptions.
CREATE INDEX subscriptions_topic_id ON subscriptions (topic_id, id);

CREATE TABLE confirmation_tokens (
    token_hash      bytea       PRIMARY KEY, -- SHA-256 of the token
    subscription_id bigint      NOT NULL REFERENCES subscriptions (id),
    expires_at      timestamptz NOT NULL,
    created_at      timestamptz NOT NULL
);

CREATE INDEX confirmation_tokens_expires_at ON confirmation_tokens (expires_at);

CREATE TABLE events (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  bigint      NOT NULL REFERENCES accounts (id),
    txn_id      text        NOT NULL,
    subject     text        NOT NULL,
    body        bytea       NOT NULL,
    source_type integer     NOT NULL,
    source_info text,
    messages    integer     NOT NULL,
    deliveries  integer     NOT NULL,
    created_at  timestamptz NOT NULL,
    UNIQUE (account_id, txn_id)
);

CREATE TABLE deliveries (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id bigint      NOT NULL REFERENCES subscriptions (id),
    event_id        bigint      REFERENCES events (id),
    message_id      text        NOT NULL,
    message_type    text        NOT NULL,
    body            bytea       NOT NULL, -- the exact bytes POSTed, on every attempt
    status          text        NOT NULL, -- pending | delivered | cancelled
    attempts        integer     NOT NULL DEFAULT 0,
    last_error      text,
    created_at      timestamptz NOT NULL,
    completed_at    timestamptz
);

CREATE INDEX deliveries_subscription_id ON deliveries (subscription_id, id);
CREATE INDEX deliveries_event_id ON deliveries (event_id);
