package store

import (
	"context"

	"vigil/internal/domain"
)

// TestimonyFilter narrows ListTestimonies; zero fields match everything.
type TestimonyFilter struct {
	RecordedBy   int64  // only testimonies this user recorded
	VisibleTo    int64  // only testimonies this user recorded or was given (need-to-know)
	Query        string // words in the narrative, pseudonym or public quotes
	Mode         string
	Nationality  string // the narrator's
	ReceivedFrom domain.Date
	ReceivedTo   domain.Date
	// IDs restricts the list to these testimonies (for example those shared
	// with a user). nil means no restriction; an empty, non-nil slice
	// matches nothing.
	IDs []int64
}

const testimonyColumns = `t.id, t.version, t.created_at, t.updated_at, t.created_by, t.updated_by,
	t.received_on, t.recorded_by, t.mode, t.language, t.interpreter,
	t.narrator_pseudonym, t.narrator_nationality, t.narrator_age_band, t.narrator_gender,
	t.consent_store, t.consent_quote_publicly, t.consent_share_with_partners, t.consent_legal_action,
	t.narrative, t.public_quotes, t.reliability`

func scanTestimony(r rowScanner) (domain.Testimony, error) {
	var (
		t                domain.Testimony
		created, updated int64
	)
	err := r.Scan(&t.ID, &t.Version, &created, &updated, &t.CreatedBy, &t.UpdatedBy,
		&t.ReceivedOn, &t.RecordedBy, &t.Mode, &t.Language, &t.Interpreter,
		&t.Narrator.Pseudonym, &t.Narrator.Nationality, &t.Narrator.AgeBand, &t.Narrator.Gender,
		&t.Consent.Store, &t.Consent.QuotePublicly, &t.Consent.ShareWithPartners, &t.Consent.LegalAction,
		&t.Narrative, &t.PublicQuotes, &t.Reliability)
	t.CreatedAt, t.UpdatedAt = fromMillis(created), fromMillis(updated)
	return t, err
}

const testimonyInsertColumns = `version, created_at, updated_at, created_by, updated_by,
	received_on, recorded_by, mode, language, interpreter,
	narrator_pseudonym, narrator_nationality, narrator_age_band, narrator_gender,
	consent_store, consent_quote_publicly, consent_share_with_partners, consent_legal_action,
	narrative, public_quotes, reliability`

const testimonyInsertColumnCount = 21

const insertTestimony = `INSERT INTO testimonies (` + testimonyInsertColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`

// testimonyArgs are the values of testimonyInsertColumns, in order.
func testimonyArgs(t *domain.Testimony) []any {
	return []any{t.Version, millis(t.CreatedAt), millis(t.UpdatedAt), t.CreatedBy, t.UpdatedBy,
		dateText(t.ReceivedOn), t.RecordedBy, t.Mode, t.Language, t.Interpreter,
		t.Narrator.Pseudonym, t.Narrator.Nationality, t.Narrator.AgeBand, t.Narrator.Gender,
		t.Consent.Store, t.Consent.QuotePublicly, t.Consent.ShareWithPartners, t.Consent.LegalAction,
		t.Narrative, t.PublicQuotes, t.Reliability}
}

// testimonyText is the list date, the id and the full-text columns, for the
// SQLite index (textIndexInsert).
func testimonyText(t *domain.Testimony) []any {
	return []any{dateText(t.ReceivedOn), t.ID, t.Narrative, t.Narrator.Pseudonym, t.PublicQuotes}
}

// CreateTestimony stores a new testimony and sets its ID, version and
// timestamps.
func (s *Store) CreateTestimony(ctx context.Context, t *domain.Testimony) (err error) {
	defer s.fail(&err)
	if err := validDates(t.ReceivedOn); err != nil {
		return err
	}
	rec := *t
	now := s.stamp()
	rec.Version, rec.CreatedAt, rec.UpdatedAt = 1, now, now
	if rec.UpdatedBy == 0 {
		rec.UpdatedBy = rec.CreatedBy
	}
	err = s.withTx(ctx, func(c conn) error {
		if err := c.queryRow(ctx, insertTestimony, testimonyArgs(&rec)...).Scan(&rec.ID); err != nil {
			return err
		}
		if q := s.d.textIndexInsert("testimonies"); q != "" {
			if _, err := c.exec(ctx, q, testimonyText(&rec)...); err != nil {
				return err
			}
		}
		if err := addCounters(ctx, c, counterDeltas{{counterTestimonies, ""}: 1}); err != nil {
			return err
		}
		return c.writeVersions(ctx, millis(now), newVersion{entity: EntityTestimony, id: rec.ID, version: rec.Version, at: now,
			actor: actorOr(ctx, rec.CreatedBy), action: actionOr(ctx, ActionCreate), record: rec})
	})
	if err != nil {
		return err
	}
	*t = rec
	return nil
}

// UpdateTestimony saves t if nobody saved it since t.Version was read.
func (s *Store) UpdateTestimony(ctx context.Context, t *domain.Testimony) (err error) {
	defer s.fail(&err)
	if err := validDates(t.ReceivedOn); err != nil {
		return err
	}
	now := s.stamp()
	rec := *t
	// The update, its version and its audit entry commit together.
	err = s.withTx(ctx, func(w conn) error {
		base, err := baseline(ctx, w, EntityTestimony, rec.ID, rec.Version, func() (domain.Testimony, error) {
			return scanTestimony(w.queryRow(ctx, `SELECT `+testimonyColumns+` FROM testimonies t WHERE t.id = ? AND t.version = ?`, rec.ID, rec.Version))
		}, func(t *domain.Testimony) *domain.Meta { return &t.Meta })
		if err != nil {
			return err
		}
		t := &rec
		var (
			version     int
			created, by int64
		)
		err = w.queryRow(ctx, `UPDATE testimonies SET version = version + 1, updated_at = ?, updated_by = ?,
		received_on = ?, recorded_by = ?, mode = ?, language = ?, interpreter = ?,
		narrator_pseudonym = ?, narrator_nationality = ?, narrator_age_band = ?, narrator_gender = ?,
		consent_store = ?, consent_quote_publicly = ?, consent_share_with_partners = ?, consent_legal_action = ?,
		narrative = ?, public_quotes = ?, reliability = ?
		WHERE id = ? AND version = ? RETURNING version, created_at, created_by`,
			millis(now), t.UpdatedBy,
			dateText(t.ReceivedOn), t.RecordedBy, t.Mode, t.Language, t.Interpreter,
			t.Narrator.Pseudonym, t.Narrator.Nationality, t.Narrator.AgeBand, t.Narrator.Gender,
			t.Consent.Store, t.Consent.QuotePublicly, t.Consent.ShareWithPartners, t.Consent.LegalAction,
			t.Narrative, t.PublicQuotes, t.Reliability,
			t.ID, t.Version).Scan(&version, &created, &by)
		if err := w.updated(ctx, err, "testimonies", "testimony", t.ID); err != nil {
			return err
		}
		t.Version, t.UpdatedAt, t.CreatedAt, t.CreatedBy = version, now, fromMillis(created), by
		return w.writeVersions(ctx, millis(now), append(base, newVersion{entity: EntityTestimony, id: t.ID, version: t.Version, at: now,
			actor: actorOr(ctx, t.UpdatedBy), action: actionOr(ctx, ActionUpdate), record: *t})...)
	})
	if err != nil {
		return err
	}
	*t = rec
	return nil
}

// GetTestimony returns the testimony with id.
func (s *Store) GetTestimony(ctx context.Context, id int64) (_ domain.Testimony, err error) {
	defer s.fail(&err)
	t, err := scanTestimony(s.reader().queryRow(ctx, `SELECT `+testimonyColumns+` FROM testimonies t WHERE t.id = ?`, id))
	return t, notFound(err, "testimony")
}

// ListTestimonies returns one page of testimonies, most recently received
// first, and the cursor of the next page ("" on the last).
func (s *Store) ListTestimonies(ctx context.Context, f TestimonyFilter, p domain.Page) (_ []domain.Testimony, next string, err error) {
	defer s.fail(&err)
	p = p.Normalized()
	cur, ok, err := decodeCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	if f.IDs != nil && len(f.IDs) == 0 {
		return nil, "", nil
	}
	var w where
	if f.RecordedBy != 0 {
		w.add("t.recorded_by = ?", f.RecordedBy)
	}
	if f.VisibleTo != 0 {
		w.add(visibleToClause, f.VisibleTo, f.VisibleTo)
	}
	if f.Mode != "" {
		w.add("t.mode = ?", f.Mode)
	}
	if f.Nationality != "" {
		w.add("t.narrator_nationality = ?", f.Nationality)
	}
	if !f.ReceivedFrom.IsZero() {
		w.add("t.received_on >= ?", dateText(f.ReceivedFrom))
	}
	if !f.ReceivedTo.IsZero() {
		w.add("t.received_on <> '' AND t.received_on <= ?", dateText(f.ReceivedTo))
	}
	if f.IDs != nil {
		w.add(s.d.int64In("t.id", f.IDs))
	}
	var words []string
	if f.Query != "" {
		if words = searchWords(f.Query); len(words) == 0 {
			return nil, "", nil // only punctuation: nothing can match
		}
	}
	general := func(c conn, cur cursorKey, curOK bool, limit int) ([]domain.Testimony, error) {
		w := w.clone()
		if words != nil {
			cond, arg, err := s.d.fullText(ctx, c, "testimonies", "t", "t.received_on", "t.id", words)
			if err != nil {
				return nil, err
			}
			w.add(cond, arg)
		}
		if curOK {
			w.add("(t.received_on, t.id) < (?, ?)", cur.K, cur.ID)
		}
		rows, err := c.query(ctx, `SELECT `+testimonyColumns+` FROM testimonies t`+w.String()+
			` ORDER BY t.received_on DESC, t.id DESC LIMIT ?`, append(w.args, limit)...)
		return collect(rows, err, scanTestimony)
	}
	var items []domain.Testimony
	if words != nil && s.d.name() == "sqlite" {
		l := textListQuery[domain.Testimony]{table: "testimonies", alias: "t", cols: testimonyColumns, date: "t.received_on",
			scan: scanTestimony, others: w, general: general, from: dateText(f.ReceivedFrom), to: dateText(f.ReceivedTo)}
		// A recorder or a nationality has an index in list order to merge
		// the matches with (mergeByText).
		switch {
		case f.RecordedBy != 0:
			l.merge = listOrderKeys("testimonies t", "t.received_on", "t.id", "testimonies_recorder", "t.recorded_by = ?", f.RecordedBy)
		case f.Nationality != "":
			l.merge = listOrderKeys("testimonies t", "t.received_on", "t.id", "testimonies_nationality", "t.narrator_nationality = ?", f.Nationality)
		}
		items, err = listByText(ctx, s, l, fts5Query(words), cur, ok, p.Limit+1)
	} else {
		items, err = general(s.reader(), cur, ok, p.Limit+1)
	}
	if err != nil {
		return nil, "", err
	}
	items, next = page(items, p.Limit, func(t domain.Testimony) (string, int64) { return dateText(t.ReceivedOn), t.ID })
	return items, next, nil
}
