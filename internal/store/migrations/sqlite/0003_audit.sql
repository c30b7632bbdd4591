-- The audit log: one row per audited action, appended in the same
-- transaction as the change it describes. Rows hold no sensitive plaintext,
-- only who did what to which record and a digest of the change.
CREATE TABLE audit_log (
	seq        INTEGER PRIMARY KEY,
	at         INTEGER NOT NULL,
	actor_id   INTEGER NOT NULL,
	action     TEXT    NOT NULL,
	entity     TEXT    NOT NULL,
	entity_id  INTEGER NOT NULL,
	digest     TEXT    NOT NULL
);
