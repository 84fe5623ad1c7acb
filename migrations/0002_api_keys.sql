-- Callers of the gateway (n8n, staff tools). Only a hash of each key is kept.
CREATE TABLE api_keys (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    -- The public part of the key, used to find the row without scanning hashes.
    prefix text NOT NULL UNIQUE,
    -- sha256 of the whole key: keys are 190+ random bits, so a slow hash buys nothing.
    key_hash bytea NOT NULL,
    scopes text[] NOT NULL DEFAULT ARRAY['chat'],
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
