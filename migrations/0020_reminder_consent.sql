-- Reminders and waitlist offers (issue 17) are messages the clinic starts: WhatsApp allows them only to patients
-- who opted in. The answer is stored with its time; NULL means never asked (and so: no reminder).
ALTER TABLE patients
    ADD COLUMN reminders_consent boolean,
    ADD COLUMN reminders_consent_at timestamptz,
    ADD CONSTRAINT patients_consent_has_a_time CHECK ((reminders_consent IS NULL) = (reminders_consent_at IS NULL));
-- The runtime may record the answer, and nothing else of a patient's row.
GRANT UPDATE (reminders_consent, reminders_consent_at) ON patients TO clinic_runtime;

-- "Confirmar" on a reminder: when the patient said they will come.
ALTER TABLE appointments ADD COLUMN confirmed_at timestamptz;
