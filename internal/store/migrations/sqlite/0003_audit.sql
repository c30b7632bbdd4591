-- The audit log is a keyed hash chain (see internal/store/audit.go): each
-- entry holds who did what to which record and when, a keyed digest of the
-- change (never the change itself), its predecessor's hash and its own.
-- seq is assigned by the writer from audit_head, 1, 2, 3, ... with no gaps.
CREATE TABLE audit_log (
	seq        INTEGER PRIMARY KEY,
	at         INTEGER NOT NULL,
	actor_id   INTEGER NOT NULL,
	action     TEXT    NOT NULL,
	entity     TEXT    NOT NULL,
	entity_id  INTEGER NOT NULL,
	version    INTEGER NOT NULL, -- the record version this entry seals, 0 for none
	digest     TEXT    NOT NULL,
	prev_hash  TEXT    NOT NULL,
	hash       TEXT    NOT NULL
) STRICT;

-- The latest entry: appends read and advance it, which serialises them, and
-- entries cut off the end of the log no longer match it.
CREATE TABLE audit_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	seq  INTEGER NOT NULL,
	hash TEXT    NOT NULL
) STRICT;
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');

-- Ed25519-signed statements "the chain had this hash at this entry".
CREATE TABLE audit_checkpoints (
	seq       INTEGER PRIMARY KEY,
	hash      TEXT    NOT NULL,
	at        INTEGER NOT NULL,
	signature TEXT    NOT NULL
) STRICT;

-- Every saved version of a versioned record, whole, as JSON; audit_seq is
-- the entry whose digest seals it.
CREATE TABLE record_versions (
	entity    TEXT    NOT NULL,
	entity_id INTEGER NOT NULL,
	version   INTEGER NOT NULL,
	at        INTEGER NOT NULL,
	actor_id  INTEGER NOT NULL,
	action    TEXT    NOT NULL,
	audit_seq INTEGER NOT NULL,
	snapshot  TEXT    NOT NULL,
	PRIMARY KEY (entity, entity_id, version)
) STRICT;
