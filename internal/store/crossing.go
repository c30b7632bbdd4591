package store

import (
	"context"
	"database/sql"

	"vigil/internal/domain"
)

const crossingColumns = `id, version, created_at, updated_at, created_by, updated_by,
	code, name_en, name_fi, name_ru, country, other_country, counterpart, municipality, mode,
	lat, lon, accuracy_km, notes`

func scanCrossingPoint(r rowScanner) (domain.CrossingPoint, error) {
	var (
		c                 domain.CrossingPoint
		created, updated  int64
		lat, lon, accurac sql.NullFloat64
	)
	err := r.Scan(&c.ID, &c.Version, &created, &updated, &c.CreatedBy, &c.UpdatedBy,
		&c.Code, &c.NameEN, &c.NameFI, &c.NameRU, &c.Country, &c.OtherCountry, &c.Counterpart, &c.Municipality, &c.Mode,
		&lat, &lon, &accurac, &c.Notes)
	c.CreatedAt, c.UpdatedAt = fromMillis(created), fromMillis(updated)
	c.Lat, c.Lon, c.AccuracyKM = floatPtr(lat), floatPtr(lon), floatPtr(accurac)
	return c, err
}

// crossingCodeTaken is the error for a second crossing point with a code.
func crossingCodeTaken(code string) error {
	return domain.Errorf(domain.EConflict, "a crossing point with the code %q already exists", code)
}

// CreateCrossingPoint stores a new crossing point and sets its ID, version
// and timestamps.
func (s *Store) CreateCrossingPoint(ctx context.Context, c *domain.CrossingPoint) (err error) {
	defer s.fail(&err)
	now := s.stamp()
	if c.UpdatedBy == 0 {
		c.UpdatedBy = c.CreatedBy
	}
	rec := *c
	err = s.withTx(ctx, func(w conn) error {
		c := &rec
		err := w.queryRow(ctx, `INSERT INTO crossing_points (version, created_at, updated_at, created_by, updated_by,
		code, name_en, name_fi, name_ru, country, other_country, counterpart, municipality, mode, lat, lon, accuracy_km, notes)
		VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			millis(now), millis(now), c.CreatedBy, c.UpdatedBy,
			c.Code, c.NameEN, c.NameFI, c.NameRU, c.Country, c.OtherCountry, c.Counterpart, c.Municipality, c.Mode,
			floatArg(c.Lat), floatArg(c.Lon), floatArg(c.AccuracyKM), c.Notes).Scan(&c.ID)
		if s.d.isUniqueViolation(err) {
			return crossingCodeTaken(c.Code)
		}
		if err != nil {
			return err
		}
		c.Version, c.CreatedAt, c.UpdatedAt = 1, now, now
		return w.writeVersions(ctx, millis(now), newVersion{entity: EntityCrossingPoint, id: c.ID, version: 1, at: now,
			actor: actorOr(ctx, c.CreatedBy), action: actionOr(ctx, ActionCreate), record: *c})
	})
	if err != nil {
		return err
	}
	*c = rec
	return nil
}

// UpdateCrossingPoint saves c if nobody saved it since c.Version was read.
func (s *Store) UpdateCrossingPoint(ctx context.Context, c *domain.CrossingPoint) (err error) {
	defer s.fail(&err)
	now := s.stamp()
	rec := *c
	err = s.withTx(ctx, func(w conn) error {
		base, err := baseline(ctx, w, EntityCrossingPoint, rec.ID, rec.Version, func() (domain.CrossingPoint, error) {
			return scanCrossingPoint(w.queryRow(ctx, `SELECT `+crossingColumns+` FROM crossing_points WHERE id = ? AND version = ?`, rec.ID, rec.Version))
		}, func(c *domain.CrossingPoint) *domain.Meta { return &c.Meta })
		if err != nil {
			return err
		}
		c := &rec
		var (
			version int
			created int64
			by      int64
		)
		err = w.queryRow(ctx, `UPDATE crossing_points SET version = version + 1, updated_at = ?, updated_by = ?,
		code = ?, name_en = ?, name_fi = ?, name_ru = ?, country = ?, other_country = ?, counterpart = ?,
		municipality = ?, mode = ?, lat = ?, lon = ?, accuracy_km = ?, notes = ?
		WHERE id = ? AND version = ? RETURNING version, created_at, created_by`,
			millis(now), c.UpdatedBy,
			c.Code, c.NameEN, c.NameFI, c.NameRU, c.Country, c.OtherCountry, c.Counterpart,
			c.Municipality, c.Mode, floatArg(c.Lat), floatArg(c.Lon), floatArg(c.AccuracyKM), c.Notes,
			c.ID, c.Version).Scan(&version, &created, &by)
		if s.d.isUniqueViolation(err) {
			return crossingCodeTaken(c.Code)
		}
		if err := w.updated(ctx, err, "crossing_points", "crossing point", c.ID); err != nil {
			return err
		}
		c.Version, c.UpdatedAt, c.CreatedAt, c.CreatedBy = version, now, fromMillis(created), by
		return w.writeVersions(ctx, millis(now), append(base, newVersion{entity: EntityCrossingPoint, id: c.ID, version: c.Version, at: now,
			actor: actorOr(ctx, c.UpdatedBy), action: actionOr(ctx, ActionUpdate), record: *c})...)
	})
	if err != nil {
		return err
	}
	*c = rec
	return nil
}

// GetCrossingPoint returns the crossing point with id.
func (s *Store) GetCrossingPoint(ctx context.Context, id int64) (_ domain.CrossingPoint, err error) {
	defer s.fail(&err)
	c, err := scanCrossingPoint(s.reader().queryRow(ctx, `SELECT `+crossingColumns+` FROM crossing_points WHERE id = ?`, id))
	return c, notFound(err, "crossing point")
}

// GetCrossingPointByCode returns the crossing point with code.
func (s *Store) GetCrossingPointByCode(ctx context.Context, code string) (_ domain.CrossingPoint, err error) {
	defer s.fail(&err)
	c, err := scanCrossingPoint(s.reader().queryRow(ctx, `SELECT `+crossingColumns+` FROM crossing_points WHERE code = ?`, code))
	return c, notFound(err, "crossing point")
}

// ListCrossingPoints returns every crossing point by code; there are tens,
// not thousands.
func (s *Store) ListCrossingPoints(ctx context.Context) (_ []domain.CrossingPoint, err error) {
	defer s.fail(&err)
	rows, err := s.reader().query(ctx, `SELECT `+crossingColumns+` FROM crossing_points ORDER BY code, id`)
	return collect(rows, err, scanCrossingPoint)
}
