-- What the clinic tells patients about itself: prices, opening hours, address, insurance and payment,
-- what to bring. One row per topic; `details` holds the structured facts the assistant answers from
-- (their shape per topic is appointments/clinic_info.py), `note` an optional Spanish sentence staff add.
-- A topic without a row is one the assistant says it has no information about. Staff edit these rows;
-- the gateway only reads them. Doctors and specialties stay in their own tables.
CREATE TABLE clinic_info (
    topic text PRIMARY KEY CHECK (topic IN ('prices', 'hours', 'address', 'payment', 'preparation', 'services')),
    details jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(details) = 'object'),
    note text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    updated_at timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT ON clinic_info TO clinic_runtime;
