-- The patient's date of birth, as registered: the identity question asked before a phone is
-- verified, because unlike the phone's own digits an impersonator who knows the number does not
-- know it. NULL for patients registered before it was asked; they cannot pass that check and are
-- handed to a person.
ALTER TABLE patients ADD COLUMN date_of_birth date CHECK (date_of_birth >= DATE '1900-01-01');
