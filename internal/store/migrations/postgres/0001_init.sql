-- Vigil schema for PostgreSQL; the same tables as migrations/sqlite.
-- Timestamps are BIGINT Unix milliseconds UTC. Dates are TEXT 'YYYY-MM-DD'
-- with '' for "not given", so unknown dates sort last in descending lists and
-- keyset cursors can compare (date, id) row values. Lists are JSON text, read
-- back whole; the lists that are filtered on are also spread into index
-- tables. created_by/updated_by are user ids with 0 for the system (CLI,
-- loaders), so they carry no foreign key. Date columns compare byte-wise
-- (COLLATE "C"), as on SQLite, which is also much cheaper than a locale's
-- collation on the columns every list is sorted by.

CREATE TABLE users (
	id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	username      TEXT NOT NULL UNIQUE,
	display_name  TEXT NOT NULL,
	role          TEXT NOT NULL,
	lang          TEXT NOT NULL,
	disabled      BOOLEAN NOT NULL,
	password_hash TEXT NOT NULL,
	last_login_at BIGINT,
	version       INTEGER NOT NULL,
	created_at    BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL,
	created_by    BIGINT NOT NULL,
	updated_by    BIGINT NOT NULL
);

CREATE TABLE sessions (
	token_hash   BYTEA PRIMARY KEY,
	user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at   BIGINT NOT NULL,
	last_seen_at BIGINT NOT NULL,
	expires_at   BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_tokens (
	id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	hash         BYTEA NOT NULL UNIQUE,
	created_at   BIGINT NOT NULL,
	last_used_at BIGINT,
	revoked_at   BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, id);

CREATE TABLE idempotency_keys (
	user_id      BIGINT NOT NULL,
	key          TEXT NOT NULL,
	request_hash BYTEA NOT NULL,
	status       INTEGER NOT NULL,
	body         BYTEA NOT NULL,
	created_at   BIGINT NOT NULL,
	PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE crossing_points (
	id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	code          TEXT NOT NULL UNIQUE,
	name_en       TEXT NOT NULL,
	name_fi       TEXT NOT NULL,
	name_ru       TEXT NOT NULL,
	country       TEXT NOT NULL,
	other_country TEXT NOT NULL,
	counterpart   TEXT NOT NULL,
	municipality  TEXT NOT NULL,
	mode          TEXT NOT NULL,
	lat           DOUBLE PRECISION,
	lon           DOUBLE PRECISION,
	accuracy_km   DOUBLE PRECISION,
	notes         TEXT NOT NULL,
	version       INTEGER NOT NULL,
	created_at    BIGINT NOT NULL,
	updated_at    BIGINT NOT NULL,
	created_by    BIGINT NOT NULL,
	updated_by    BIGINT NOT NULL
);

CREATE TABLE policy_events (
	id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	when_from           TEXT COLLATE "C" NOT NULL,
	when_to             TEXT COLLATE "C" NOT NULL,
	when_precision      TEXT NOT NULL,
	time_of_day         TEXT NOT NULL, -- HH:MM or empty
	kind                TEXT NOT NULL,
	crossing_points     TEXT NOT NULL, -- JSON list of codes
	detail              TEXT NOT NULL,
	source_publisher    TEXT NOT NULL,
	source_url          TEXT NOT NULL,
	source_retrieved_on TEXT COLLATE "C" NOT NULL,
	version             INTEGER NOT NULL,
	created_at          BIGINT NOT NULL,
	updated_at          BIGINT NOT NULL,
	created_by          BIGINT NOT NULL,
	updated_by          BIGINT NOT NULL
);

CREATE TABLE figures (
	id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	period_from         TEXT COLLATE "C" NOT NULL,
	period_to           TEXT COLLATE "C" NOT NULL,
	measure             TEXT NOT NULL,
	breakdown           TEXT NOT NULL,
	breakdown_value     TEXT NOT NULL,
	value               BIGINT NOT NULL,
	unit                TEXT NOT NULL,
	approximation       TEXT NOT NULL,
	producer            TEXT NOT NULL,
	source_publisher    TEXT NOT NULL,
	source_url          TEXT NOT NULL,
	source_retrieved_on TEXT COLLATE "C" NOT NULL,
	note                TEXT NOT NULL,
	version             INTEGER NOT NULL,
	created_at          BIGINT NOT NULL,
	updated_at          BIGINT NOT NULL,
	created_by          BIGINT NOT NULL,
	updated_by          BIGINT NOT NULL
);
CREATE INDEX figures_period ON figures (period_to, id);
CREATE INDEX figures_measure ON figures (measure, period_to, id);

CREATE TABLE testimonies (
	id                          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	received_on                 TEXT COLLATE "C" NOT NULL,
	recorded_by                 BIGINT NOT NULL,
	mode                        TEXT NOT NULL,
	language                    TEXT NOT NULL,
	interpreter                 BOOLEAN NOT NULL,
	narrator_pseudonym          TEXT NOT NULL,
	narrator_nationality        TEXT NOT NULL,
	narrator_age_band           TEXT NOT NULL,
	narrator_gender             TEXT NOT NULL,
	consent_store               BOOLEAN NOT NULL,
	consent_quote_publicly      BOOLEAN NOT NULL,
	consent_share_with_partners BOOLEAN NOT NULL,
	consent_legal_action        BOOLEAN NOT NULL,
	narrative                   TEXT NOT NULL,
	public_quotes               TEXT NOT NULL,
	reliability                 TEXT NOT NULL,
	version                     INTEGER NOT NULL,
	created_at                  BIGINT NOT NULL,
	updated_at                  BIGINT NOT NULL,
	created_by                  BIGINT NOT NULL,
	updated_by                  BIGINT NOT NULL,
	-- 'simple': no stemming, so words of every language match as written.
	search tsvector GENERATED ALWAYS AS (
		to_tsvector('simple', narrative || ' ' || narrator_pseudonym || ' ' || public_quotes)
	) STORED
);
CREATE INDEX testimonies_received ON testimonies (received_on, id);
CREATE INDEX testimonies_recorder ON testimonies (recorded_by, received_on, id);
CREATE INDEX testimonies_nationality ON testimonies (narrator_nationality, received_on, id);
CREATE INDEX testimonies_search ON testimonies USING GIN (search);

CREATE TABLE incidents (
	id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	title               TEXT NOT NULL,
	when_from           TEXT COLLATE "C" NOT NULL,
	when_to             TEXT COLLATE "C" NOT NULL,
	when_precision      TEXT NOT NULL,
	crossing_point      TEXT NOT NULL,
	place               TEXT NOT NULL,
	lat                 DOUBLE PRECISION,
	lon                 DOUBLE PRECISION,
	place_precision     TEXT NOT NULL,
	pushed_from         TEXT NOT NULL, -- JSON
	pushed_to           TEXT NOT NULL, -- JSON
	kinds               TEXT NOT NULL, -- JSON
	group_size_min      BIGINT,
	group_size_max      BIGINT,
	group_minors        BIGINT,
	group_women         BIGINT,
	group_nationalities TEXT NOT NULL, -- JSON
	violence_types      TEXT NOT NULL, -- JSON
	perpetrator         TEXT NOT NULL,
	perpetrator_unit    TEXT NOT NULL,
	asylum_requested    TEXT NOT NULL,
	outcome             TEXT NOT NULL,
	verification_status TEXT NOT NULL,
	verification_reason TEXT NOT NULL,
	verification_set_by BIGINT NOT NULL,
	verification_set_at BIGINT,
	summary             TEXT NOT NULL,
	public_summary      TEXT NOT NULL,
	published           BOOLEAN NOT NULL,
	version             INTEGER NOT NULL,
	created_at          BIGINT NOT NULL,
	updated_at          BIGINT NOT NULL,
	created_by          BIGINT NOT NULL,
	updated_by          BIGINT NOT NULL,
	search tsvector GENERATED ALWAYS AS (
		to_tsvector('simple', title || ' ' || summary || ' ' || public_summary || ' ' || place)
	) STORED
);
CREATE INDEX incidents_when ON incidents (when_from, id);
CREATE INDEX incidents_crossing ON incidents (crossing_point, when_from, id);
CREATE INDEX incidents_verification ON incidents (verification_status, when_from, id);
CREATE INDEX incidents_published ON incidents (published, when_from, id);
CREATE INDEX incidents_search ON incidents USING GIN (search);

-- One row per value of a list field (dim: kind, violence, nationality,
-- pushed_from, pushed_to). when_from is copied here so that a filter on a
-- tag is one index range already in list order, however large the table.
CREATE TABLE incident_tags (
	incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
	dim         TEXT NOT NULL,
	value       TEXT NOT NULL,
	when_from   TEXT COLLATE "C" NOT NULL,
	PRIMARY KEY (incident_id, dim, value)
);
CREATE INDEX incident_tags_value ON incident_tags (dim, value, when_from, incident_id);

CREATE TABLE links (
	testimony_id BIGINT NOT NULL REFERENCES testimonies (id) ON DELETE CASCADE,
	incident_id  BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
	relation     TEXT NOT NULL,
	note         TEXT NOT NULL,
	created_by   BIGINT NOT NULL,
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL,
	PRIMARY KEY (testimony_id, incident_id)
);
CREATE INDEX links_incident ON links (incident_id, testimony_id);

CREATE TABLE persons (
	id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	pseudonym      TEXT NOT NULL,
	nationality    TEXT NOT NULL,
	birth_year     BIGINT,
	gender         TEXT NOT NULL,
	identity_name  TEXT NOT NULL,
	identity_dob   TEXT COLLATE "C" NOT NULL,
	identity_phone TEXT NOT NULL,
	version        INTEGER NOT NULL,
	created_at     BIGINT NOT NULL,
	updated_at     BIGINT NOT NULL,
	created_by     BIGINT NOT NULL,
	updated_by     BIGINT NOT NULL
);

CREATE TABLE asylum_cases (
	id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	person_id           BIGINT NOT NULL REFERENCES persons (id),
	arrived_on          TEXT COLLATE "C" NOT NULL,
	crossing_point      TEXT NOT NULL,
	assigned_to         BIGINT NOT NULL,
	reception_allowance BIGINT,
	notes               TEXT NOT NULL,
	version             INTEGER NOT NULL,
	created_at          BIGINT NOT NULL,
	updated_at          BIGINT NOT NULL,
	created_by          BIGINT NOT NULL,
	updated_by          BIGINT NOT NULL
);
CREATE INDEX asylum_cases_assigned ON asylum_cases (assigned_to, id);
CREATE INDEX asylum_cases_person ON asylum_cases (person_id);

CREATE TABLE procedure_events (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	case_id     BIGINT NOT NULL REFERENCES asylum_cases (id) ON DELETE CASCADE,
	happened_on TEXT COLLATE "C" NOT NULL,
	kind        TEXT NOT NULL,
	note        TEXT NOT NULL
);
CREATE INDEX procedure_events_case ON procedure_events (case_id, happened_on, id);

-- Dashboard totals kept current by the store in the same transaction as
-- each write, so the dashboard never counts a million rows per request.
-- kind: testimonies, incidents (key ''), incident_verification (key =
-- status), incident_month (key = 'YYYY-MM' of when_from).
CREATE TABLE counters (
	kind TEXT NOT NULL,
	key  TEXT COLLATE "C" NOT NULL,
	n    BIGINT NOT NULL,
	PRIMARY KEY (kind, key)
);
