package store

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"time"

	"vigil/internal/domain"
)

// Bulk loading is for the synthetic data generator, imports and
// benchmarks. Each call is one transaction. Records keep a Version,
// CreatedAt and UpdatedAt that are already set (an import keeps its
// history); zero ones get 1 and now. The new IDs are written back into the
// caller's slice, so links can be made to the records afterwards. Each
// batch is one audit entry ("bulk_create") whose digest covers every row;
// bulk-loaded records get no version snapshot until they are first edited
// (see baseline), which keeps a load of millions of rows fast.

// BulkInsertTestimonies inserts ts in one transaction.
func (s *Store) BulkInsertTestimonies(ctx context.Context, ts []domain.Testimony) (err error) {
	defer s.fail(&err)
	if len(ts) == 0 {
		return nil
	}
	for i := range ts {
		if err := validDates(ts[i].ReceivedOn); err != nil {
			return err
		}
	}
	if s.au == nil {
		return errNoAuditKey
	}
	now := s.stamp()
	recs := slices.Clone(ts)
	for i := range recs {
		fillMeta(&recs[i].Meta, now)
	}
	bd := s.au.newBatchDigest()
	err = s.bulkTx(ctx, func(tx *sql.Tx, c conn) error {
		if s.d.name() == "postgres" {
			if err := pgBulkInsert(ctx, c, "testimonies", testimonyInsertColumns, testimonyInsertColumnCount, len(recs),
				func(i int, id int64) []any {
					recs[i].ID = id
					args := testimonyArgs(&recs[i])
					bd.row(id, args)
					return args
				}); err != nil {
				return err
			}
		} else {
			var args []any
			if err := sqliteInsertEach(ctx, tx, insertTestimony, len(recs), func(i int) []any { args = testimonyArgs(&recs[i]); return args },
				func(i int, id int64) { recs[i].ID = id; bd.row(id, args) }); err != nil {
				return err
			}
			order := inKeyOrder(len(recs), func(i int) (domain.Date, int64) { return recs[i].ReceivedOn, recs[i].ID })
			if err := sqliteExecEach(ctx, tx, s.d.textIndexInsert("testimonies"), len(recs),
				func(i int) []any { return testimonyText(&recs[order[i]]) }); err != nil {
				return err
			}
		}
		if err := addCounters(ctx, c, counterDeltas{{counterTestimonies, ""}: int64(len(recs))}); err != nil {
			return err
		}
		_, err := c.appendEntry(ctx, millis(now), AuditEvent{ActorID: actorOr(ctx, recs[0].CreatedBy), Action: ActionBulkCreate,
			Entity: EntityTestimony, EntityID: recs[0].ID}, 0, bd.sum())
		return err
	})
	if err != nil {
		return err
	}
	copy(ts, recs)
	return nil
}

// BulkInsertIncidents inserts ins, with their tags, in one transaction.
func (s *Store) BulkInsertIncidents(ctx context.Context, ins []domain.Incident) (err error) {
	defer s.fail(&err)
	if len(ins) == 0 {
		return nil
	}
	for i := range ins {
		if err := incidentDates(&ins[i]); err != nil {
			return err
		}
	}
	if s.au == nil {
		return errNoAuditKey
	}
	now := s.stamp()
	recs := slices.Clone(ins)
	d := counterDeltas{}
	for i := range recs {
		fillMeta(&recs[i].Meta, now)
		d.incident(&recs[i], 1)
	}
	bd := s.au.newBatchDigest()
	err = s.bulkTx(ctx, func(tx *sql.Tx, c conn) error {
		if s.d.name() == "postgres" {
			if err := pgBulkInsert(ctx, c, "incidents", incidentInsertColumns, incidentInsertColumnCount, len(recs),
				func(i int, id int64) []any {
					recs[i].ID = id
					args := incidentArgs(&recs[i])
					bd.row(id, args)
					return args
				}); err != nil {
				return err
			}
			var tags [][]any
			for i := range recs {
				tags = tagRows(recs[i].ID, &recs[i], tags)
			}
			if err := insertTags(ctx, c, tags); err != nil {
				return err
			}
		} else {
			// On SQLite a prepared statement per row costs no round trip and
			// is as fast as multi-row VALUES.
			var args []any
			if err := sqliteInsertEach(ctx, tx, insertIncident, len(recs), func(i int) []any { args = incidentArgs(&recs[i]); return args },
				func(i int, id int64) { recs[i].ID = id; bd.row(id, args) }); err != nil {
				return err
			}
			order := inKeyOrder(len(recs), func(i int) (domain.Date, int64) { return recs[i].When.From, recs[i].ID })
			if err := sqliteExecEach(ctx, tx, s.d.textIndexInsert("incidents"), len(recs),
				func(i int) []any { return incidentText(&recs[order[i]]) }); err != nil {
				return err
			}
			var tags [][]any
			for i := range recs {
				tags = tagRows(recs[i].ID, &recs[i], tags)
			}
			// In the order of the tag index, so each of its pages is
			// touched once per batch instead of once per row.
			slices.SortFunc(tags, func(a, b []any) int {
				return cmp.Or(cmp.Compare(a[1].(string), b[1].(string)), cmp.Compare(a[2].(string), b[2].(string)),
					cmp.Compare(a[3].(string), b[3].(string)), cmp.Compare(a[0].(int64), b[0].(int64)))
			})
			if err := sqliteExecEach(ctx, tx, `INSERT INTO incident_tags (incident_id, dim, value, when_from) VALUES (?, ?, ?, ?)`,
				len(tags), func(i int) []any { return tags[i] }); err != nil {
				return err
			}
		}
		if err := addCounters(ctx, c, d); err != nil {
			return err
		}
		_, err := c.appendEntry(ctx, millis(now), AuditEvent{ActorID: actorOr(ctx, recs[0].CreatedBy), Action: ActionBulkCreate,
			Entity: EntityIncident, EntityID: recs[0].ID}, 0, bd.sum())
		return err
	})
	if err != nil {
		return err
	}
	copy(ins, recs)
	return nil
}

// sqliteInsertEach runs the INSERT ... RETURNING id statement for n rows.
func sqliteInsertEach(ctx context.Context, tx *sql.Tx, query string, n int, args func(i int) []any, setID func(i int, id int64)) error {
	stmt, err := tx.PrepareContext(ctx, query)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for i := range n {
		var id int64
		if err := stmt.QueryRowContext(ctx, args(i)...).Scan(&id); err != nil {
			return err
		}
		setID(i, id)
	}
	return nil
}

// inKeyOrder returns the indexes 0..n-1 of a batch in the order of the
// records' full-text index keys (list date, then id; sortKeySQL). FTS5
// writes out what it has gathered whenever a row's key is lower than the
// one before, so rows in date order are indexed in one piece per batch,
// while rows in the order they were made (their dates at random) would be
// written out nearly one at a time.
func inKeyOrder(n int, key func(i int) (domain.Date, int64)) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		da, ia := key(a)
		db, ib := key(b)
		return cmp.Or(cmp.Compare(dateText(da), dateText(db)), cmp.Compare(ia, ib))
	})
	return order
}

// sqliteExecEach runs a statement for n rows.
func sqliteExecEach(ctx context.Context, tx *sql.Tx, query string, n int, args func(i int) []any) error {
	stmt, err := tx.PrepareContext(ctx, query)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for i := range n {
		if _, err := stmt.ExecContext(ctx, args(i)...); err != nil {
			return err
		}
	}
	return nil
}

func fillMeta(m *domain.Meta, now time.Time) {
	if m.Version <= 0 {
		m.Version = 1
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = now
	}
	if m.UpdatedAt.IsZero() {
		m.UpdatedAt = m.CreatedAt
	}
	// The database keeps milliseconds; the records handed back say so.
	m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC().Truncate(time.Millisecond), m.UpdatedAt.UTC().Truncate(time.Millisecond)
	if m.UpdatedBy == 0 {
		m.UpdatedBy = m.CreatedBy
	}
}

func (s *Store) bulkTx(ctx context.Context, fn func(tx *sql.Tx, c conn) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx, conn{q: tx, d: s.d, au: s.au}); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// pgBulkInsert inserts n rows into table with multi-row VALUES, the fast
// path on PostgreSQL. IDs are drawn from the identity sequence first,
// because the order of rows that a multi-row INSERT ... RETURNING gives back
// is not promised to match the VALUES list. args(i, id) returns the values
// of row i, which gets id.
func pgBulkInsert(ctx context.Context, c conn, table, columns string, ncols, n int, args func(i int, id int64) []any) error {
	rows, err := c.query(ctx, `SELECT nextval(pg_get_serial_sequence(?, 'id')) FROM generate_series(1, ?)`, table, n)
	ids, err := collect(rows, err, func(r rowScanner) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
	if err != nil {
		return err
	}
	slices.Sort(ids)
	vals := make([][]any, n)
	for i := range n {
		vals[i] = append([]any{ids[i]}, args(i, ids[i])...)
	}
	return insertRows(ctx, c, `INSERT INTO `+table+` (id, `+columns+`) OVERRIDING SYSTEM VALUE VALUES `, ncols+1, vals)
}
