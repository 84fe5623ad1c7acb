-- Conversations with patients and every message in them, inbound and outbound.
CREATE TABLE conversations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- E.164, e.g. +59170123456; validated by the gateway, guarded here too.
    user_phone text NOT NULL CHECK (user_phone ~ '^\+[1-9][0-9]{6,14}$'),
    channel text NOT NULL DEFAULT 'api',
    started_at timestamptz NOT NULL DEFAULT now(),
    last_message_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversations_user_phone_last_message_idx ON conversations (user_phone, last_message_at DESC);

CREATE TABLE messages (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_phone text NOT NULL,
    role text NOT NULL CHECK (role IN ('user', 'assistant')),
    content text NOT NULL CHECK (length(content) > 0),
    -- What the assistant decided to do; null on inbound messages.
    action text,
    -- Correlates a message with logs and the inference call.
    request_id text,
    -- Inference details of assistant messages (tokens, finish reason, latency).
    meta jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_conversation_created_idx ON messages (conversation_id, created_at, id);
CREATE INDEX messages_user_phone_created_idx ON messages (user_phone, created_at);
