-- Evidence files attached to a testimony or an incident. The files live
-- encrypted in the blob store (DATA/blobs) under names derived from their
-- content; a row names the blob of the original and of the copy without
-- metadata. private is sealed with a key derived from the instance key: it
-- holds the uploaded file name and the extracted metadata (camera, time,
-- GPS position), which must not be readable from the database alone.
CREATE TABLE attachments (
	id              INTEGER PRIMARY KEY,
	testimony_id    INTEGER REFERENCES testimonies(id),
	incident_id     INTEGER REFERENCES incidents(id),
	sha256          TEXT    NOT NULL,
	media_type      TEXT    NOT NULL,
	size            INTEGER NOT NULL,
	blob            TEXT    NOT NULL,
	stripped_sha256 TEXT    NOT NULL,
	stripped_size   INTEGER NOT NULL,
	stripped_blob   TEXT    NOT NULL,
	private         BLOB    NOT NULL,
	created_at      INTEGER NOT NULL,
	created_by      INTEGER NOT NULL,
	CHECK ((testimony_id IS NULL) <> (incident_id IS NULL))
);
CREATE INDEX attachments_testimony ON attachments (testimony_id, id) WHERE testimony_id IS NOT NULL;
CREATE INDEX attachments_incident ON attachments (incident_id, id) WHERE incident_id IS NOT NULL;
CREATE INDEX attachments_blob ON attachments (blob);
CREATE INDEX attachments_stripped_blob ON attachments (stripped_blob);
