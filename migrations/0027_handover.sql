-- The handover inbox (issue 18): conversations that wait for a person, and who handed each back.
--
-- conversations.needs_human_since/needs_human_reason stay what the assistant reads (gateway/conversation/service.py
-- `_awaiting_person`): set while a person has the conversation, cleared when staff press *Resolver*. Each flag is
-- also a `handovers` row, kept after it is resolved, so who handed what back, and when, can be read later.

-- A patient locked out of verification (wrong codes or identity answers) now waits for a person too.
ALTER TABLE conversations DROP CONSTRAINT conversations_needs_human_reason_check;
ALTER TABLE conversations ADD CONSTRAINT conversations_needs_human_reason_check
    CHECK (needs_human_reason IN ('emergency', 'human_handoff', 'verification_failed'));

CREATE TABLE handovers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id uuid NOT NULL REFERENCES conversations (id),
    -- An emergency written while a request for a person waits turns that handover into an emergency.
    reason text NOT NULL CHECK (reason IN ('emergency', 'human_handoff', 'verification_failed')),
    flagged_at timestamptz NOT NULL,
    resolved_at timestamptz,
    resolved_by bigint REFERENCES staff_users (id),
    -- The n8n announcement (N8N_HANDOVER_WEBHOOK_URL): 'off' when none was configured at the flag, 'pending' until
    -- the job posts it, then 'sent' or 'failed' (after its last retry).
    announcement text NOT NULL DEFAULT 'off' CHECK (announcement IN ('off', 'pending', 'sent', 'failed')),
    announced_at timestamptz,
    CHECK ((resolved_at IS NULL) = (resolved_by IS NULL))
);
-- At most one open handover per conversation: the one its needs_human_* columns describe.
CREATE UNIQUE INDEX handovers_open_key ON handovers (conversation_id) WHERE resolved_at IS NULL;
CREATE INDEX handovers_conversation_idx ON handovers (conversation_id, flagged_at);
CREATE INDEX handovers_pending_idx ON handovers (flagged_at) WHERE announcement = 'pending';

-- Conversations flagged before this migration wait in the inbox too (never announced: they are not new).
INSERT INTO handovers (conversation_id, reason, flagged_at)
SELECT id, needs_human_reason, needs_human_since FROM conversations
WHERE needs_human_since IS NOT NULL AND needs_human_reason IS NOT NULL;

-- The gateway flags conversations, resolves them (console) and records their announcement; it deletes nothing.
GRANT SELECT, INSERT ON handovers TO clinic_runtime;
GRANT UPDATE (reason, resolved_at, resolved_by, announcement, announced_at) ON handovers TO clinic_runtime;
