-- Idempotency of POST /chat: a delivery retried by n8n or WhatsApp (same Idempotency-Key or message_id,
-- same API key) gets the first answer again and stores nothing twice, whichever gateway copy it reaches.
CREATE TABLE chat_requests (
    api_key_id bigint NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    -- sha256 of the request body: the same key with another body is refused.
    body_hash text NOT NULL,
    -- 'processing' while the first delivery runs; 'done' with the answer once it is sent.
    state text NOT NULL DEFAULT 'processing' CHECK (state IN ('processing', 'done')),
    response jsonb,
    started_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    PRIMARY KEY (api_key_id, idempotency_key),
    CHECK ((state = 'done') = (response IS NOT NULL))
);
-- For pruning answers older than the retry horizon.
CREATE INDEX chat_requests_started_at_idx ON chat_requests (started_at);
