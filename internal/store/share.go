package store

import (
	"context"
	"time"

	"vigil/internal/domain"
)

// Share is one testimony shared with one user.
type Share struct {
	TestimonyID int64     `json:"testimony_id"`
	UserID      int64     `json:"user_id"`
	SharedBy    int64     `json:"shared_by"`
	SharedAt    time.Time `json:"shared_at"`
}

// ShareTestimony lets userID see the testimony. Sharing twice keeps the
// first share. NotFound when the testimony or the user does not exist.
func (s *Store) ShareTestimony(ctx context.Context, sh Share) (err error) {
	defer s.fail(&err)
	return s.withTx(ctx, func(c conn) error {
		for _, chk := range []struct {
			table, kind string
			id          int64
		}{{"testimonies", "testimony", sh.TestimonyID}, {"users", "user", sh.UserID}} {
			ok, err := c.exists(ctx, chk.table, chk.id)
			if err != nil {
				return err
			}
			if !ok {
				return domain.NotFound(chk.kind)
			}
		}
		now := s.stamp()
		res, err := c.exec(ctx, `INSERT INTO testimony_shares (testimony_id, user_id, shared_by, shared_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (testimony_id, user_id) DO NOTHING`, sh.TestimonyID, sh.UserID, sh.SharedBy, millis(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return c.appendAudit(ctx, millis(now), AuditEvent{ActorID: sh.SharedBy, Action: "share", Entity: "testimony", EntityID: sh.TestimonyID,
			Detail: map[string]int64{"user_id": sh.UserID}})
	})
}

// UnshareTestimony withdraws a share; NotFound when there was none.
func (s *Store) UnshareTestimony(ctx context.Context, testimonyID, userID, by int64) (err error) {
	defer s.fail(&err)
	return s.withTx(ctx, func(c conn) error {
		res, err := c.exec(ctx, `DELETE FROM testimony_shares WHERE testimony_id = ? AND user_id = ?`, testimonyID, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.NotFound("share")
		}
		return c.appendAudit(ctx, millis(s.stamp()), AuditEvent{ActorID: by, Action: "unshare", Entity: "testimony", EntityID: testimonyID,
			Detail: map[string]int64{"user_id": userID}})
	})
}

// SharesOf lists who a testimony is shared with.
func (s *Store) SharesOf(ctx context.Context, testimonyID int64) (_ []Share, err error) {
	defer s.fail(&err)
	rows, err := s.reader().query(ctx, `SELECT testimony_id, user_id, shared_by, shared_at FROM testimony_shares
		WHERE testimony_id = ? ORDER BY shared_at, user_id`, testimonyID)
	return collect(rows, err, func(r rowScanner) (Share, error) {
		var sh Share
		var at int64
		err := r.Scan(&sh.TestimonyID, &sh.UserID, &sh.SharedBy, &at)
		sh.SharedAt = fromMillis(at)
		return sh, err
	})
}

// IsSharedWith reports whether the testimony is shared with the user.
func (s *Store) IsSharedWith(ctx context.Context, testimonyID, userID int64) (_ bool, err error) {
	defer s.fail(&err)
	var n int
	err = s.reader().queryRow(ctx, `SELECT count(*) FROM testimony_shares WHERE testimony_id = ? AND user_id = ?`, testimonyID, userID).Scan(&n)
	return n > 0, err
}

// visibleToClause restricts testimonies (alias t) to those a user recorded
// or was given: the need-to-know rule for monitors.
const visibleToClause = "(t.recorded_by = ? OR t.id IN (SELECT testimony_id FROM testimony_shares WHERE user_id = ?))"

// CountTestimoniesVisibleTo counts what a need-to-know user may see, for
// dashboards: a count must not tell a monitor how much others recorded.
func (s *Store) CountTestimoniesVisibleTo(ctx context.Context, userID int64) (n int64, err error) {
	defer s.fail(&err)
	err = s.reader().queryRow(ctx, `SELECT count(*) FROM testimonies t WHERE `+visibleToClause, userID, userID).Scan(&n)
	return n, err
}

// CountCasesAssignedTo counts a legal-aid worker's cases.
func (s *Store) CountCasesAssignedTo(ctx context.Context, userID int64) (n int64, err error) {
	defer s.fail(&err)
	err = s.reader().queryRow(ctx, `SELECT count(*) FROM asylum_cases WHERE assigned_to = ?`, userID).Scan(&n)
	return n, err
}
