-- 0001: accounts, API keys and server settings.

CREATE TABLE accounts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL -- Unix microseconds
);

CREATE TABLE api_keys (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    INTEGER NOT NULL REFERENCES accounts (id),
    key           TEXT    NOT NULL UNIQUE,
    secret_sealed BLOB    NOT NULL, -- AES-GCM under the master key
    user_id       INTEGER,
    is_primary    INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    revoked_at    INTEGER
);

CREATE INDEX api_keys_account_id ON api_keys (account_id);

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
