package store

import (
	"context"
	"database/sql"
	"time"

	"vigil/internal/domain"
)

const userColumns = `id, version, created_at, updated_at, created_by, updated_by,
	username, display_name, role, lang, disabled, password_hash, last_login_at`

func scanUser(r rowScanner) (domain.User, error) {
	var (
		u                domain.User
		created, updated int64
		lastLogin        sql.NullInt64
	)
	err := r.Scan(&u.ID, &u.Version, &created, &updated, &u.CreatedBy, &u.UpdatedBy,
		&u.Username, &u.DisplayName, &u.Role, &u.Lang, &u.Disabled, &u.PasswordHash, &lastLogin)
	u.CreatedAt, u.UpdatedAt = fromMillis(created), fromMillis(updated)
	u.LastLoginAt = timePtr(lastLogin)
	return u, err
}

func usernameTaken() error { return domain.Errorf(domain.EConflict, "username already taken") }

// CreateUser stores a new user and sets its ID, version and timestamps.
func (s *Store) CreateUser(ctx context.Context, u *domain.User) (err error) {
	defer s.fail(&err)
	now := s.stamp()
	if u.UpdatedBy == 0 {
		u.UpdatedBy = u.CreatedBy
	}
	rec := *u
	err = s.withTx(ctx, func(w conn) error {
		u := &rec
		err := w.queryRow(ctx, `INSERT INTO users (version, created_at, updated_at, created_by, updated_by,
		username, display_name, role, lang, disabled, password_hash, last_login_at)
		VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			millis(now), millis(now), u.CreatedBy, u.UpdatedBy,
			u.Username, u.DisplayName, u.Role, u.Lang, u.Disabled, u.PasswordHash, millisPtr(u.LastLoginAt)).Scan(&u.ID)
		if s.d.isUniqueViolation(err) {
			return usernameTaken()
		}
		if err != nil {
			return err
		}
		u.Version, u.CreatedAt, u.UpdatedAt = 1, now, now
		return w.writeVersions(ctx, millis(now), newVersion{entity: EntityUser, id: u.ID, version: 1, at: now,
			actor: actorOr(ctx, u.CreatedBy), action: actionOr(ctx, ActionCreate), record: userSnapshot(*u)})
	})
	if err != nil {
		return err
	}
	*u = rec
	return nil
}

// UpdateUser saves u, including its password hash, if nobody saved it since
// u.Version was read. The last login time is left alone (SetLastLogin).
func (s *Store) UpdateUser(ctx context.Context, u *domain.User) (err error) {
	defer s.fail(&err)
	now := s.stamp()
	rec := *u
	err = s.withTx(ctx, func(w conn) error {
		// The old account tells a permission or password change from an
		// edit, and is the baseline of a user without history.
		old, err := scanUser(w.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = ? AND version = ?`, rec.ID, rec.Version))
		if err := w.updated(ctx, err, "users", "user", rec.ID); err != nil {
			return err
		}
		base, err := baseline(ctx, w, EntityUser, rec.ID, rec.Version, func() (domain.User, error) { return userSnapshot(old), nil },
			func(u *domain.User) *domain.Meta { return &u.Meta })
		if err != nil {
			return err
		}
		u := &rec
		var (
			version     int
			created, by int64
			lastLogin   sql.NullInt64
		)
		err = w.queryRow(ctx, `UPDATE users SET version = version + 1, updated_at = ?, updated_by = ?,
		username = ?, display_name = ?, role = ?, lang = ?, disabled = ?, password_hash = ?
		WHERE id = ? AND version = ? RETURNING version, created_at, created_by, last_login_at`,
			millis(now), u.UpdatedBy,
			u.Username, u.DisplayName, u.Role, u.Lang, u.Disabled, u.PasswordHash,
			u.ID, u.Version).Scan(&version, &created, &by, &lastLogin)
		if s.d.isUniqueViolation(err) {
			return usernameTaken()
		}
		if err := w.updated(ctx, err, "users", "user", u.ID); err != nil {
			return err
		}
		u.Version, u.UpdatedAt, u.CreatedAt, u.CreatedBy, u.LastLoginAt = version, now, fromMillis(created), by, timePtr(lastLogin)
		action := ActionUpdate
		switch {
		case old.Role != u.Role || old.Disabled != u.Disabled:
			action = ActionPermission
		case old.PasswordHash != u.PasswordHash:
			action = ActionPassword
		}
		return w.writeVersions(ctx, millis(now), append(base, newVersion{entity: EntityUser, id: u.ID, version: u.Version, at: now,
			actor: actorOr(ctx, u.UpdatedBy), action: actionOr(ctx, action), record: userSnapshot(*u)})...)
	})
	if err != nil {
		return err
	}
	*u = rec
	return nil
}

// GetUser returns the user with id.
func (s *Store) GetUser(ctx context.Context, id int64) (_ domain.User, err error) {
	defer s.fail(&err)
	u, err := scanUser(s.reader().queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	return u, notFound(err, "user")
}

// GetUserByUsername returns the user called name (exactly; usernames are
// lower case by validation).
func (s *Store) GetUserByUsername(ctx context.Context, name string) (_ domain.User, err error) {
	defer s.fail(&err)
	u, err := scanUser(s.reader().queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE username = ?`, name))
	return u, notFound(err, "user")
}

// ListUsers returns every user by username.
func (s *Store) ListUsers(ctx context.Context) (_ []domain.User, err error) {
	defer s.fail(&err)
	rows, err := s.reader().query(ctx, `SELECT `+userColumns+` FROM users ORDER BY username`)
	return collect(rows, err, scanUser)
}

// SetLastLogin records a successful sign-in. It does not change the user's
// version: signing in is not an edit that should make an open form stale.
func (s *Store) SetLastLogin(ctx context.Context, userID int64, at time.Time) (err error) {
	defer s.fail(&err)
	res, err := s.writer().exec(ctx, `UPDATE users SET last_login_at = ? WHERE id = ?`, millis(at), userID)
	return oneRow(res, err, "user")
}

// oneRow turns "no row changed" into not-found for kind.
func oneRow(res sql.Result, err error, kind string) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return domain.NotFound(kind)
	}
	return nil
}
