-- Family members: one phone, several patients. The phone's holder is a patient as before; a mother
-- books for her son, who is a patient of his own (appointments.patient_id is his, so availability
-- and the no-overlap constraints of 0005 hold per person) with no phone: his holder_id says whose
-- phone speaks for him. The UNIQUE on phone stays (NULLs do not collide), so a phone still has
-- exactly one holder and every lookup by phone finds only holders.
ALTER TABLE patients ALTER COLUMN phone DROP NOT NULL;
ALTER TABLE patients ADD COLUMN holder_id bigint REFERENCES patients (id);
-- How the holder called them ("hijo", "madre"), so "para mi hijo" finds him; NULL when not said.
ALTER TABLE patients ADD COLUMN relation text
    CHECK (relation IN ('hijo', 'hija', 'madre', 'padre', 'esposo', 'esposa', 'hermano', 'hermana',
                        'abuelo', 'abuela', 'nieto', 'nieta'));
-- A holder has a phone and no holder; a dependent has a holder and no phone of their own.
ALTER TABLE patients ADD CONSTRAINT patients_holder_or_dependent
    CHECK ((phone IS NULL) = (holder_id IS NOT NULL) AND (relation IS NULL OR holder_id IS NOT NULL));
ALTER TABLE patients ADD CONSTRAINT patients_not_own_holder CHECK (holder_id <> id);
-- One person once per family, whatever the case it was written in: adding "Mateo" twice finds him.
CREATE UNIQUE INDEX patients_dependent_name_idx ON patients (holder_id, lower(full_name)) WHERE holder_id IS NOT NULL;
-- The runtime role already holds SELECT, INSERT on patients (0011); adding a dependent is an INSERT.
