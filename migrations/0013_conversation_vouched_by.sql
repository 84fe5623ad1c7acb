-- A conversation belongs to the phone and to whoever vouches for its sender (a chat API key, or one of the
-- clinic's WhatsApp numbers): a second caller claiming the same phone gets a conversation of its own, so it
-- can neither read the first one's history through the model nor derail its flow. Rows from before have no
-- caller and are not continued.
ALTER TABLE conversations ADD COLUMN vouched_by text;
CREATE INDEX conversations_caller_last_message_idx ON conversations (user_phone, vouched_by, last_message_at DESC);
