-- Vigil schema for SQLite.
-- Timestamps are Unix milliseconds UTC. Dates are TEXT 'YYYY-MM-DD' with ''
-- for "not given", so unknown dates sort last in descending lists and keyset
-- cursors can compare (date, id) row values. Lists are JSON text, read back
-- whole; the lists that are filtered on are also spread into index tables.
-- created_by/updated_by are user ids with 0 for the system (CLI, loaders),
-- so they carry no foreign key.

CREATE TABLE users (
	id            INTEGER PRIMARY KEY,
	username      TEXT NOT NULL UNIQUE,
	display_name  TEXT NOT NULL,
	role          TEXT NOT NULL,
	lang          TEXT NOT NULL,
	disabled      INTEGER NOT NULL,
	password_hash TEXT NOT NULL,
	last_login_at INTEGER,
	version       INTEGER NOT NULL,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	created_by    INTEGER NOT NULL,
	updated_by    INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
	token_hash   BLOB PRIMARY KEY,
	user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at   INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_tokens (
	id           INTEGER PRIMARY KEY,
	user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	hash         BLOB NOT NULL UNIQUE,
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER,
	revoked_at   INTEGER
) STRICT;
CREATE INDEX api_tokens_user ON api_tokens (user_id, id);

CREATE TABLE idempotency_keys (
	user_id      INTEGER NOT NULL,
	key          TEXT NOT NULL,
	request_hash BLOB NOT NULL,
	status       INTEGER NOT NULL,
	body         BLOB NOT NULL,
	created_at   INTEGER NOT NULL,
	PRIMARY KEY (user_id, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE crossing_points (
	id            INTEGER PRIMARY KEY,
	code          TEXT NOT NULL UNIQUE,
	name_en       TEXT NOT NULL,
	name_fi       TEXT NOT NULL,
	name_ru       TEXT NOT NULL,
	country       TEXT NOT NULL,
	other_country TEXT NOT NULL,
	counterpart   TEXT NOT NULL,
	municipality  TEXT NOT NULL,
	mode          TEXT NOT NULL,
	lat           REAL,
	lon           REAL,
	accuracy_km   REAL,
	notes         TEXT NOT NULL,
	version       INTEGER NOT NULL,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	created_by    INTEGER NOT NULL,
	updated_by    INTEGER NOT NULL
) STRICT;

CREATE TABLE policy_events (
	id                  INTEGER PRIMARY KEY,
	when_from           TEXT NOT NULL,
	when_to             TEXT NOT NULL,
	when_precision      TEXT NOT NULL,
	time_of_day         TEXT NOT NULL, -- HH:MM or empty
	kind                TEXT NOT NULL,
	crossing_points     TEXT NOT NULL, -- JSON list of codes
	detail              TEXT NOT NULL,
	source_publisher    TEXT NOT NULL,
	source_url          TEXT NOT NULL,
	source_retrieved_on TEXT NOT NULL,
	version             INTEGER NOT NULL,
	created_at          INTEGER NOT NULL,
	updated_at          INTEGER NOT NULL,
	created_by          INTEGER NOT NULL,
	updated_by          INTEGER NOT NULL
) STRICT;

CREATE TABLE figures (
	id                  INTEGER PRIMARY KEY,
	period_from         TEXT NOT NULL,
	period_to           TEXT NOT NULL,
	measure             TEXT NOT NULL,
	breakdown           TEXT NOT NULL,
	breakdown_value     TEXT NOT NULL,
	value               INTEGER NOT NULL,
	unit                TEXT NOT NULL,
	approximation       TEXT NOT NULL,
	producer            TEXT NOT NULL,
	source_publisher    TEXT NOT NULL,
	source_url          TEXT NOT NULL,
	source_retrieved_on TEXT NOT NULL,
	note                TEXT NOT NULL,
	version             INTEGER NOT NULL,
	created_at          INTEGER NOT NULL,
	updated_at          INTEGER NOT NULL,
	created_by          INTEGER NOT NULL,
	updated_by          INTEGER NOT NULL
) STRICT;
CREATE INDEX figures_period ON figures (period_to, id);
CREATE INDEX figures_measure ON figures (measure, period_to, id);

CREATE TABLE testimonies (
	id                          INTEGER PRIMARY KEY,
	received_on                 TEXT NOT NULL,
	recorded_by                 INTEGER NOT NULL,
	mode                        TEXT NOT NULL,
	language                    TEXT NOT NULL,
	interpreter                 INTEGER NOT NULL,
	narrator_pseudonym          TEXT NOT NULL,
	narrator_nationality        TEXT NOT NULL,
	narrator_age_band           TEXT NOT NULL,
	narrator_gender             TEXT NOT NULL,
	consent_store               INTEGER NOT NULL,
	consent_quote_publicly      INTEGER NOT NULL,
	consent_share_with_partners INTEGER NOT NULL,
	consent_legal_action        INTEGER NOT NULL,
	narrative                   TEXT NOT NULL,
	public_quotes               TEXT NOT NULL,
	reliability                 TEXT NOT NULL,
	version                     INTEGER NOT NULL,
	created_at                  INTEGER NOT NULL,
	updated_at                  INTEGER NOT NULL,
	created_by                  INTEGER NOT NULL,
	updated_by                  INTEGER NOT NULL
) STRICT;
CREATE INDEX testimonies_received ON testimonies (received_on, id);
CREATE INDEX testimonies_recorder ON testimonies (recorded_by, received_on, id);
CREATE INDEX testimonies_nationality ON testimonies (narrator_nationality, received_on, id);

-- External content: the text lives once, in testimonies. Updates and deletes
-- reach the index by triggers; new rows are indexed by the store in the same
-- transaction, because an INSERT that fires a trigger runs in a statement
-- savepoint, at each of which FTS5 flushes its pending index, which made bulk
-- loads markedly slower. Combining marks count as word characters so that
-- words in scripts written with them (Arabic vowel marks, Indic vowel signs)
-- are not cut apart.
CREATE VIRTUAL TABLE testimonies_fts USING fts5 (
	narrative, narrator_pseudonym, public_quotes,
	content = 'testimonies', content_rowid = 'id',
	tokenize = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
);
CREATE TRIGGER testimonies_fts_delete AFTER DELETE ON testimonies BEGIN
	INSERT INTO testimonies_fts (testimonies_fts, rowid, narrative, narrator_pseudonym, public_quotes)
	VALUES ('delete', old.id, old.narrative, old.narrator_pseudonym, old.public_quotes);
END;
CREATE TRIGGER testimonies_fts_update AFTER UPDATE OF narrative, narrator_pseudonym, public_quotes ON testimonies BEGIN
	INSERT INTO testimonies_fts (testimonies_fts, rowid, narrative, narrator_pseudonym, public_quotes)
	VALUES ('delete', old.id, old.narrative, old.narrator_pseudonym, old.public_quotes);
	INSERT INTO testimonies_fts (rowid, narrative, narrator_pseudonym, public_quotes)
	VALUES (new.id, new.narrative, new.narrator_pseudonym, new.public_quotes);
END;

CREATE TABLE incidents (
	id                  INTEGER PRIMARY KEY,
	title               TEXT NOT NULL,
	when_from           TEXT NOT NULL,
	when_to             TEXT NOT NULL,
	when_precision      TEXT NOT NULL,
	crossing_point      TEXT NOT NULL,
	place               TEXT NOT NULL,
	lat                 REAL,
	lon                 REAL,
	place_precision     TEXT NOT NULL,
	pushed_from         TEXT NOT NULL, -- JSON
	pushed_to           TEXT NOT NULL, -- JSON
	kinds               TEXT NOT NULL, -- JSON
	group_size_min      INTEGER,
	group_size_max      INTEGER,
	group_minors        INTEGER,
	group_women         INTEGER,
	group_nationalities TEXT NOT NULL, -- JSON
	violence_types      TEXT NOT NULL, -- JSON
	perpetrator         TEXT NOT NULL,
	perpetrator_unit    TEXT NOT NULL,
	asylum_requested    TEXT NOT NULL,
	outcome             TEXT NOT NULL,
	verification_status TEXT NOT NULL,
	verification_reason TEXT NOT NULL,
	verification_set_by INTEGER NOT NULL,
	verification_set_at INTEGER,
	summary             TEXT NOT NULL,
	public_summary      TEXT NOT NULL,
	published           INTEGER NOT NULL,
	version             INTEGER NOT NULL,
	created_at          INTEGER NOT NULL,
	updated_at          INTEGER NOT NULL,
	created_by          INTEGER NOT NULL,
	updated_by          INTEGER NOT NULL
) STRICT;
CREATE INDEX incidents_when ON incidents (when_from, id);
CREATE INDEX incidents_crossing ON incidents (crossing_point, when_from, id);
CREATE INDEX incidents_verification ON incidents (verification_status, when_from, id);
CREATE INDEX incidents_published ON incidents (published, when_from, id);

-- One row per value of a list field (dim: kind, violence, nationality,
-- pushed_from, pushed_to). when_from is copied here so that a filter on a
-- tag is one index range already in list order, however large the table.
CREATE TABLE incident_tags (
	incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
	dim         TEXT NOT NULL,
	value       TEXT NOT NULL,
	when_from   TEXT NOT NULL,
	PRIMARY KEY (incident_id, dim, value)
) STRICT, WITHOUT ROWID;
CREATE INDEX incident_tags_value ON incident_tags (dim, value, when_from, incident_id);

-- Kept like testimonies_fts.
CREATE VIRTUAL TABLE incidents_fts USING fts5 (
	title, summary, public_summary, place,
	content = 'incidents', content_rowid = 'id',
	tokenize = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
);
CREATE TRIGGER incidents_fts_delete AFTER DELETE ON incidents BEGIN
	INSERT INTO incidents_fts (incidents_fts, rowid, title, summary, public_summary, place)
	VALUES ('delete', old.id, old.title, old.summary, old.public_summary, old.place);
END;
CREATE TRIGGER incidents_fts_update AFTER UPDATE OF title, summary, public_summary, place ON incidents BEGIN
	INSERT INTO incidents_fts (incidents_fts, rowid, title, summary, public_summary, place)
	VALUES ('delete', old.id, old.title, old.summary, old.public_summary, old.place);
	INSERT INTO incidents_fts (rowid, title, summary, public_summary, place)
	VALUES (new.id, new.title, new.summary, new.public_summary, new.place);
END;

CREATE TABLE links (
	testimony_id INTEGER NOT NULL REFERENCES testimonies (id) ON DELETE CASCADE,
	incident_id  INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
	relation     TEXT NOT NULL,
	note         TEXT NOT NULL,
	created_by   INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,
	PRIMARY KEY (testimony_id, incident_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX links_incident ON links (incident_id, testimony_id);

CREATE TABLE persons (
	id             INTEGER PRIMARY KEY,
	pseudonym      TEXT NOT NULL,
	nationality    TEXT NOT NULL,
	birth_year     INTEGER,
	gender         TEXT NOT NULL,
	identity_name  TEXT NOT NULL,
	identity_dob   TEXT NOT NULL,
	identity_phone TEXT NOT NULL,
	version        INTEGER NOT NULL,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL,
	created_by     INTEGER NOT NULL,
	updated_by     INTEGER NOT NULL
) STRICT;

CREATE TABLE asylum_cases (
	id                  INTEGER PRIMARY KEY,
	person_id           INTEGER NOT NULL REFERENCES persons (id),
	arrived_on          TEXT NOT NULL,
	crossing_point      TEXT NOT NULL,
	assigned_to         INTEGER NOT NULL,
	reception_allowance INTEGER,
	notes               TEXT NOT NULL,
	version             INTEGER NOT NULL,
	created_at          INTEGER NOT NULL,
	updated_at          INTEGER NOT NULL,
	created_by          INTEGER NOT NULL,
	updated_by          INTEGER NOT NULL
) STRICT;
CREATE INDEX asylum_cases_assigned ON asylum_cases (assigned_to, id);
CREATE INDEX asylum_cases_person ON asylum_cases (person_id);

CREATE TABLE procedure_events (
	id          INTEGER PRIMARY KEY,
	case_id     INTEGER NOT NULL REFERENCES asylum_cases (id) ON DELETE CASCADE,
	happened_on TEXT NOT NULL,
	kind        TEXT NOT NULL,
	note        TEXT NOT NULL
) STRICT;
CREATE INDEX procedure_events_case ON procedure_events (case_id, happened_on, id);

-- Dashboard totals kept current by the store in the same transaction as
-- each write, so the dashboard never counts a million rows per request.
-- kind: testimonies, incidents (key ''), incident_verification (key =
-- status), incident_month (key = 'YYYY-MM' of when_from).
CREATE TABLE counters (
	kind TEXT NOT NULL,
	key  TEXT NOT NULL,
	n    INTEGER NOT NULL,
	PRIMARY KEY (kind, key)
) STRICT, WITHOUT ROWID;
