-- The clinic's people: specialties, doctors and registered patients.
-- Schedules and appointments come with the booking feature.
CREATE TABLE specialties (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code text NOT NULL UNIQUE CHECK (code ~ '^[a-z_]+$'),
    name text NOT NULL
);

CREATE TABLE doctors (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    full_name text NOT NULL UNIQUE,
    specialty_id bigint NOT NULL REFERENCES specialties (id),
    active boolean NOT NULL DEFAULT true
);

CREATE TABLE patients (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    phone text NOT NULL UNIQUE CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    full_name text NOT NULL,
    document_number text,
    created_at timestamptz NOT NULL DEFAULT now()
);
