-- 0002: account signing keys, topics, subscriptions, confirmation tokens,
-- events and deliveries.

CREATE TABLE signing_keys (
    account_id         INTEGER NOT NULL REFERENCES accounts (id),
    version            INTEGER NOT NULL, -- Unix seconds at creation; part of the public key's path
    private_key_sealed BLOB    NOT NULL, -- PKCS#8 DER, AES-GCM under the master key
    public_key_pem     BLOB    NOT NULL,
    created_at         INTEGER NOT NULL,
    PRIMARY KEY (account_id, version)
);

CREATE TABLE topics (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    endpoint   TEXT    NOT NULL,
    arn        TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    UNIQUE (account_id, endpoint)
);

CREATE TABLE subscriptions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    topic_id     INTEGER NOT NULL REFERENCES topics (id),
    arn          TEXT    NOT NULL UNIQUE,
    url          TEXT    NOT NULL,
    status       TEXT    NOT NULL, -- PendingConfirmation | Confirmed | Deleted
    api_key      TEXT    NOT NULL, -- the API key that subscribed it
    created_at   INTEGER NOT NULL,
    confirmed_at INTEGER,
    deleted_at   INTEGER
);

-- One live subscription per URL per topic.
CREATE UNIQUE INDEX subscriptions_live_url ON subscriptions (topic_id, url) WHERE status <> 'Deleted';

CREATE TABLE confirmation_tokens (
    token_hash      BLOB    PRIMARY KEY, -- SHA-256 of the token
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id),
    expires_at      INTEGER NOT NULL,
    created_at      INTEGER NOT NULL
);

CREATE INDEX confirmation_tokens_expires_at ON confirmation_tokens (expires_at);

CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    txn_id      TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    body        BLOB    NOT NULL,
    source_type INTEGER NOT NULL,
    source_info TEXT,
    messages    INTEGER NOT NULL,
    deliveries  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (account_id, txn_id)
);

CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions (id),
    event_id        INTEGER REFERENCES events (id),
    message_id      TEXT    NOT NULL,
    message_type    TEXT    NOT NULL,
    body            BLOB    NOT NULL, -- the exact bytes POSTed, on every attempt
    status          TEXT    NOT NULL, -- pending | delivered | cancelled
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    completed_at    INTEGER
);

CREATE INDEX deliveries_subscription_id ON deliveries (subscription_id, id);
CREATE INDEX deliveries_event_id ON deliveries (event_id);
