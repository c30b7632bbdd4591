package store

import (
	"context"
	"database/sql"
	"time"

	"vigil/internal/domain"
)

// Session is a signed-in browser. Only the hash of its token is stored, so
// a copy of the database cannot be used to take over a session.
type Session struct {
	TokenHash  []byte
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	// UserAgent is a short description of the browser ("Firefox on
	// Linux"), for the owner's list of sessions.
	UserAgent string
	// ReauthAt is when the owner last gave their password (and second
	// factor): at login, and again before sensitive actions.
	ReauthAt time.Time
	// MFA tells that the second factor was passed for this session.
	MFA bool
}

const sessionColumns = `token_hash, user_id, created_at, last_seen_at, expires_at, user_agent, reauth_at, mfa`

func scanSession(r rowScanner) (Session, error) {
	var (
		se                           Session
		created, seen, until, reauth int64
	)
	err := r.Scan(&se.TokenHash, &se.UserID, &created, &seen, &until, &se.UserAgent, &reauth, &se.MFA)
	se.CreatedAt, se.LastSeenAt, se.ExpiresAt, se.ReauthAt = fromMillis(created), fromMillis(seen), fromMillis(until), fromMillisOrZero(reauth)
	return se, err
}

// millisOrZero keeps "never" as 0 rather than the millisecond count of
// year 1, so a zero time reads back as the zero time.
func millisOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillisOrZero(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return fromMillis(ms)
}

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, se Session) (err error) {
	defer s.fail(&err)
	return s.insertSession(ctx, s.writer(), se)
}

func (s *Store) insertSession(ctx context.Context, c conn, se Session) error {
	_, err := c.exec(ctx, `INSERT INTO sessions (`+sessionColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, se.TokenHash, se.UserID, millis(se.CreatedAt), millis(se.LastSeenAt), millis(se.ExpiresAt),
		se.UserAgent, millisOrZero(se.ReauthAt), se.MFA)
	if s.d.isUniqueViolation(err) {
		return domain.Errorf(domain.EConflict, "session already exists")
	}
	return err
}

// ErrPendingLoginGone is CreateSessionFromPendingLogin's answer when the
// half-finished login was ended meanwhile.
var ErrPendingLoginGone = domain.Errorf(domain.ENotFound, "the login was ended; log in again")

// CreateSessionFromPendingLogin turns a half-finished login whose second
// factor was just proved into a session, in one transaction: the login is
// used once, and one that was ended meanwhile (an administrator's "log out
// everywhere", which deletes half-finished logins before sessions, or the
// same code sent twice) gives ErrPendingLoginGone and no session.
func (s *Store) CreateSessionFromPendingLogin(ctx context.Context, pendingHash []byte, se Session) (err error) {
	defer s.fail(&err)
	return s.withTx(ctx, func(c conn) error {
		res, err := c.exec(ctx, `DELETE FROM pending_logins WHERE token_hash = ?`, pendingHash)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return ErrPendingLoginGone
		}
		return s.insertSession(ctx, c, se)
	})
}

// GetSession returns the session with the token hash, expired or not:
// deciding what has expired (absolute and idle limits) is the caller's job.
func (s *Store) GetSession(ctx context.Context, tokenHash []byte) (_ Session, err error) {
	defer s.fail(&err)
	se, err := scanSession(s.reader().queryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE token_hash = ?`, tokenHash))
	return se, notFound(err, "session")
}

// TouchSession records activity on a session, for the idle limit.
func (s *Store) TouchSession(ctx context.Context, tokenHash []byte, at time.Time) (err error) {
	defer s.fail(&err)
	res, err := s.writer().exec(ctx, `UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?`, millis(at), tokenHash)
	return oneRow(res, err, "session")
}

// DeleteSession signs one session out. Deleting a session that is already
// gone is not an error: signing out twice should just work.
func (s *Store) DeleteSession(ctx context.Context, tokenHash []byte) (err error) {
	defer s.fail(&err)
	_, err = s.writer().exec(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
	return err
}

// DeleteUserSessions signs a user out everywhere (password change, disabled
// account).
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64) (err error) {
	defer s.fail(&err)
	_, err = s.writer().exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
	return err
}

// CountLiveSessions counts each user's live sessions: those that have not
// expired at now and were used at or after idleSince (the service's idle
// limit). Users without a live session are left out of the map.
func (s *Store) CountLiveSessions(ctx context.Context, now, idleSince time.Time) (_ map[int64]int, err error) {
	defer s.fail(&err)
	type count struct {
		userID int64
		n      int
	}
	rows, err := s.reader().query(ctx, `SELECT user_id, COUNT(*) FROM sessions
		WHERE expires_at >= ? AND last_seen_at >= ? GROUP BY user_id`, millis(now), millis(idleSince))
	counts, err := collect(rows, err, func(r rowScanner) (count, error) {
		var c count
		return c, r.Scan(&c.userID, &c.n)
	})
	out := make(map[int64]int, len(counts))
	for _, c := range counts {
		out[c.userID] = c.n
	}
	return out, err
}

// RevokeUserSessions signs a user out everywhere on an administrator's
// decision (a lost phone, a stolen laptop) and audits it as
// "sessions_revoked" by actor by, in the same transaction: either both
// happen or neither. A half-finished login waiting for its second factor
// ends too, since it would become a session. It returns how many sessions
// were removed, expired ones not yet cleaned up included.
func (s *Store) RevokeUserSessions(ctx context.Context, userID, by int64, at time.Time) (_ int, err error) {
	defer s.fail(&err)
	var n int64
	err = s.withTx(ctx, func(c conn) error {
		// Half-finished logins first: on PostgreSQL a login being turned
		// into a session holds its row, so this waits for that session to
		// commit, and the next statement then removes it too.
		if _, err := c.exec(ctx, `DELETE FROM pending_logins WHERE user_id = ?`, userID); err != nil {
			return err
		}
		res, err := c.exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		// The audit entry comes last: on PostgreSQL it locks the chain head.
		return c.appendAudit(ctx, millis(at), AuditEvent{ActorID: by, Action: "sessions_revoked", Entity: "user", EntityID: userID,
			Detail: map[string]int64{"sessions": n}})
	})
	return int(n), err
}

// DeleteExpiredSessions removes sessions that expired before now.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (err error) {
	defer s.fail(&err)
	_, err = s.writer().exec(ctx, `DELETE FROM sessions WHERE expires_at < ?`, millis(now))
	return err
}

// APIToken is a token for the JSON API. Only its hash is stored; the token
// itself is shown once when it is made.
type APIToken struct {
	ID         int64
	UserID     int64
	Name       string
	Hash       []byte
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

const apiTokenColumns = `id, user_id, name, hash, created_at, last_used_at, revoked_at`

func scanAPIToken(r rowScanner) (APIToken, error) {
	var (
		t          APIToken
		created    int64
		used, revo sql.NullInt64
	)
	err := r.Scan(&t.ID, &t.UserID, &t.Name, &t.Hash, &created, &used, &revo)
	t.CreatedAt, t.LastUsedAt, t.RevokedAt = fromMillis(created), timePtr(used), timePtr(revo)
	return t, err
}

// CreateAPIToken stores a new token and sets its ID, and its CreatedAt when
// zero.
func (s *Store) CreateAPIToken(ctx context.Context, t *APIToken) (err error) {
	defer s.fail(&err)
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.stamp()
	}
	err = s.writer().queryRow(ctx, `INSERT INTO api_tokens (user_id, name, hash, created_at, last_used_at, revoked_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		t.UserID, t.Name, t.Hash, millis(t.CreatedAt), millisPtr(t.LastUsedAt), millisPtr(t.RevokedAt)).Scan(&t.ID)
	if s.d.isUniqueViolation(err) {
		return domain.Errorf(domain.EConflict, "token already exists")
	}
	return err
}

// GetAPITokenByHash returns the token with hash, revoked or not: callers
// must check RevokedAt.
func (s *Store) GetAPITokenByHash(ctx context.Context, hash []byte) (_ APIToken, err error) {
	defer s.fail(&err)
	t, err := scanAPIToken(s.reader().queryRow(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE hash = ?`, hash))
	return t, notFound(err, "API token")
}

// ListAPITokens returns a user's tokens, revoked ones included, newest first.
func (s *Store) ListAPITokens(ctx context.Context, userID int64) (_ []APIToken, err error) {
	defer s.fail(&err)
	rows, err := s.reader().query(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE user_id = ? ORDER BY id DESC`, userID)
	return collect(rows, err, scanAPIToken)
}

// RevokeAPIToken revokes a token of the user. Revoking it again keeps the
// first revocation time. Another user's token is not found.
func (s *Store) RevokeAPIToken(ctx context.Context, userID, id int64) (err error) {
	defer s.fail(&err)
	res, err := s.writer().exec(ctx, `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND user_id = ?`,
		millis(s.stamp()), id, userID)
	return oneRow(res, err, "API token")
}

// TouchAPIToken records when a token was last used.
func (s *Store) TouchAPIToken(ctx context.Context, id int64, at time.Time) (err error) {
	defer s.fail(&err)
	res, err := s.writer().exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, millis(at), id)
	return oneRow(res, err, "API token")
}
