-- Exactly-once turns. An inbound message is stored under the id its delivery carried (`inbound_key`: the
-- caller's `message_id` or `Idempotency-Key` scoped to its API key, a WhatsApp wamid, or an id the gateway gives
-- a delivery without one), unique, so a retry after any crash finds the stored message and continues from it
-- instead of storing it again. Each reply names the inbound message it answers (`reply_to`), also unique, so a
-- retry that finds the message already answered sends that answer again instead of running the turn twice; with it
-- `answer_extras` keeps what the answer held besides its text (the options offered, the appointment).
ALTER TABLE messages
    ADD COLUMN inbound_key text CHECK (length(inbound_key) BETWEEN 1 AND 300),
    ADD COLUMN reply_to bigint REFERENCES messages (id) ON DELETE CASCADE,
    ADD COLUMN answer_extras jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(answer_extras) = 'object'),
    ADD CONSTRAINT messages_inbound_key_role_check CHECK (inbound_key IS NULL OR role = 'user'),
    ADD CONSTRAINT messages_reply_to_role_check CHECK (reply_to IS NULL OR role = 'assistant');
CREATE UNIQUE INDEX messages_inbound_key_idx ON messages (inbound_key) WHERE inbound_key IS NOT NULL;
CREATE UNIQUE INDEX messages_reply_to_idx ON messages (reply_to) WHERE reply_to IS NOT NULL;
