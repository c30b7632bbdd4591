package store

import (
	"context"

	"vigil/internal/domain"
)

// FigureFilter narrows ListFigures; empty fields match everything.
type FigureFilter struct {
	Measure string
}

const figureColumns = `f.id, f.version, f.created_at, f.updated_at, f.created_by, f.updated_by,
	f.period_from, f.period_to, f.measure, f.breakdown, f.breakdown_value, f.value, f.unit, f.approximation,
	f.producer, f.source_publisher, f.source_url, f.source_retrieved_on, f.note`

func scanFigure(r rowScanner) (domain.Figure, error) {
	var (
		f                domain.Figure
		created, updated int64
	)
	err := r.Scan(&f.ID, &f.Version, &created, &updated, &f.CreatedBy, &f.UpdatedBy,
		&f.PeriodFrom, &f.PeriodTo, &f.Measure, &f.Breakdown, &f.BreakdownValue, &f.Value, &f.Unit, &f.Approximation,
		&f.Producer, &f.Source.Publisher, &f.Source.URL, &f.Source.RetrievedOn, &f.Note)
	f.CreatedAt, f.UpdatedAt = fromMillis(created), fromMillis(updated)
	return f, err
}

// CreateFigure stores a new figure and sets its ID, version and timestamps.
func (s *Store) CreateFigure(ctx context.Context, f *domain.Figure) (err error) {
	defer s.fail(&err)
	if err := validDates(f.PeriodFrom, f.PeriodTo, f.Source.RetrievedOn); err != nil {
		return err
	}
	now := s.stamp()
	if f.UpdatedBy == 0 {
		f.UpdatedBy = f.CreatedBy
	}
	rec := *f
	err = s.withTx(ctx, func(w conn) error {
		f := &rec
		err := w.queryRow(ctx, `INSERT INTO figures (version, created_at, updated_at, created_by, updated_by,
		period_from, period_to, measure, breakdown, breakdown_value, value, unit, approximation,
		producer, source_publisher, source_url, source_retrieved_on, note)
		VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			millis(now), millis(now), f.CreatedBy, f.UpdatedBy,
			dateText(f.PeriodFrom), dateText(f.PeriodTo), f.Measure, f.Breakdown, f.BreakdownValue, f.Value, f.Unit, f.Approximation,
			f.Producer, f.Source.Publisher, f.Source.URL, dateText(f.Source.RetrievedOn), f.Note).Scan(&f.ID)
		if err != nil {
			return err
		}
		f.Version, f.CreatedAt, f.UpdatedAt = 1, now, now
		return w.writeVersions(ctx, millis(now), newVersion{entity: EntityFigure, id: f.ID, version: 1, at: now,
			actor: actorOr(ctx, f.CreatedBy), action: actionOr(ctx, ActionCreate), record: *f})
	})
	if err != nil {
		return err
	}
	*f = rec
	return nil
}

// UpdateFigure saves f if nobody saved it since f.Version was read.
func (s *Store) UpdateFigure(ctx context.Context, f *domain.Figure) (err error) {
	defer s.fail(&err)
	if err := validDates(f.PeriodFrom, f.PeriodTo, f.Source.RetrievedOn); err != nil {
		return err
	}
	now := s.stamp()
	rec := *f
	err = s.withTx(ctx, func(w conn) error {
		base, err := baseline(ctx, w, EntityFigure, rec.ID, rec.Version, func() (domain.Figure, error) {
			return scanFigure(w.queryRow(ctx, `SELECT `+figureColumns+` FROM figures f WHERE f.id = ? AND f.version = ?`, rec.ID, rec.Version))
		}, func(f *domain.Figure) *domain.Meta { return &f.Meta })
		if err != nil {
			return err
		}
		f := &rec
		var (
			version     int
			created, by int64
		)
		err = w.queryRow(ctx, `UPDATE figures SET version = version + 1, updated_at = ?, updated_by = ?,
		period_from = ?, period_to = ?, measure = ?, breakdown = ?, breakdown_value = ?, value = ?, unit = ?,
		approximation = ?, producer = ?, source_publisher = ?, source_url = ?, source_retrieved_on = ?, note = ?
		WHERE id = ? AND version = ? RETURNING version, created_at, created_by`,
			millis(now), f.UpdatedBy,
			dateText(f.PeriodFrom), dateText(f.PeriodTo), f.Measure, f.Breakdown, f.BreakdownValue, f.Value, f.Unit,
			f.Approximation, f.Producer, f.Source.Publisher, f.Source.URL, dateText(f.Source.RetrievedOn), f.Note,
			f.ID, f.Version).Scan(&version, &created, &by)
		if err := w.updated(ctx, err, "figures", "figure", f.ID); err != nil {
			return err
		}
		f.Version, f.UpdatedAt, f.CreatedAt, f.CreatedBy = version, now, fromMillis(created), by
		return w.writeVersions(ctx, millis(now), append(base, newVersion{entity: EntityFigure, id: f.ID, version: f.Version, at: now,
			actor: actorOr(ctx, f.UpdatedBy), action: actionOr(ctx, ActionUpdate), record: *f})...)
	})
	if err != nil {
		return err
	}
	*f = rec
	return nil
}

// GetFigure returns the figure with id.
func (s *Store) GetFigure(ctx context.Context, id int64) (_ domain.Figure, err error) {
	defer s.fail(&err)
	f, err := scanFigure(s.reader().queryRow(ctx, `SELECT `+figureColumns+` FROM figures f WHERE f.id = ?`, id))
	return f, notFound(err, "figure")
}

// ListFigures returns one page of figures, latest cut-off first, and the
// cursor of the next page ("" on the last).
func (s *Store) ListFigures(ctx context.Context, filter FigureFilter, p domain.Page) (_ []domain.Figure, next string, err error) {
	defer s.fail(&err)
	p = p.Normalized()
	cur, ok, err := decodeCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	var w where
	if filter.Measure != "" {
		w.add("f.measure = ?", filter.Measure)
	}
	if ok {
		w.add("(f.period_to, f.id) < (?, ?)", cur.K, cur.ID)
	}
	rows, err := s.reader().query(ctx, `SELECT `+figureColumns+` FROM figures f`+w.String()+
		` ORDER BY f.period_to DESC, f.id DESC LIMIT ?`, append(w.args, p.Limit+1)...)
	items, err := collect(rows, err, scanFigure)
	if err != nil {
		return nil, "", err
	}
	items, next = page(items, p.Limit, func(f domain.Figure) (string, int64) { return dateText(f.PeriodTo), f.ID })
	return items, next, nil
}
