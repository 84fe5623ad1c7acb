-- Messages from the clinic's staff to a patient (issue 18): a reply from the console's inbox, or the notice that
-- staff cancelled an appointment. A reply is part of the conversation (a `messages` row with role 'staff', which
-- the model is shown as the clinic's side); each message to send is a `staff_messages` row, the outbox the
-- notification service sends exactly once (claimed while a worker copy posts it, as reminders are). The gateway
-- queues its send job right after committing; the service's tick queues any pending row whose job was lost.
ALTER TABLE messages DROP CONSTRAINT messages_role_check;
ALTER TABLE messages ADD CONSTRAINT messages_role_check CHECK (role IN ('user', 'assistant', 'staff'));
-- Who on the staff wrote it: set on staff messages, and only on them.
ALTER TABLE messages
    ADD COLUMN staff_user_id bigint REFERENCES staff_users (id),
    ADD CONSTRAINT messages_staff_user_role_check CHECK ((role = 'staff') = (staff_user_id IS NOT NULL));

CREATE TABLE staff_messages (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- reply: an answer in a conversation (its `messages` row); cancellation: staff cancelled `appointment_id`.
    purpose text NOT NULL CHECK (purpose IN ('reply', 'cancellation')),
    conversation_id uuid REFERENCES conversations (id) ON DELETE CASCADE,
    message_id bigint UNIQUE REFERENCES messages (id) ON DELETE CASCADE,
    appointment_id uuid REFERENCES appointments (id) ON DELETE CASCADE,
    -- Where it goes (E.164): the conversation's phone, or the patient's (their holder's, for a family member).
    phone text NOT NULL CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    -- The reply as staff wrote it, or the reason given for the cancellation.
    text text NOT NULL CHECK (length(text) BETWEEN 1 AND 1000),
    staff_user_id bigint NOT NULL REFERENCES staff_users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    -- pending → sent | failed (`reason`: given up on after its posts failed, or refused).
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    reason text CHECK (reason ~ '^[a-z_]+$'),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    claimed_until timestamptz,
    sent_wamid text,
    last_error text,
    updated_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    CHECK ((status = 'sent') = (sent_at IS NOT NULL)),
    CHECK (status <> 'failed' OR reason IS NOT NULL),
    CHECK (purpose <> 'reply' OR (conversation_id IS NOT NULL AND message_id IS NOT NULL)),
    CHECK (purpose <> 'cancellation' OR appointment_id IS NOT NULL)
);
-- What the tick looks for: pending rows, oldest first.
CREATE INDEX staff_messages_pending_idx ON staff_messages (created_at, id) WHERE status = 'pending';
CREATE INDEX staff_messages_conversation_idx ON staff_messages (conversation_id) WHERE conversation_id IS NOT NULL;

-- The gateway queues them (and reads their status for the inbox); the notification service sends them.
GRANT SELECT, INSERT, UPDATE ON staff_messages TO clinic_runtime;
