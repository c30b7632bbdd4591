package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"vigil/internal/domain"
)

// This file keeps what login security needs: sessions as their owner sees
// them, the TOTP second factor and its recovery codes, the roles that must
// use it, reset requests for a lost factor, half-finished logins and the
// failed-login counters. Every change of a user's second factor is audited
// in the same transaction as the change.

// --- sessions ---

// ListUserSessions returns a user's sessions, most recently used first.
func (s *Store) ListUserSessions(ctx context.Context, userID int64) (_ []Session, err error) {
	defer s.fail(&err)
	rows, err := s.reader().query(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE user_id = ?
		ORDER BY last_seen_at DESC, created_at DESC`, userID)
	return collect(rows, err, scanSession)
}

// SessionReauthenticated records that the owner of a session proved who
// they are at at; mfa marks that a second factor was part of it. A session
// never loses its second-factor mark this way.
func (s *Store) SessionReauthenticated(ctx context.Context, tokenHash []byte, at time.Time, mfa bool) (err error) {
	defer s.fail(&err)
	res, err := s.writer().exec(ctx, `UPDATE sessions SET reauth_at = ?, mfa = (mfa OR ?) WHERE token_hash = ?`,
		millis(at), mfa, tokenHash)
	return oneRow(res, err, "session")
}

// DeleteOtherSessions signs a user out everywhere except the session keep.
func (s *Store) DeleteOtherSessions(ctx context.Context, userID int64, keep []byte) (err error) {
	defer s.fail(&err)
	_, err = s.writer().exec(ctx, `DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?`, userID, keep)
	return err
}

// --- the second factor ---

// MFA is a user's TOTP factor. Secret is sealed by the service; the store
// never sees it in the clear.
type MFA struct {
	UserID      int64
	Secret      []byte // nil after an approved reset
	ConfirmedAt *time.Time
	LastStep    int64 // the last time step accepted: the replay guard
	MustEnrol   bool  // set by an approved reset
	UpdatedAt   time.Time
}

// Enabled reports whether the factor is in use: confirmed with a code.
func (m MFA) Enabled() bool { return m.ConfirmedAt != nil && m.Secret != nil }

// GetMFA returns a user's factor; NotFound when the user never started
// enrolment.
func (s *Store) GetMFA(ctx context.Context, userID int64) (_ MFA, err error) {
	defer s.fail(&err)
	var (
		m         MFA
		confirmed sql.NullInt64
		updated   int64
	)
	err = s.reader().queryRow(ctx, `SELECT user_id, secret, confirmed_at, last_step, must_enrol, updated_at
		FROM user_mfa WHERE user_id = ?`, userID).Scan(&m.UserID, &m.Secret, &confirmed, &m.LastStep, &m.MustEnrol, &updated)
	if err != nil {
		return m, notFound(err, "second factor")
	}
	m.ConfirmedAt, m.UpdatedAt = timePtr(confirmed), fromMillis(updated)
	return m, nil
}

// StartMFAEnrolment stores a new, unconfirmed secret for the user,
// replacing an earlier unconfirmed one. A confirmed factor is never
// overwritten: that is a conflict.
func (s *Store) StartMFAEnrolment(ctx context.Context, userID int64, sealed []byte, at time.Time) (err error) {
	defer s.fail(&err)
	res, err := s.writer().exec(ctx, `INSERT INTO user_mfa (user_id, secret, confirmed_at, last_step, must_enrol, updated_at)
		VALUES (?, ?, NULL, 0, FALSE, ?)
		ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, last_step = 0, updated_at = excluded.updated_at
		WHERE user_mfa.confirmed_at IS NULL`, userID, sealed, millis(at))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.Errorf(domain.EConflict, "two-factor authentication is already set up; turn it off first to set it up again")
	}
	return nil
}

// ConfirmMFA turns an enrolment into a working factor once the first code
// was right: step becomes the replay guard, the recovery codes replace any
// earlier ones, and the change is audited as "mfa_enabled".
func (s *Store) ConfirmMFA(ctx context.Context, userID, step int64, codeHashes [][]byte, at time.Time) (err error) {
	defer s.fail(&err)
	return s.withTx(ctx, func(c conn) error {
		res, err := c.exec(ctx, `UPDATE user_mfa SET confirmed_at = ?, last_step = ?, must_enrol = FALSE, updated_at = ?
			WHERE user_id = ? AND confirmed_at IS NULL AND secret IS NOT NULL`, millis(at), step, millis(at), userID)
		if err := oneRow(res, err, "two-factor enrolment"); err != nil {
			return err
		}
		if err := c.replaceRecoveryCodes(ctx, userID, codeHashes); err != nil {
			return err
		}
		return c.appendAudit(ctx, millis(at), AuditEvent{ActorID: userID, Action: "mfa_enabled", Entity: "user", EntityID: userID})
	})
}

// UseTOTPStep moves the replay guard to step if step is later than every
// step accepted before, and reports whether it did. The check and the move
// are one statement, so two requests racing with the same code cannot
// both succeed.
func (s *Store) UseTOTPStep(ctx context.Context, userID, step int64) (_ bool, err error) {
	defer s.fail(&err)
	res, err := s.writer().exec(ctx, `UPDATE user_mfa SET last_step = ?
		WHERE user_id = ? AND last_step < ? AND confirmed_at IS NOT NULL`, step, userID, step)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// DisableMFA removes a user's factor and recovery codes, audited as
// "mfa_disabled" by actor by. NotFound when there was none.
func (s *Store) DisableMFA(ctx context.Context, userID, by int64, at time.Time) (err error) {
	defer s.fail(&err)
	return s.withTx(ctx, func(c conn) error {
		res, err := c.exec(ctx, `DELETE FROM user_mfa WHERE user_id = ?`, userID)
		if err := oneRow(res, err, "second factor"); err != nil {
			return err
		}
		if _, err := c.exec(ctx, `DELETE FROM mfa_recovery_codes WHERE user_id = ?`, userID); err != nil {
			return err
		}
		return c.appendAudit(ctx, millis(at), AuditEvent{ActorID: by, Action: "mfa_disabled", Entity: "user", EntityID: userID})
	})
}

// MFAGate is what decides, on every request of a session that has not
// passed a second factor, whether its user must enrol first.
type MFAGate struct {
	RoleRequires bool // the user's role must use a second factor
	Enabled      bool // the user has a working factor
	MustEnrol    bool // an approved reset asks the user to enrol again
}

// MFAGateOf reads the gate for a user of role in one query, so that the
// check costs one indexed lookup per request.
func (s *Store) MFAGateOf(ctx context.Context, userID int64, role string) (_ MFAGate, err error) {
	defer s.fail(&err)
	var (
		g        MFAGate
		required int
		enabled  sql.NullBool
		must     sql.NullBool
	)
	err = s.reader().queryRow(ctx, `SELECT
			(SELECT count(*) FROM mfa_required_roles WHERE role = ?),
			(SELECT confirmed_at IS NOT NULL AND secret IS NOT NULL FROM user_mfa WHERE user_id = ?),
			(SELECT must_enrol FROM user_mfa WHERE user_id = ?)`, role, userID, userID).Scan(&required, &enabled, &must)
	g.RoleRequires, g.Enabled, g.MustEnrol = required > 0, enabled.Valid && enabled.Bool, must.Valid && must.Bool
	return g, err
}

// MFAEnabledUsers returns the ids of the users with a working factor.
func (s *Store) MFAEnabledUsers(ctx context.Context) (_ map[int64]bool, err error) {
	defer s.fail(&err)
	rows, err := s.reader().query(ctx, `SELECT user_id FROM user_mfa WHERE confirmed_at IS NOT NULL AND secret IS NOT NULL`)
	ids, err := collect(rows, err, func(r rowScanner) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
	out := map[int64]bool{}
	for _, id := range ids {
		out[id] = true
	}
	return out, err
}

// --- recovery codes ---

func (c conn) replaceRecoveryCodes(ctx context.Context, userID int64, hashes [][]byte) error {
	if _, err := c.exec(ctx, `DELETE FROM mfa_recovery_codes WHERE user_id = ?`, userID); err != nil {
		return err
	}
	for _, h := range hashes {
		if _, err := c.exec(ctx, `INSERT INTO mfa_recovery_codes (user_id, code_hash, used_at) VALUES (?, ?, NULL)`, userID, h); err != nil {
			return err
		}
	}
	return nil
}

// ReplaceRecoveryCodes gives a user with a working factor a new set of
// recovery codes; the old ones stop working. Audited as
// "mfa_recovery_codes_renewed".
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes [][]byte, at time.Time) (err error) {
	defer s.fail(&err)
	return s.withTx(ctx, func(c conn) error {
		var one int
		err := c.queryRow(ctx, `SELECT 1 FROM user_mfa WHERE user_id = ? AND confirmed_at IS NOT NULL`, userID).Scan(&one)
		if err != nil {
			return notFound(err, "second factor")
		}
		if err := c.replaceRecoveryCodes(ctx, userID, hashes); err != nil {
			return err
		}
		return c.appendAudit(ctx, millis(at), AuditEvent{ActorID: userID, Action: "mfa_recovery_codes_renewed", Entity: "user", EntityID: userID})
	})
}

// UseRecoveryCode spends one unused recovery code of the user and reports
// whether there was such a code. A code works once.
func (s *Store) UseRecoveryCode(ctx context.Context, userID int64, hash []byte, at time.Time) (_ bool, err error) {
	defer s.fail(&err)
	res, err := s.writer().exec(ctx, `UPDATE mfa_recovery_codes SET used_at = ?
		WHERE user_id = ? AND code_hash = ? AND used_at IS NULL`, millis(at), userID, hash)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// UnusedRecoveryCodes counts the recovery codes a user has left.
func (s *Store) UnusedRecoveryCodes(ctx context.Context, userID int64) (_ int, err error) {
	defer s.fail(&err)
	var n int
	err = s.reader().queryRow(ctx, `SELECT count(*) FROM mfa_recovery_codes WHERE user_id = ? AND used_at IS NULL`, userID).Scan(&n)
	return n, err
}

// --- roles that must use a second factor ---

// MFARequiredRoles lists the roles whose members must use two-factor
// authentication, sorted.
func (s *Store) MFARequiredRoles(ctx context.Context) (_ []string, err error) {
	defer s.fail(&err)
	rows, err := s.reader().query(ctx, `SELECT role FROM mfa_required_roles ORDER BY role`)
	return collect(rows, err, func(r rowScanner) (string, error) {
		var role string
		return role, r.Scan(&role)
	})
}

// SetMFARequiredRoles replaces the list of roles that must use two-factor
// authentication, audited as "mfa_policy" by actor by.
func (s *Store) SetMFARequiredRoles(ctx context.Context, roles []string, by int64, at time.Time) (err error) {
	defer s.fail(&err)
	return s.withTx(ctx, func(c conn) error {
		if _, err := c.exec(ctx, `DELETE FROM mfa_required_roles`); err != nil {
			return err
		}
		for _, r := range roles {
			if _, err := c.exec(ctx, `INSERT INTO mfa_required_roles (role, set_at, set_by) VALUES (?, ?, ?)`, r, millis(at), by); err != nil {
				return err
			}
		}
		return c.appendAudit(ctx, millis(at), AuditEvent{ActorID: by, Action: "mfa_policy", Entity: "settings", Detail: roles})
	})
}

// --- reset of a lost second factor ---

// MFAReset is a request to clear a user's lost second factor. An
// administrator approves or rejects it.
type MFAReset struct {
	ID          int64
	UserID      int64
	Username    string // of UserID, for the administrator's list
	RequestedBy int64
	RequestedAt time.Time
	Status      string // pending, approved, rejected
	DecidedBy   *int64
	DecidedAt   *time.Time
}

// The states of a reset request.
const (
	ResetPending  = "pending"
	ResetApproved = "approved"
	ResetRejected = "rejected"
)

const mfaResetColumns = `r.id, r.user_id, u.username, r.requested_by, r.requested_at, r.status, r.decided_by, r.decided_at`

func scanMFAReset(r rowScanner) (MFAReset, error) {
	var (
		m       MFAReset
		at      int64
		by, dec sql.NullInt64
	)
	err := r.Scan(&m.ID, &m.UserID, &m.Username, &m.RequestedBy, &at, &m.Status, &by, &dec)
	m.RequestedAt, m.DecidedAt = fromMillis(at), timePtr(dec)
	if by.Valid {
		m.DecidedBy = &by.Int64
	}
	return m, err
}

// RequestMFAReset files a reset request for userID by actor by (the user
// or an administrator), audited as "mfa_reset_requested". A user has at
// most one pending request: asking again returns the pending one.
func (s *Store) RequestMFAReset(ctx context.Context, userID, by int64, at time.Time) (_ MFAReset, err error) {
	defer s.fail(&err)
	var m MFAReset
	err = s.withTx(ctx, func(c conn) error {
		var id int64
		err := c.queryRow(ctx, `SELECT id FROM mfa_resets WHERE user_id = ? AND status = 'pending'`, userID).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			err = c.queryRow(ctx, `INSERT INTO mfa_resets (user_id, requested_by, requested_at, status) VALUES (?, ?, ?, 'pending')
				RETURNING id`, userID, by, millis(at)).Scan(&id)
			if err == nil {
				err = c.appendAudit(ctx, millis(at), AuditEvent{ActorID: by, Action: "mfa_reset_requested", Entity: "user", EntityID: userID})
			}
		}
		if err != nil {
			return err
		}
		m, err = scanMFAReset(c.queryRow(ctx, `SELECT `+mfaResetColumns+` FROM mfa_resets r JOIN users u ON u.id = r.user_id WHERE r.id = ?`, id))
		return err
	})
	return m, err
}

// ListMFAResets lists reset requests in a state, oldest first.
func (s *Store) ListMFAResets(ctx context.Context, status string) (_ []MFAReset, err error) {
	defer s.fail(&err)
	rows, err := s.reader().query(ctx, `SELECT `+mfaResetColumns+` FROM mfa_resets r JOIN users u ON u.id = r.user_id
		WHERE r.status = ? ORDER BY r.requested_at, r.id`, status)
	return collect(rows, err, scanMFAReset)
}

// GetMFAReset returns one reset request.
func (s *Store) GetMFAReset(ctx context.Context, id int64) (_ MFAReset, err error) {
	defer s.fail(&err)
	m, err := scanMFAReset(s.reader().queryRow(ctx, `SELECT `+mfaResetColumns+` FROM mfa_resets r JOIN users u ON u.id = r.user_id
		WHERE r.id = ?`, id))
	return m, notFound(err, "reset request")
}

// DecideMFAReset approves or rejects a pending reset request as actor by.
// Approval clears the user's factor and recovery codes, marks that the user
// must enrol again, and signs the user out everywhere (half-finished logins
// included), all in one transaction with the audit entry
// ("mfa_reset_approved" or "mfa_reset_rejected"). A request that is not
// pending any more is a conflict.
func (s *Store) DecideMFAReset(ctx context.Context, id, by int64, approve bool, at time.Time) (_ MFAReset, err error) {
	defer s.fail(&err)
	status, action := ResetRejected, "mfa_reset_rejected"
	if approve {
		status, action = ResetApproved, "mfa_reset_approved"
	}
	var m MFAReset
	err = s.withTx(ctx, func(c conn) error {
		var userID int64
		err := c.queryRow(ctx, `UPDATE mfa_resets SET status = ?, decided_by = ?, decided_at = ?
			WHERE id = ? AND status = 'pending' RETURNING user_id`, status, by, millis(at), id).Scan(&userID)
		if errors.Is(err, sql.ErrNoRows) {
			ok, xerr := c.exists(ctx, "mfa_resets", id)
			if xerr != nil {
				return xerr
			}
			if ok {
				return domain.Errorf(domain.EConflict, "this request was already decided")
			}
			return domain.NotFound("reset request")
		}
		if err != nil {
			return err
		}
		if approve {
			for _, q := range []string{
				`DELETE FROM mfa_recovery_codes WHERE user_id = ?`,
				`DELETE FROM sessions WHERE user_id = ?`,
				`DELETE FROM pending_logins WHERE user_id = ?`,
			} {
				if _, err := c.exec(ctx, q, userID); err != nil {
					return err
				}
			}
			if _, err := c.exec(ctx, `INSERT INTO user_mfa (user_id, secret, confirmed_at, last_step, must_enrol, updated_at)
				VALUES (?, NULL, NULL, 0, TRUE, ?)
				ON CONFLICT (user_id) DO UPDATE SET secret = NULL, confirmed_at = NULL, last_step = 0, must_enrol = TRUE,
					updated_at = excluded.updated_at`, userID, millis(at)); err != nil {
				return err
			}
		}
		if err := c.appendAudit(ctx, millis(at), AuditEvent{ActorID: by, Action: action, Entity: "user", EntityID: userID,
			Detail: map[string]int64{"request": id}}); err != nil {
			return err
		}
		m, err = scanMFAReset(c.queryRow(ctx, `SELECT `+mfaResetColumns+` FROM mfa_resets r JOIN users u ON u.id = r.user_id WHERE r.id = ?`, id))
		return err
	})
	return m, err
}

// --- half-finished logins ---

// PendingLogin is a login whose password was right and whose second factor
// is still to come. Only the hash of its token is stored.
type PendingLogin struct {
	TokenHash []byte
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time
	Attempts  int // wrong second-factor codes so far
	UserAgent string
}

// CreatePendingLogin stores a half-finished login.
func (s *Store) CreatePendingLogin(ctx context.Context, p PendingLogin) (err error) {
	defer s.fail(&err)
	_, err = s.writer().exec(ctx, `INSERT INTO pending_logins (token_hash, user_id, created_at, expires_at, attempts, user_agent)
		VALUES (?, ?, ?, ?, ?, ?)`, p.TokenHash, p.UserID, millis(p.CreatedAt), millis(p.ExpiresAt), p.Attempts, p.UserAgent)
	if s.d.isUniqueViolation(err) {
		return domain.Errorf(domain.EConflict, "login already exists")
	}
	return err
}

// GetPendingLogin returns a half-finished login, expired or not.
func (s *Store) GetPendingLogin(ctx context.Context, tokenHash []byte) (_ PendingLogin, err error) {
	defer s.fail(&err)
	var (
		p              PendingLogin
		created, until int64
	)
	err = s.reader().queryRow(ctx, `SELECT token_hash, user_id, created_at, expires_at, attempts, user_agent
		FROM pending_logins WHERE token_hash = ?`, tokenHash).Scan(&p.TokenHash, &p.UserID, &created, &until, &p.Attempts, &p.UserAgent)
	if err != nil {
		return p, notFound(err, "login")
	}
	p.CreatedAt, p.ExpiresAt = fromMillis(created), fromMillis(until)
	return p, nil
}

// PendingLoginFailed counts a wrong code against a half-finished login and
// returns how many there have been.
func (s *Store) PendingLoginFailed(ctx context.Context, tokenHash []byte) (_ int, err error) {
	defer s.fail(&err)
	var n int
	err = s.writer().queryRow(ctx, `UPDATE pending_logins SET attempts = attempts + 1 WHERE token_hash = ? RETURNING attempts`,
		tokenHash).Scan(&n)
	return n, notFound(err, "login")
}

// DeletePendingLogin ends a half-finished login; deleting one that is gone
// is not an error.
func (s *Store) DeletePendingLogin(ctx context.Context, tokenHash []byte) (err error) {
	defer s.fail(&err)
	_, err = s.writer().exec(ctx, `DELETE FROM pending_logins WHERE token_hash = ?`, tokenHash)
	return err
}

// DeleteExpiredPendingLogins removes half-finished logins that expired
// before now.
func (s *Store) DeleteExpiredPendingLogins(ctx context.Context, now time.Time) (err error) {
	defer s.fail(&err)
	_, err = s.writer().exec(ctx, `DELETE FROM pending_logins WHERE expires_at < ?`, millis(now))
	return err
}

// --- failed-login counters ---

// Throttle is the failed-login count of one key (a typed username or a
// client address, hashed by the service).
type Throttle struct {
	Failures      int
	LastFailureAt time.Time
}

// GetThrottle returns the count of key; a key never seen has none.
func (s *Store) GetThrottle(ctx context.Context, key []byte) (_ Throttle, err error) {
	defer s.fail(&err)
	var (
		t    Throttle
		last int64
	)
	err = s.reader().queryRow(ctx, `SELECT failures, last_failure_at FROM login_throttle WHERE key = ?`, key).Scan(&t.Failures, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return Throttle{}, nil
	}
	t.LastFailureAt = fromMillis(last)
	return t, err
}

// RecordFailure counts one failed login against key at at and returns the
// new count. A count whose last failure is older than forgetBefore starts
// again from one, so old mistakes do not add up forever.
func (s *Store) RecordFailure(ctx context.Context, key []byte, at, forgetBefore time.Time) (_ Throttle, err error) {
	defer s.fail(&err)
	var (
		t    Throttle
		last int64
	)
	err = s.writer().queryRow(ctx, `INSERT INTO login_throttle (key, failures, last_failure_at) VALUES (?, 1, ?)
		ON CONFLICT (key) DO UPDATE SET
			failures = CASE WHEN login_throttle.last_failure_at < ? THEN 1 ELSE login_throttle.failures + 1 END,
			last_failure_at = excluded.last_failure_at
		RETURNING failures, last_failure_at`, key, millis(at), millis(forgetBefore)).Scan(&t.Failures, &last)
	t.LastFailureAt = fromMillis(last)
	return t, err
}

// ClearThrottle forgets the failures of key (after a successful login).
func (s *Store) ClearThrottle(ctx context.Context, key []byte) (err error) {
	defer s.fail(&err)
	_, err = s.writer().exec(ctx, `DELETE FROM login_throttle WHERE key = ?`, key)
	return err
}

// PruneThrottle forgets every count whose last failure is older than
// before.
func (s *Store) PruneThrottle(ctx context.Context, before time.Time) (err error) {
	defer s.fail(&err)
	_, err = s.writer().exec(ctx, `DELETE FROM login_throttle WHERE last_failure_at < ?`, millis(before))
	return err
}
