-- "Solo puedo los sábados" (issue 17's QA): an entry may ask for some weekdays only, between its first and last day.
-- ISO weekdays, 1 is Monday; NULL is any day. A slot on another weekday is never offered to it.
ALTER TABLE waitlist_entries
    ADD COLUMN weekdays smallint[]
        CHECK (cardinality(weekdays) > 0 AND weekdays <@ ARRAY[1, 2, 3, 4, 5, 6, 7]::smallint[]);
