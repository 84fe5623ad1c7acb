-- Staff edit what the clinic tells patients from the console (issue 18, item 5): the gateway, as the runtime role,
-- now creates and changes clinic_info rows. Removing a topic stays with operators (no DELETE): an empty topic is
-- one the assistant says it knows nothing about, a decision bigger than a form.
GRANT INSERT, UPDATE ON clinic_info TO clinic_runtime;

-- Every saved edit, whole: the topic's details and note before (NULL: the topic had no row) and after, and who
-- saved it. The audit log says that an edit happened and which fields changed (its detail values are short); this
-- table keeps what they were and became, so any earlier version can be read back or restored by hand.
CREATE TABLE clinic_info_revisions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic text NOT NULL CHECK (topic IN ('prices', 'hours', 'address', 'payment', 'preparation', 'services')),
    -- As in audit_log: 'staff_user:<id>' for a person of the console.
    actor text NOT NULL CHECK (actor ~ '^(staff_user|staff|system):.+$' AND length(actor) <= 200),
    changed_at timestamptz NOT NULL DEFAULT now(),
    details_before jsonb CHECK (details_before IS NULL OR jsonb_typeof(details_before) = 'object'),
    note_before text,
    details_after jsonb NOT NULL CHECK (jsonb_typeof(details_after) = 'object'),
    note_after text NOT NULL
);
CREATE INDEX clinic_info_revisions_topic_idx ON clinic_info_revisions (topic, changed_at DESC, id DESC);

-- Append-only, like audit_log (0007), whatever the application does.
CREATE FUNCTION clinic_info_revisions_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'clinic_info_revisions is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER clinic_info_revisions_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON clinic_info_revisions
    FOR EACH STATEMENT EXECUTE FUNCTION clinic_info_revisions_refuse_change();

GRANT SELECT, INSERT ON clinic_info_revisions TO clinic_runtime;
