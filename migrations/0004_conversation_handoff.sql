-- A conversation a person at the clinic must look at (an emergency, a patient asking for a human).
ALTER TABLE conversations
    ADD COLUMN needs_human_since timestamptz,
    ADD COLUMN needs_human_reason text CHECK (needs_human_reason IN ('emergency', 'human_handoff'));

CREATE INDEX conversations_needs_human_idx ON conversations (needs_human_since) WHERE needs_human_since IS NOT NULL;
