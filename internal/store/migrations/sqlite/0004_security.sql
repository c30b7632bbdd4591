-- Login security: two-factor authentication, login throttling and what a
-- session needs for re-authentication and the "your sessions" page.

-- A session remembers a short description of its browser (never the full
-- User-Agent string, and no IP address), when its owner last proved who
-- they are (re-authentication before sensitive actions) and whether the
-- second factor was passed.
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN reauth_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN mfa INTEGER NOT NULL DEFAULT 0;

-- One TOTP factor per user. secret is sealed with XChaCha20-Poly1305 under
-- a key derived from the instance key; it is NULL after an approved reset.
-- confirmed_at is NULL while enrolment waits for the first code. last_step
-- is the replay guard: a time step at or below it is never accepted again.
-- must_enrol forces enrolment after an approved reset.
CREATE TABLE user_mfa (
	user_id      INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	secret       BLOB,
	confirmed_at INTEGER,
	last_step    INTEGER NOT NULL,
	must_enrol   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
) STRICT;

-- One-time recovery codes, stored as SHA-256 hashes only.
CREATE TABLE mfa_recovery_codes (
	user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	code_hash BLOB NOT NULL,
	used_at   INTEGER,
	PRIMARY KEY (user_id, code_hash)
) STRICT, WITHOUT ROWID;

-- Roles whose members must use two-factor authentication.
CREATE TABLE mfa_required_roles (
	role   TEXT PRIMARY KEY,
	set_at INTEGER NOT NULL,
	set_by INTEGER NOT NULL
) STRICT;

-- Requests to clear a lost second factor; an administrator decides.
CREATE TABLE mfa_resets (
	id           INTEGER PRIMARY KEY,
	user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	requested_by INTEGER NOT NULL,
	requested_at INTEGER NOT NULL,
	status       TEXT NOT NULL,
	decided_by   INTEGER,
	decided_at   INTEGER
) STRICT;
CREATE UNIQUE INDEX mfa_resets_one_pending ON mfa_resets (user_id) WHERE status = 'pending';

-- A password accepted, second factor still to come: it grants nothing but
-- the second-factor form, and lives a few minutes.
CREATE TABLE pending_logins (
	token_hash BLOB PRIMARY KEY,
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	attempts   INTEGER NOT NULL,
	user_agent TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX pending_logins_expires ON pending_logins (expires_at);

-- Failed logins per typed username and per client address. The key is a
-- keyed hash of either, so the table holds neither a username anyone typed
-- (people type passwords into the wrong field) nor an IP address.
CREATE TABLE login_throttle (
	key             BLOB PRIMARY KEY,
	failures        INTEGER NOT NULL,
	last_failure_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX login_throttle_last ON login_throttle (last_failure_at);
