-- Every message the WhatsApp Cloud API webhook delivered, once. Meta delivers at least once and
-- retries for a day, so the message id (wamid) is unique: a retry finds its row and is not answered
-- again. The text itself is stored with the conversation (messages), not here.
CREATE TABLE whatsapp_inbound (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    wamid text NOT NULL UNIQUE CHECK (length(wamid) BETWEEN 1 AND 256),
    -- Our business number that received it (the Graph API sends replies from it).
    phone_number_id text NOT NULL,
    -- The sender's WhatsApp id: E.164 digits without the '+'.
    wa_id text NOT NULL CHECK (wa_id ~ '^[0-9]{6,15}$'),
    -- text, interactive, button, image, audio, ...
    message_type text NOT NULL,
    -- When the patient sent it (the webhook's timestamp) and when it reached us.
    sent_at timestamptz,
    received_at timestamptz NOT NULL DEFAULT now(),
    -- received → answered | ignored (nothing to answer) | limited (over the per-patient rate limit,
    -- not answered) | failed (`error` says why).
    status text NOT NULL DEFAULT 'received'
        CHECK (status IN ('received', 'answered', 'ignored', 'limited', 'failed')),
    error text,
    finished_at timestamptz
);
-- Messages still unanswered (a crash between storing and answering leaves them 'received').
CREATE INDEX whatsapp_inbound_pending_idx ON whatsapp_inbound (received_at) WHERE status IN ('received', 'failed');
