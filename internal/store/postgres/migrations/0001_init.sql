-- 0001: accounts, API keys and server settings.

CREATE TABLE accounts (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text        NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE api_keys (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id    bigint      NOT NULL REFERENCES accounts (id),
    key           text        NOT NULL UNIQUE,
    secret_sealed bytea       NOT NULL, -- AES-GCM under the master key
    user_id       bigint,
    is_primary    boolean     NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL,
    revoked_at    timestamptz
);

CREATE INDEX api_keys_account_id ON api_keys (account_id);

CREATE TABLE settings (
    name  text  PRIMARY KEY,
    value bytea NOT NULL
);
