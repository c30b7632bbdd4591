package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"

	"vigil/internal/domain"
)

// CaseFilter narrows ListCases; zero fields match everything.
type CaseFilter struct {
	AssignedTo  int64
	Nationality string // the person's
	Query       string // part of the person's pseudonym
}

const caseColumns = `c.id, c.version, c.created_at, c.updated_at, c.created_by, c.updated_by,
	c.arrived_on, c.crossing_point, c.assigned_to, c.reception_allowance, c.notes, c.status_known_on,
	p.id, p.version, p.created_at, p.updated_at, p.created_by, p.updated_by,
	p.pseudonym, p.nationality, p.birth_year, p.gender, p.identity_name, p.identity_dob, p.identity_phone`

const caseFrom = ` FROM asylum_cases c JOIN persons p ON p.id = c.person_id`

func scanCase(r rowScanner) (domain.AsylumCase, error) {
	var (
		c                    domain.AsylumCase
		p                    = &c.Person
		created, updated     int64
		pCreated, pUpdated   int64
		allowance, birthYear sql.NullInt64
	)
	err := r.Scan(&c.ID, &c.Version, &created, &updated, &c.CreatedBy, &c.UpdatedBy,
		&c.ArrivedOn, &c.CrossingPoint, &c.AssignedTo, &allowance, &c.Notes, &c.StatusKnownOn,
		&p.ID, &p.Version, &pCreated, &pUpdated, &p.CreatedBy, &p.UpdatedBy,
		&p.Pseudonym, &p.Nationality, &birthYear, &p.Gender, &p.Identity.Name, &p.Identity.DateOfBirth, &p.Identity.Phone)
	c.CreatedAt, c.UpdatedAt = fromMillis(created), fromMillis(updated)
	p.CreatedAt, p.UpdatedAt = fromMillis(pCreated), fromMillis(pUpdated)
	c.ReceptionAllowance, p.BirthYear = intPtr(allowance), intPtr(birthYear)
	return c, err
}

func caseDates(c *domain.AsylumCase) error {
	ds := []domain.Date{c.ArrivedOn, c.StatusKnownOn, c.Person.Identity.DateOfBirth}
	for _, e := range c.Events {
		ds = append(ds, e.On)
	}
	return validDates(ds...)
}

// sortEvents puts events in date order, the order GetCase returns them in;
// inserting them in that order also makes their IDs follow it.
func sortEvents(es []domain.ProcedureEvent) {
	slices.SortStableFunc(es, func(a, b domain.ProcedureEvent) int { return strings.Compare(dateText(a.On), dateText(b.On)) })
}

// insertEvents replaces nothing: callers delete the old events first.
func insertEvents(ctx context.Context, c conn, caseID int64, es []domain.ProcedureEvent) error {
	for i := range es {
		e := &es[i]
		if err := c.queryRow(ctx, `INSERT INTO procedure_events (case_id, happened_on, kind, note) VALUES (?, ?, ?, ?) RETURNING id`,
			caseID, dateText(e.On), e.Kind, e.Note).Scan(&e.ID); err != nil {
			return err
		}
	}
	return nil
}

// caseToSave checks the dates of ac and returns the copy a save works on,
// its events in date order in a slice of its own: ac itself changes only
// once the save has succeeded.
func caseToSave(ac *domain.AsylumCase) (domain.AsylumCase, error) {
	if err := caseDates(ac); err != nil {
		return domain.AsylumCase{}, err
	}
	rec := *ac
	rec.Events = slices.Clone(ac.Events)
	sortEvents(rec.Events)
	return rec, nil
}

// CreateCase stores a new case with its person and events, and sets the
// IDs, versions and timestamps of all three.
func (s *Store) CreateCase(ctx context.Context, ac *domain.AsylumCase) (err error) {
	defer s.fail(&err)
	rec, err := caseToSave(ac)
	if err != nil {
		return err
	}
	now := s.stamp()
	if rec.UpdatedBy == 0 {
		rec.UpdatedBy = rec.CreatedBy
	}
	rec.Version, rec.CreatedAt, rec.UpdatedAt = 1, now, now
	p := &rec.Person
	p.Version, p.CreatedAt, p.UpdatedAt, p.CreatedBy, p.UpdatedBy = 1, now, now, rec.CreatedBy, rec.UpdatedBy
	err = s.withTx(ctx, func(c conn) error {
		err := c.queryRow(ctx, `INSERT INTO persons (version, created_at, updated_at, created_by, updated_by,
			pseudonym, nationality, birth_year, gender, identity_name, identity_dob, identity_phone)
			VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			millis(now), millis(now), p.CreatedBy, p.UpdatedBy,
			p.Pseudonym, p.Nationality, intArg(p.BirthYear), p.Gender, p.Identity.Name, dateText(p.Identity.DateOfBirth), p.Identity.Phone,
		).Scan(&p.ID)
		if err != nil {
			return err
		}
		err = c.queryRow(ctx, `INSERT INTO asylum_cases (version, created_at, updated_at, created_by, updated_by,
			person_id, arrived_on, crossing_point, assigned_to, reception_allowance, notes, status_known_on)
			VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			millis(now), millis(now), rec.CreatedBy, rec.UpdatedBy,
			p.ID, dateText(rec.ArrivedOn), rec.CrossingPoint, rec.AssignedTo, intArg(rec.ReceptionAllowance), rec.Notes, dateText(rec.StatusKnownOn),
		).Scan(&rec.ID)
		if err != nil {
			return err
		}
		if err := insertEvents(ctx, c, rec.ID, rec.Events); err != nil {
			return err
		}
		// One version for the case, its person and its events: they are
		// edited together.
		return c.writeVersions(ctx, millis(now), newVersion{entity: EntityCase, id: rec.ID, version: 1, at: now,
			actor: actorOr(ctx, rec.CreatedBy), action: actionOr(ctx, ActionCreate), record: rec})
	})
	if err != nil {
		return err
	}
	*ac = rec
	return nil
}

// UpdateCase saves the case, its person and its events if nobody saved the
// case since ac.Version was read. The event list is replaced as a whole
// (events get new IDs). The person is the one the case already has,
// whatever ac.Person.ID says.
func (s *Store) UpdateCase(ctx context.Context, ac *domain.AsylumCase) (err error) {
	defer s.fail(&err)
	rec, err := caseToSave(ac)
	if err != nil {
		return err
	}
	now := s.stamp()
	err = s.withTx(ctx, func(c conn) error {
		base, err := baseline(ctx, c, EntityCase, rec.ID, rec.Version, func() (domain.AsylumCase, error) {
			old, err := scanCase(c.queryRow(ctx, `SELECT `+caseColumns+caseFrom+` WHERE c.id = ? AND c.version = ?`, rec.ID, rec.Version))
			if err != nil {
				return old, err
			}
			cases := []domain.AsylumCase{old}
			err = s.loadEvents(ctx, c, cases)
			return cases[0], err
		}, func(ac *domain.AsylumCase) *domain.Meta { return &ac.Meta })
		if err != nil {
			return err
		}
		var created int64
		p := &rec.Person
		err = c.queryRow(ctx, `UPDATE asylum_cases SET version = version + 1, updated_at = ?, updated_by = ?,
			arrived_on = ?, crossing_point = ?, assigned_to = ?, reception_allowance = ?, notes = ?, status_known_on = ?
			WHERE id = ? AND version = ? RETURNING version, created_at, created_by, person_id`,
			millis(now), rec.UpdatedBy,
			dateText(rec.ArrivedOn), rec.CrossingPoint, rec.AssignedTo, intArg(rec.ReceptionAllowance), rec.Notes, dateText(rec.StatusKnownOn),
			rec.ID, rec.Version).Scan(&rec.Version, &created, &rec.CreatedBy, &p.ID)
		if err := c.updated(ctx, err, "asylum_cases", "case", rec.ID); err != nil {
			return err
		}
		rec.CreatedAt, rec.UpdatedAt = fromMillis(created), now
		// The case's version guards the person too: they are edited together.
		err = c.queryRow(ctx, `UPDATE persons SET version = version + 1, updated_at = ?, updated_by = ?,
			pseudonym = ?, nationality = ?, birth_year = ?, gender = ?, identity_name = ?, identity_dob = ?, identity_phone = ?
			WHERE id = ? RETURNING version, created_at, created_by`,
			millis(now), rec.UpdatedBy,
			p.Pseudonym, p.Nationality, intArg(p.BirthYear), p.Gender, p.Identity.Name, dateText(p.Identity.DateOfBirth), p.Identity.Phone,
			p.ID).Scan(&p.Version, &created, &p.CreatedBy)
		if err != nil {
			return err
		}
		p.CreatedAt, p.UpdatedAt, p.UpdatedBy = fromMillis(created), now, rec.UpdatedBy
		if _, err := c.exec(ctx, `DELETE FROM procedure_events WHERE case_id = ?`, rec.ID); err != nil {
			return err
		}
		if err := insertEvents(ctx, c, rec.ID, rec.Events); err != nil {
			return err
		}
		return c.writeVersions(ctx, millis(now), append(base, newVersion{entity: EntityCase, id: rec.ID, version: rec.Version, at: now,
			actor: actorOr(ctx, rec.UpdatedBy), action: actionOr(ctx, ActionUpdate), record: rec})...)
	})
	if err != nil {
		return err
	}
	*ac = rec
	return nil
}

// GetCase returns the case with id, with its person and its events in date
// order.
func (s *Store) GetCase(ctx context.Context, id int64) (_ domain.AsylumCase, err error) {
	defer s.fail(&err)
	r := s.reader()
	ac, err := scanCase(r.queryRow(ctx, `SELECT `+caseColumns+caseFrom+` WHERE c.id = ?`, id))
	if err != nil {
		return ac, notFound(err, "case")
	}
	cases := []domain.AsylumCase{ac}
	if err := s.loadEvents(ctx, r, cases); err != nil {
		return ac, err
	}
	return cases[0], nil
}

// loadEvents fills in the events of cases with one query.
func (s *Store) loadEvents(ctx context.Context, r conn, cases []domain.AsylumCase) error {
	if len(cases) == 0 {
		return nil
	}
	idx := make(map[int64]int, len(cases))
	ids := make([]int64, len(cases))
	for i, c := range cases {
		idx[c.ID], ids[i] = i, c.ID
	}
	cond, arg := s.d.int64In("case_id", ids)
	rows, err := r.query(ctx, `SELECT case_id, id, happened_on, kind, note FROM procedure_events WHERE `+cond+
		` ORDER BY case_id, happened_on, id`, arg)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			caseID int64
			e      domain.ProcedureEvent
		)
		if err := rows.Scan(&caseID, &e.ID, &e.On, &e.Kind, &e.Note); err != nil {
			return err
		}
		c := &cases[idx[caseID]]
		c.Events = append(c.Events, e)
	}
	return rows.Err()
}

// likeEscaper makes user text literal inside a LIKE pattern.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// ListCases returns one page of cases, newest first, with their persons and
// events, and the cursor of the next page ("" on the last). The pseudonym
// match ignores case (on SQLite only for ASCII letters).
func (s *Store) ListCases(ctx context.Context, f CaseFilter, p domain.Page) (_ []domain.AsylumCase, next string, err error) {
	defer s.fail(&err)
	p = p.Normalized()
	cur, ok, err := decodeCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	var w where
	if f.AssignedTo != 0 {
		w.add("c.assigned_to = ?", f.AssignedTo)
	}
	if f.Nationality != "" {
		w.add("p.nationality = ?", f.Nationality)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		w.add(`lower(p.pseudonym) LIKE ? ESCAPE '\'`, "%"+likeEscaper.Replace(strings.ToLower(q))+"%")
	}
	if ok {
		w.add("c.id < ?", cur.ID)
	}
	r := s.reader()
	rows, err := r.query(ctx, `SELECT `+caseColumns+caseFrom+w.String()+` ORDER BY c.id DESC LIMIT ?`, append(w.args, p.Limit+1)...)
	items, err := collect(rows, err, scanCase)
	if err != nil {
		return nil, "", err
	}
	items, next = page(items, p.Limit, func(c domain.AsylumCase) (string, int64) { return "", c.ID })
	if err := s.loadEvents(ctx, r, items); err != nil {
		return nil, "", err
	}
	return items, next, nil
}
