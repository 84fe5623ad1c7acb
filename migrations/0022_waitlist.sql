-- The waitlist (issue 17): patients who found no slot that suits them ask to be told when one frees up, for a
-- doctor (or any doctor of a specialty) between two days. A cancelled appointment's slot, while still free, is
-- offered to the first matching patient in line, held for them a while; "no" or the hold running out passes it on.
CREATE TABLE waitlist_entries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    patient_id bigint NOT NULL REFERENCES patients (id),
    -- A doctor, or (doctor NULL) any doctor of the specialty.
    doctor_id bigint REFERENCES doctors (id),
    specialty_id bigint NOT NULL REFERENCES specialties (id),
    -- The clinic-local days the patient can come, both included.
    first_day date NOT NULL,
    last_day date NOT NULL,
    -- waiting → booked (an offer was accepted) | left (the patient left the list) | ended (its last day passed).
    status text NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'booked', 'left', 'ended')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (first_day <= last_day)
);
-- First come, first served among those waiting.
CREATE INDEX waitlist_entries_waiting_idx ON waitlist_entries (created_at, id) WHERE status = 'waiting';
CREATE INDEX waitlist_entries_patient_idx ON waitlist_entries (patient_id) WHERE status = 'waiting';

-- One freed slot offered to one entry. The row is also the record that makes the offer's message go out exactly
-- once (claimed while a worker copy posts it, as reminders are).
CREATE TABLE waitlist_offers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry_id bigint NOT NULL REFERENCES waitlist_entries (id),
    doctor_id bigint NOT NULL REFERENCES doctors (id),
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    offered_at timestamptz NOT NULL,
    -- The slot is this patient's to take until then; set again from the moment the message left.
    hold_until timestamptz NOT NULL,
    -- offered → accepted | declined | expired (the hold ran out) | withdrawn (`reason`: the slot went, the
    -- patient can no longer be messaged, the message could not be sent).
    status text NOT NULL DEFAULT 'offered'
        CHECK (status IN ('offered', 'accepted', 'declined', 'expired', 'withdrawn')),
    reason text CHECK (reason ~ '^[a-z_]+$'),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    claimed_until timestamptz,
    sent_at timestamptz,
    sent_wamid text,
    last_error text,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (starts_at < ends_at),
    CHECK (status <> 'withdrawn' OR reason IS NOT NULL),
    -- An entry is offered one slot once: declined or expired, that slot goes to the next in line.
    UNIQUE (entry_id, doctor_id, starts_at)
);
-- One slot is never offered to two patients at once.
CREATE UNIQUE INDEX waitlist_offers_one_per_slot ON waitlist_offers (doctor_id, starts_at) WHERE status = 'offered';
-- Nor a patient's entry two slots at once: a patient with two freed slots is offered one at a time.
CREATE UNIQUE INDEX waitlist_offers_one_per_entry ON waitlist_offers (entry_id) WHERE status = 'offered';
CREATE INDEX waitlist_offers_hold_idx ON waitlist_offers (hold_until) WHERE status = 'offered';

-- Freed slots are found among cancelled appointments still ahead.
CREATE INDEX appointments_cancelled_ahead_idx ON appointments (starts_at) WHERE status = 'cancelled';

-- The gateway adds, lists and leaves entries and answers offers; the notification service makes and sends offers.
GRANT SELECT, INSERT, UPDATE ON waitlist_entries, waitlist_offers TO clinic_runtime;
