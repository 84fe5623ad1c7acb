-- Appointment reminders (issue 17, notifications/): one row per appointment, hours before it and the start it was
-- planned for, so a moved appointment gets new rows and its old pending ones are dropped. The row is the record
-- that makes each reminder go out exactly once: a worker copy claims it (`claimed_until`) before posting and
-- records `sent` in the statement right after the post; staff read its status and reason.
CREATE TABLE reminders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appointment_id uuid NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    hours_before integer NOT NULL CHECK (hours_before > 0),
    -- The appointment's start when this reminder was planned.
    planned_start timestamptz NOT NULL,
    -- When it is to go out: `hours_before` earlier, moved to the end of quiet hours when it fell inside them.
    due_at timestamptz,
    -- pending → sent | failed | skipped | dropped (never sent; `reason` says why).
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'skipped', 'dropped')),
    reason text CHECK (reason ~ '^[a-z_]+$'),
    -- Posts started; more than one only after a failure or a lost copy.
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- While a copy is posting it, no other copy may: it is claimed until this instant.
    claimed_until timestamptz,
    -- The id WhatsApp gave the sent message.
    sent_wamid text,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    UNIQUE (appointment_id, hours_before, planned_start),
    CHECK ((status = 'sent') = (sent_at IS NOT NULL)),
    CHECK (status <> 'pending' OR (due_at IS NOT NULL AND reason IS NULL)),
    CHECK (status IN ('pending', 'sent') OR reason IS NOT NULL)
);
-- What is due: pending reminders by time.
CREATE INDEX reminders_due_idx ON reminders (due_at) WHERE status = 'pending';
-- A day's reminders for staff.
CREATE INDEX reminders_planned_start_idx ON reminders (planned_start);

GRANT SELECT, INSERT, UPDATE ON reminders TO clinic_runtime;
