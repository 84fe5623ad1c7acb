-- A moved appointment frees its old time too (issue 17's waitlist): the row is updated in place, so the time it
-- left is kept here, written in the same transaction as the move. The waitlist looks for freed slots among
-- cancelled appointments and these.
CREATE TABLE moved_from_slots (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appointment_id uuid NOT NULL REFERENCES appointments (id),
    doctor_id bigint NOT NULL REFERENCES doctors (id),
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    moved_at timestamptz NOT NULL,
    CHECK (starts_at < ends_at)
);
CREATE INDEX moved_from_slots_ahead_idx ON moved_from_slots (starts_at);

-- The gateway moves appointments; the notification service reads what they left.
GRANT SELECT, INSERT ON moved_from_slots TO clinic_runtime;
