-- API keys of the reporting API. Idempotent. Only a SHA-256 hash of each key is stored; the
-- key itself is shown once, when it is created (`salesops api-key create`).
-- Not emptied by sql/02_clean_tables.sql: a warehouse reset keeps the keys.
CREATE SCHEMA IF NOT EXISTS salesops;

CREATE TABLE IF NOT EXISTS salesops.api_key (
    api_key_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$'),
    role        text NOT NULL CHECK (role IN ('viewer', 'admin')),
    -- The public part of the key ("sok_" + 12 hex digits): finds the row, proves nothing.
    key_prefix  text NOT NULL UNIQUE CHECK (key_prefix ~ '^sok_[0-9a-f]{12}$'),
    -- sha256 (hex) of the whole key; compared in constant time by the API.
    key_hash    text NOT NULL CHECK (key_hash ~ '^[0-9a-f]{64}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
