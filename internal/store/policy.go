package store

import (
	"context"

	"vigil/internal/domain"
)

const policyColumns = `id, version, created_at, updated_at, created_by, updated_by,
	when_from, when_to, when_precision, time_of_day, kind, crossing_points, detail,
	source_publisher, source_url, source_retrieved_on`

func scanPolicyEvent(r rowScanner) (domain.PolicyEvent, error) {
	var (
		e                domain.PolicyEvent
		created, updated int64
		points           string
	)
	err := r.Scan(&e.ID, &e.Version, &created, &updated, &e.CreatedBy, &e.UpdatedBy,
		&e.When.From, &e.When.To, &e.When.Precision, &e.Time, &e.Kind, &points, &e.Detail,
		&e.Source.Publisher, &e.Source.URL, &e.Source.RetrievedOn)
	if err != nil {
		return e, err
	}
	e.CreatedAt, e.UpdatedAt = fromMillis(created), fromMillis(updated)
	e.CrossingPoints, err = fromJSON[string](points)
	return e, err
}

// CreatePolicyEvent stores a new policy event and sets its ID, version and
// timestamps.
func (s *Store) CreatePolicyEvent(ctx context.Context, e *domain.PolicyEvent) (err error) {
	defer s.fail(&err)
	if err := validDates(e.When.From, e.When.To, e.Source.RetrievedOn); err != nil {
		return err
	}
	now := s.stamp()
	if e.UpdatedBy == 0 {
		e.UpdatedBy = e.CreatedBy
	}
	rec := *e
	err = s.withTx(ctx, func(w conn) error {
		e := &rec
		err := w.queryRow(ctx, `INSERT INTO policy_events (version, created_at, updated_at, created_by, updated_by,
		when_from, when_to, when_precision, time_of_day, kind, crossing_points, detail,
		source_publisher, source_url, source_retrieved_on)
		VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			millis(now), millis(now), e.CreatedBy, e.UpdatedBy,
			dateText(e.When.From), dateText(e.When.To), e.When.Precision, e.Time, e.Kind, jsonText(e.CrossingPoints), e.Detail,
			e.Source.Publisher, e.Source.URL, dateText(e.Source.RetrievedOn)).Scan(&e.ID)
		if err != nil {
			return err
		}
		e.Version, e.CreatedAt, e.UpdatedAt = 1, now, now
		return w.writeVersions(ctx, millis(now), newVersion{entity: EntityPolicyEvent, id: e.ID, version: 1, at: now,
			actor: actorOr(ctx, e.CreatedBy), action: actionOr(ctx, ActionCreate), record: *e})
	})
	if err != nil {
		return err
	}
	*e = rec
	return nil
}

// UpdatePolicyEvent saves e if nobody saved it since e.Version was read.
func (s *Store) UpdatePolicyEvent(ctx context.Context, e *domain.PolicyEvent) (err error) {
	defer s.fail(&err)
	if err := validDates(e.When.From, e.When.To, e.Source.RetrievedOn); err != nil {
		return err
	}
	now := s.stamp()
	rec := *e
	err = s.withTx(ctx, func(w conn) error {
		base, err := baseline(ctx, w, EntityPolicyEvent, rec.ID, rec.Version, func() (domain.PolicyEvent, error) {
			return scanPolicyEvent(w.queryRow(ctx, `SELECT `+policyColumns+` FROM policy_events WHERE id = ? AND version = ?`, rec.ID, rec.Version))
		}, func(e *domain.PolicyEvent) *domain.Meta { return &e.Meta })
		if err != nil {
			return err
		}
		e := &rec
		var (
			version     int
			created, by int64
		)
		err = w.queryRow(ctx, `UPDATE policy_events SET version = version + 1, updated_at = ?, updated_by = ?,
		when_from = ?, when_to = ?, when_precision = ?, time_of_day = ?, kind = ?, crossing_points = ?, detail = ?,
		source_publisher = ?, source_url = ?, source_retrieved_on = ?
		WHERE id = ? AND version = ? RETURNING version, created_at, created_by`,
			millis(now), e.UpdatedBy,
			dateText(e.When.From), dateText(e.When.To), e.When.Precision, e.Time, e.Kind, jsonText(e.CrossingPoints), e.Detail,
			e.Source.Publisher, e.Source.URL, dateText(e.Source.RetrievedOn),
			e.ID, e.Version).Scan(&version, &created, &by)
		if err := w.updated(ctx, err, "policy_events", "policy event", e.ID); err != nil {
			return err
		}
		e.Version, e.UpdatedAt, e.CreatedAt, e.CreatedBy = version, now, fromMillis(created), by
		return w.writeVersions(ctx, millis(now), append(base, newVersion{entity: EntityPolicyEvent, id: e.ID, version: e.Version, at: now,
			actor: actorOr(ctx, e.UpdatedBy), action: actionOr(ctx, ActionUpdate), record: *e})...)
	})
	if err != nil {
		return err
	}
	*e = rec
	return nil
}

// GetPolicyEvent returns the policy event with id.
func (s *Store) GetPolicyEvent(ctx context.Context, id int64) (_ domain.PolicyEvent, err error) {
	defer s.fail(&err)
	e, err := scanPolicyEvent(s.reader().queryRow(ctx, `SELECT `+policyColumns+` FROM policy_events WHERE id = ?`, id))
	return e, notFound(err, "policy event")
}

// ListPolicyEvents returns every policy event in the order they took
// effect, the order domain.StatusOn replays them in.
func (s *Store) ListPolicyEvents(ctx context.Context) (_ []domain.PolicyEvent, err error) {
	defer s.fail(&err)
	rows, err := s.reader().query(ctx, `SELECT `+policyColumns+` FROM policy_events ORDER BY when_from, time_of_day, id`)
	return collect(rows, err, scanPolicyEvent)
}
