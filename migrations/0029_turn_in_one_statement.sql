-- A turn that costs little (issue 19): what every chat turn did first in a dozen statements (is the caller's key
-- still valid, was this delivery stored before and answered, which conversation, its dialog state, store the
-- message), in one call: one round trip instead of about fourteen.

-- The clinic's doctors and specialties change a few times a year; every turn reads them. Each gateway copy keeps
-- them in memory, and the turn's first call says whether they changed since (this row, bumped in the same
-- transaction as the change, so a copy that sees the new number also sees the new rows).
CREATE TABLE clinic_version (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version bigint NOT NULL DEFAULT 1
);
INSERT INTO clinic_version DEFAULT VALUES;

CREATE FUNCTION clinic_version_bump() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE clinic_version SET version = version + 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER doctors_bump_clinic_version
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON doctors
    FOR EACH STATEMENT EXECUTE FUNCTION clinic_version_bump();
CREATE TRIGGER specialties_bump_clinic_version
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON specialties
    FOR EACH STATEMENT EXECUTE FUNCTION clinic_version_bump();

GRANT SELECT, UPDATE ON clinic_version TO clinic_runtime;

-- The start of a chat turn, in one transaction. Returns one row:
--   key_active: false when `api_key_id` names a key revoked since the caller was admitted (nothing else is done);
--   lease_taken: false when another turn holds the phone's lease (gateway/conversation/turn_lease.py; nothing
--   else is done), else the lease is this turn's (`holder`) for `lease_seconds`, taken or taken again;
--   the inbound message (id, conversation, stored content, when), found again when a delivery of `inbound_key`
--   stored it before, else stored now into the phone's open conversation (a new one after `idle_after`);
--   the conversation's dialog state; the reply stored to the message, if its turn got that far; whether a person
--   has the conversation (handed over, and no reply with an action in `cleared_by` since); the clinic's version.
-- `contents`: what to store of the message, by the step the dialog waits on (redaction, gateway/conversation/
-- redaction.py), '' for any other step; chosen here because the step is only known once the conversation is.
CREATE FUNCTION chat_turn_begin(
    api_key_id bigint,
    phone text,
    vouched text,
    turn_channel text,
    idle_after interval,
    delivery_key text,
    turn_request_id text,
    contents jsonb,
    cleared_by text[],
    lease_key text,
    holder uuid,
    lease_seconds double precision
) RETURNS TABLE (
    key_active boolean,
    lease_taken boolean,
    message_id bigint,
    conversation uuid,
    stored_content text,
    stored_at timestamptz,
    state jsonb,
    reply jsonb,
    awaiting_person boolean,
    clinic bigint
)
LANGUAGE plpgsql AS $$
BEGIN
    IF api_key_id IS NOT NULL AND NOT EXISTS (
        SELECT FROM api_keys k WHERE k.id = api_key_id AND k.revoked_at IS NULL
    ) THEN
        key_active := false;
        RETURN NEXT;
        RETURN;
    END IF;
    key_active := true;

    -- Taken if free or expired; a second run by the same holder (a turn taken up again) takes it again.
    INSERT INTO turn_leases AS lease (key, holder, expires_at)
    VALUES (lease_key, holder, now() + make_interval(secs => lease_seconds))
    ON CONFLICT (key) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
        WHERE lease.expires_at < now() OR lease.holder = EXCLUDED.holder
    RETURNING true INTO lease_taken;
    IF lease_taken IS NULL THEN
        lease_taken := false;
        RETURN NEXT;
        RETURN;
    END IF;

    SELECT m.id, m.conversation_id, m.content, m.created_at INTO message_id, conversation, stored_content, stored_at
    FROM messages m WHERE m.inbound_key = delivery_key;
    IF NOT FOUND THEN
        -- Two messages of one phone arriving together on two copies never open two conversations.
        PERFORM pg_advisory_xact_lock(hashtext('conversation:' || phone));
        SELECT c.id INTO conversation FROM conversations c
        WHERE c.user_phone = phone AND c.vouched_by = vouched AND c.last_message_at > now() - idle_after
        ORDER BY c.last_message_at DESC LIMIT 1;
        IF NOT FOUND THEN
            INSERT INTO conversations (user_phone, vouched_by, channel) VALUES (phone, vouched, turn_channel)
            RETURNING id INTO conversation;
        END IF;
        SELECT coalesce(contents ->> (c.dialog_state ->> 'step'), contents ->> '') INTO stored_content
        FROM conversations c WHERE c.id = conversation;
        INSERT INTO messages (conversation_id, user_phone, role, content, request_id, inbound_key)
        VALUES (conversation, phone, 'user', stored_content, turn_request_id, delivery_key)
        RETURNING id, created_at INTO message_id, stored_at;
        UPDATE conversations SET last_message_at = now() WHERE id = conversation;
    END IF;

    SELECT c.dialog_state,
           c.needs_human_since IS NOT NULL AND NOT EXISTS (
               SELECT FROM messages m
               WHERE m.conversation_id = c.id AND m.role = 'assistant'
                 AND m.created_at > c.needs_human_since AND m.action = ANY(cleared_by)
           )
    INTO state, awaiting_person
    FROM conversations c WHERE c.id = conversation;
    SELECT jsonb_build_object(
               'content', m.content, 'action', m.action, 'request_id', m.request_id, 'extras', m.answer_extras
           )
    INTO reply FROM messages m WHERE m.reply_to = message_id;
    SELECT v.version INTO clinic FROM clinic_version v;
    RETURN NEXT;
END;
$$;

GRANT EXECUTE ON FUNCTION chat_turn_begin(
    bigint, text, text, text, interval, text, text, jsonb, text[], text, uuid, double precision
)
    TO clinic_runtime;
