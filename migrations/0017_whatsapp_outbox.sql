-- The durable WhatsApp inbox and outbox (gateway/whatsapp/service.py).
--
-- Inbox: a webhook message is answered by a job (0016) that any gateway copy may run, so the row keeps what the
-- job needs: the text the patient wrote (`body`, cleared once the message is finished: the conversation keeps
-- it) and whether a message without text deserves an answer. `attempts` counts the job's runs.
ALTER TABLE whatsapp_inbound
    ADD COLUMN body text,
    ADD COLUMN answer boolean NOT NULL DEFAULT true,
    ADD COLUMN attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0);
-- Failed messages, newest first, for GET /staff/whatsapp/failed.
CREATE INDEX whatsapp_inbound_failed_idx ON whatsapp_inbound (finished_at DESC) WHERE status = 'failed';

-- Outbox: the Graph API messages that carry the answer to one inbound message (a long reply is several), stored
-- before the first is sent. The inbound wamid and the part number are the key, so a retry after any crash sends
-- only the parts not recorded as sent, and never works out a second answer.
CREATE TABLE whatsapp_outbound (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    inbound_wamid text NOT NULL REFERENCES whatsapp_inbound (wamid) ON DELETE CASCADE,
    part smallint NOT NULL CHECK (part >= 0),
    -- The Graph API request body, as sent.
    message jsonb NOT NULL,
    -- pending → sent (the Graph API accepted it, or Meta's status callback said so).
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent')),
    -- POSTs started; more than one only after a refusal, a timeout or a crash.
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- While a copy is posting this part, no other copy may: it is claimed until this instant.
    claimed_until timestamptz,
    -- The id the Graph API gave the sent message.
    sent_wamid text,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    UNIQUE (inbound_wamid, part),
    CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);

GRANT SELECT, INSERT, UPDATE ON whatsapp_outbound TO clinic_runtime;
