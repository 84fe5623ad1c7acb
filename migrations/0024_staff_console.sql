-- The staff console (issue 18): people sign in with an e-mail and a password; API keys stay for machines.
-- Users are created and disabled by operators (`python -m gateway.cli staff`, as the owner); the gateway only
-- checks passwords, counts failures and keeps sessions.
CREATE TABLE staff_users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- As typed (trimmed); unique whatever its case (the index below), looked up by lower(email).
    email text NOT NULL CHECK (email = btrim(email) AND email ~ '^[^@\s]+@[^@\s]+$' AND length(email) <= 254),
    full_name text NOT NULL CHECK (full_name = btrim(full_name) AND length(full_name) BETWEEN 1 AND 120),
    role text NOT NULL CHECK (role IN ('recepcion', 'medico', 'admin')),
    -- A medico sees only their own agenda: the doctor they are. Nobody else is linked to one.
    doctor_id bigint REFERENCES doctors (id),
    -- argon2id, in its encoded form ($argon2id$v=19$m=…,t=…,p=…$salt$hash): parameters travel with it.
    password_hash text NOT NULL CHECK (password_hash LIKE '$argon2%'),
    -- Wrong passwords since the last sign-in or lockout; at CONSOLE_MAX_FAILED_LOGINS the account is locked.
    failed_attempts integer NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    locked_until timestamptz,
    disabled_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz,
    CONSTRAINT staff_users_medico_has_a_doctor CHECK ((role = 'medico') = (doctor_id IS NOT NULL))
);
CREATE UNIQUE INDEX staff_users_email_key ON staff_users (lower(email));

-- A signed-in browser. The cookie holds a random token; only its SHA-256 is kept, so a copy of this table signs
-- nobody in. A session ends on sign-out, after CONSOLE_IDLE_MINUTES without a request (last_seen_at), at
-- expires_at whatever happens, or when its user is disabled.
CREATE TABLE staff_sessions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    user_id bigint NOT NULL REFERENCES staff_users (id),
    -- Every POST of the session carries it (form field or X-CSRF-Token header).
    csrf_token text NOT NULL CHECK (length(csrf_token) >= 32),
    created_at timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    CHECK (created_at <= last_seen_at AND last_seen_at <= expires_at)
);
CREATE INDEX staff_sessions_user_idx ON staff_sessions (user_id);

-- The gateway reads users and records sign-ins: failures, lockouts, the last sign-in, and a password rehashed
-- when argon2's parameters change. It never creates, renames or disables anyone.
GRANT SELECT ON staff_users TO clinic_runtime;
GRANT UPDATE (password_hash, failed_attempts, locked_until, last_login_at) ON staff_users TO clinic_runtime;
-- Sessions are opened, kept alive and ended (deleted) by the gateway.
GRANT SELECT, INSERT, DELETE ON staff_sessions TO clinic_runtime;
GRANT UPDATE (last_seen_at) ON staff_sessions TO clinic_runtime;

-- What people do in the console is audited with themselves as the actor: 'staff_user:<id>'.
ALTER TABLE audit_log DROP CONSTRAINT audit_log_actor_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_actor_check
    CHECK (actor ~ '^((patient|phone|staff|staff_user|system|api_key):.+|anonymous)$' AND length(actor) <= 200);
