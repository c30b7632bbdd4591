-- The day a case's state was last checked: open waits are counted to it.
ALTER TABLE asylum_cases ADD COLUMN status_known_on TEXT NOT NULL DEFAULT '';
