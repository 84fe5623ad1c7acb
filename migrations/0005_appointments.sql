-- Doctors' working hours, days the clinic or a doctor departs from them, and appointments.
-- Times of day are the clinic's local wall-clock time; instants are timestamptz.
-- btree_gist lets one GiST exclusion constraint combine `=` on ids with `&&` on ranges.
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- A range of times of day, so a doctor's blocks on one weekday cannot overlap.
CREATE TYPE timerange AS RANGE (subtype = time);

-- A doctor's week: several blocks per day are allowed (08:00-12:00 and 14:00-18:00).
CREATE TABLE doctor_schedules (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    doctor_id bigint NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
    -- ISO weekday: 1 = Monday ... 7 = Sunday.
    weekday smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    start_time time NOT NULL,
    end_time time NOT NULL,
    slot_minutes integer NOT NULL CHECK (slot_minutes BETWEEN 5 AND 240),
    CHECK (start_time < end_time),
    CONSTRAINT doctor_schedules_no_overlap
        EXCLUDE USING gist (doctor_id WITH =, weekday WITH =, timerange(start_time, end_time) WITH &&)
);

-- A date that departs from the weekly schedules: closed (no hours) or replacement hours.
-- doctor_id NULL means the whole clinic: closed closes everyone; hours clip everyone's blocks.
-- A doctor's own hours replace that doctor's weekly blocks for the date.
CREATE TABLE schedule_overrides (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    on_date date NOT NULL,
    doctor_id bigint REFERENCES doctors (id) ON DELETE CASCADE,
    start_time time,
    end_time time,
    -- Slot length for a doctor's replacement hours; NULL: the doctor's usual length.
    slot_minutes integer CHECK (slot_minutes BETWEEN 5 AND 240),
    -- Why, e.g. 'holiday', 'leave', 'congress'.
    reason text NOT NULL CHECK (length(reason) > 0),
    CHECK ((start_time IS NULL) = (end_time IS NULL)),
    CHECK (start_time IS NULL OR start_time < end_time),
    CHECK (start_time IS NOT NULL OR slot_minutes IS NULL),
    -- One "closed" row per date and doctor (or clinic), so seeding holidays can upsert.
    CONSTRAINT schedule_overrides_unique UNIQUE NULLS NOT DISTINCT (on_date, doctor_id, start_time)
);
CREATE INDEX schedule_overrides_date_idx ON schedule_overrides (on_date);

CREATE TABLE appointments (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    patient_id bigint NOT NULL REFERENCES patients (id),
    doctor_id bigint NOT NULL REFERENCES doctors (id),
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    status text NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'cancelled', 'completed', 'no_show')),
    created_by text NOT NULL CHECK (created_by IN ('patient', 'staff', 'system')),
    channel text NOT NULL DEFAULT 'whatsapp',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    cancelled_at timestamptz,
    CHECK (starts_at < ends_at),
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
    -- Double booking is impossible here, whatever the application does: a doctor sees one
    -- patient at a time, and a patient is in one place at a time. Ranges are [start, end),
    -- so back-to-back appointments do not collide; cancelled ones free their time.
    CONSTRAINT appointments_doctor_no_overlap
        EXCLUDE USING gist (doctor_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (status <> 'cancelled'),
    CONSTRAINT appointments_patient_no_overlap
        EXCLUDE USING gist (patient_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (status <> 'cancelled')
);
-- A patient's upcoming appointments; a doctor's day.
CREATE INDEX appointments_patient_upcoming_idx ON appointments (patient_id, starts_at) WHERE status = 'booked';
CREATE INDEX appointments_doctor_starts_idx ON appointments (doctor_id, starts_at);
