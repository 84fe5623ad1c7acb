-- Who did what to which record, how it went, and when: verification attempts, data access and
-- appointment changes. Append-only: rows are written by gateway/audit.py and never changed.
-- Never holds OTP codes or message text (gateway/audit.py refuses details that could carry them).
CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    -- 'patient:42', 'phone:+59170123456' (not yet identified), 'staff:<key name>#<key id>', 'system:<job>'.
    actor text NOT NULL CHECK (actor ~ '^(patient|phone|staff|system):.+$' AND length(actor) <= 200),
    -- Dotted, e.g. 'verification.code_checked', 'appointment.cancelled'; the vocabulary is in gateway/audit.py.
    action text NOT NULL CHECK (action ~ '^[a-z_]+(\.[a-z0-9_]+)+$' AND length(action) <= 100),
    -- What was acted on, e.g. 'appointment:<uuid>', 'patient:42'; NULL when nothing in particular.
    target text CHECK (target ~ '^[a-z_]+:.+$' AND length(target) <= 200),
    outcome text NOT NULL
        CHECK (outcome IN ('success', 'failure', 'denied', 'locked', 'limited', 'expired', 'conflict', 'error')),
    detail jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(detail) = 'object')
);
CREATE INDEX audit_log_occurred_at_idx ON audit_log (occurred_at DESC, id DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, occurred_at DESC, id DESC);
CREATE INDEX audit_log_target_idx ON audit_log (target, occurred_at DESC, id DESC) WHERE target IS NOT NULL;

-- Append-only whatever the application does. Statement-level, so even an UPDATE or DELETE that
-- matches no row is refused. (A superuser can still disable triggers; run the gateway as a
-- role that owns neither the table nor superuser rights where that matters.)
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
