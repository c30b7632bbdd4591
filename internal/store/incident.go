package store

import (
	"context"
	"database/sql"
	"strings"

	"vigil/internal/domain"
)

// IncidentFilter narrows ListIncidents; zero fields match everything.
type IncidentFilter struct {
	Query         string // words in the title, summaries or place
	CrossingPoint string
	Kind          string
	ViolenceType  string
	Verification  string
	Nationality   string      // one of the group's nationalities
	From, To      domain.Date // incidents whose date range overlaps [From, To]
	Published     *bool
}

// Tag dimensions: the list fields of an incident that filters look into.
const (
	dimKind       = "kind"
	dimViolence   = "violence"
	dimNation     = "nationality"
	dimPushedFrom = "pushed_from"
	dimPushedTo   = "pushed_to"
)

type tag struct{ dim, value string }

// incidentTags spreads the list fields into tags, without duplicates: the
// tag table's key would refuse them, and a duplicate must not fail a save.
func incidentTags(in *domain.Incident) []tag {
	var out []tag
	seen := map[tag]bool{}
	add := func(dim string, values ...string) {
		for _, v := range values {
			t := tag{dim, v}
			if v == "" || seen[t] {
				continue
			}
			seen[t] = true
			out = append(out, t)
		}
	}
	add(dimKind, in.Kinds...)
	add(dimViolence, in.ViolenceTypes...)
	for _, n := range in.Group.Nationalities {
		add(dimNation, n.Country)
	}
	add(dimPushedFrom, in.PushedFrom...)
	add(dimPushedTo, in.PushedTo...)
	return out
}

const incidentColumns = `i.id, i.version, i.created_at, i.updated_at, i.created_by, i.updated_by,
	i.title, i.when_from, i.when_to, i.when_precision, i.crossing_point, i.place, i.lat, i.lon, i.place_precision,
	i.pushed_from, i.pushed_to, i.kinds, i.group_size_min, i.group_size_max, i.group_minors, i.group_women,
	i.group_nationalities, i.violence_types, i.perpetrator, i.perpetrator_unit, i.asylum_requested, i.outcome,
	i.verification_status, i.verification_reason, i.verification_set_by, i.verification_set_at,
	i.summary, i.public_summary, i.published`

func scanIncident(r rowScanner) (domain.Incident, error) {
	var (
		in                               domain.Incident
		created, updated                 int64
		lat, lon                         sql.NullFloat64
		from, to, kinds, nations, violen string
		sizeMin, sizeMax, minors, women  sql.NullInt64
		setAt                            sql.NullInt64
	)
	err := r.Scan(&in.ID, &in.Version, &created, &updated, &in.CreatedBy, &in.UpdatedBy,
		&in.Title, &in.When.From, &in.When.To, &in.When.Precision, &in.CrossingPoint, &in.Place, &lat, &lon, &in.PlacePrecision,
		&from, &to, &kinds, &sizeMin, &sizeMax, &minors, &women,
		&nations, &violen, &in.Perpetrator, &in.PerpetratorUnit, &in.AsylumRequested, &in.Outcome,
		&in.Verification.Status, &in.Verification.Reason, &in.Verification.SetBy, &setAt,
		&in.Summary, &in.PublicSummary, &in.Published)
	if err != nil {
		return in, err
	}
	in.CreatedAt, in.UpdatedAt = fromMillis(created), fromMillis(updated)
	in.Lat, in.Lon = floatPtr(lat), floatPtr(lon)
	in.Group.SizeMin, in.Group.SizeMax, in.Group.Minors, in.Group.Women = intPtr(sizeMin), intPtr(sizeMax), intPtr(minors), intPtr(women)
	in.Verification.SetAt = timePtr(setAt)
	for _, l := range []struct {
		dst *[]string
		src string
	}{{&in.PushedFrom, from}, {&in.PushedTo, to}, {&in.Kinds, kinds}, {&in.ViolenceTypes, violen}} {
		if *l.dst, err = fromJSON[string](l.src); err != nil {
			return in, err
		}
	}
	in.Group.Nationalities, err = fromJSON[domain.NationalityCount](nations)
	return in, err
}

const incidentInsertColumns = `version, created_at, updated_at, created_by, updated_by,
	title, when_from, when_to, when_precision, crossing_point, place, lat, lon, place_precision,
	pushed_from, pushed_to, kinds, group_size_min, group_size_max, group_minors, group_women,
	group_nationalities, violence_types, perpetrator, perpetrator_unit, asylum_requested, outcome,
	verification_status, verification_reason, verification_set_by, verification_set_at,
	summary, public_summary, published`

const incidentInsertColumnCount = 34

const insertIncident = `INSERT INTO incidents (` + incidentInsertColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`

// incidentArgs are the values of incidentInsertColumns, in order.
func incidentArgs(in *domain.Incident) []any {
	return []any{in.Version, millis(in.CreatedAt), millis(in.UpdatedAt), in.CreatedBy, in.UpdatedBy,
		in.Title, dateText(in.When.From), dateText(in.When.To), in.When.Precision, in.CrossingPoint, in.Place,
		floatArg(in.Lat), floatArg(in.Lon), in.PlacePrecision,
		jsonText(in.PushedFrom), jsonText(in.PushedTo), jsonText(in.Kinds),
		intArg(in.Group.SizeMin), intArg(in.Group.SizeMax), intArg(in.Group.Minors), intArg(in.Group.Women),
		jsonText(in.Group.Nationalities), jsonText(in.ViolenceTypes),
		in.Perpetrator, in.PerpetratorUnit, in.AsylumRequested, in.Outcome,
		in.Verification.Status, in.Verification.Reason, in.Verification.SetBy, millisPtr(in.Verification.SetAt),
		in.Summary, in.PublicSummary, in.Published}
}

// insertTags writes the tags of incident id; rows of many incidents go in
// one statement per chunk.
func insertTags(ctx context.Context, c conn, rows [][]any) error {
	return insertRows(ctx, c, `INSERT INTO incident_tags (incident_id, dim, value, when_from) VALUES `, 4, rows)
}

func tagRows(id int64, in *domain.Incident, rows [][]any) [][]any {
	for _, t := range incidentTags(in) {
		rows = append(rows, []any{id, t.dim, t.value, dateText(in.When.From)})
	}
	return rows
}

// maxInsertParams keeps multi-row inserts below SQLite's default limit of
// 32766 parameters (PostgreSQL allows 65535).
const maxInsertParams = 30000

// insertRows inserts rows of ncols values each with multi-row VALUES lists,
// which saves a round trip per row on PostgreSQL.
func insertRows(ctx context.Context, c conn, prefix string, ncols int, rows [][]any) error {
	per := maxInsertParams / ncols
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", ncols), ", ") + ")"
	for len(rows) > 0 {
		n := min(per, len(rows))
		var b strings.Builder
		b.WriteString(prefix)
		args := make([]any, 0, n*ncols)
		for i, r := range rows[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(tuple)
			args = append(args, r...)
		}
		if _, err := c.exec(ctx, b.String(), args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// incidentText is the list date, the id and the full-text columns, for the
// SQLite index (textIndexInsert).
func incidentText(in *domain.Incident) []any {
	return []any{dateText(in.When.From), in.ID, in.Title, in.Summary, in.PublicSummary, in.Place}
}

func incidentDates(in *domain.Incident) error {
	return validDates(in.When.From, in.When.To)
}

// CreateIncident stores a new incident and sets its ID, version and
// timestamps.
func (s *Store) CreateIncident(ctx context.Context, in *domain.Incident) (err error) {
	defer s.fail(&err)
	if err := incidentDates(in); err != nil {
		return err
	}
	rec := *in
	now := s.stamp()
	rec.Version, rec.CreatedAt, rec.UpdatedAt = 1, now, now
	if rec.UpdatedBy == 0 {
		rec.UpdatedBy = rec.CreatedBy
	}
	err = s.withTx(ctx, func(c conn) error {
		if err := c.queryRow(ctx, insertIncident, incidentArgs(&rec)...).Scan(&rec.ID); err != nil {
			return err
		}
		if q := s.d.textIndexInsert("incidents"); q != "" {
			if _, err := c.exec(ctx, q, incidentText(&rec)...); err != nil {
				return err
			}
		}
		if err := insertTags(ctx, c, tagRows(rec.ID, &rec, nil)); err != nil {
			return err
		}
		d := counterDeltas{}
		d.incident(&rec, 1)
		if err := addCounters(ctx, c, d); err != nil {
			return err
		}
		return c.writeVersions(ctx, millis(now), newVersion{entity: EntityIncident, id: rec.ID, version: rec.Version, at: now,
			actor: actorOr(ctx, rec.CreatedBy), action: actionOr(ctx, ActionCreate), record: rec})
	})
	if err != nil {
		return err
	}
	*in = rec
	return nil
}

// UpdateIncident saves in if nobody saved it since in.Version was read.
func (s *Store) UpdateIncident(ctx context.Context, in *domain.Incident) (err error) {
	defer s.fail(&err)
	if err := incidentDates(in); err != nil {
		return err
	}
	rec := *in
	now := s.stamp()
	err = s.withTx(ctx, func(c conn) error {
		// The whole old record: the counters need its status and date, the
		// audit entry whether verification or publication changed, and a
		// record without history its baseline version.
		old, err := scanIncident(c.queryRow(ctx, `SELECT `+incidentColumns+` FROM incidents i WHERE i.id = ? AND i.version = ?`,
			rec.ID, rec.Version))
		if err := c.updated(ctx, err, "incidents", "incident", rec.ID); err != nil {
			return err
		}
		base, err := baseline(ctx, c, EntityIncident, rec.ID, rec.Version, func() (domain.Incident, error) { return old, nil },
			func(in *domain.Incident) *domain.Meta { return &in.Meta })
		if err != nil {
			return err
		}
		var created int64
		err = c.queryRow(ctx, `UPDATE incidents SET version = version + 1, updated_at = ?, updated_by = ?,
			title = ?, when_from = ?, when_to = ?, when_precision = ?, crossing_point = ?, place = ?, lat = ?, lon = ?,
			place_precision = ?, pushed_from = ?, pushed_to = ?, kinds = ?, group_size_min = ?, group_size_max = ?,
			group_minors = ?, group_women = ?, group_nationalities = ?, violence_types = ?, perpetrator = ?,
			perpetrator_unit = ?, asylum_requested = ?, outcome = ?, verification_status = ?, verification_reason = ?,
			verification_set_by = ?, verification_set_at = ?, summary = ?, public_summary = ?, published = ?
			WHERE id = ? AND version = ? RETURNING version, created_at, created_by`,
			millis(now), rec.UpdatedBy,
			rec.Title, dateText(rec.When.From), dateText(rec.When.To), rec.When.Precision, rec.CrossingPoint, rec.Place,
			floatArg(rec.Lat), floatArg(rec.Lon),
			rec.PlacePrecision, jsonText(rec.PushedFrom), jsonText(rec.PushedTo), jsonText(rec.Kinds),
			intArg(rec.Group.SizeMin), intArg(rec.Group.SizeMax),
			intArg(rec.Group.Minors), intArg(rec.Group.Women), jsonText(rec.Group.Nationalities), jsonText(rec.ViolenceTypes),
			rec.Perpetrator, rec.PerpetratorUnit, rec.AsylumRequested, rec.Outcome,
			rec.Verification.Status, rec.Verification.Reason, rec.Verification.SetBy, millisPtr(rec.Verification.SetAt),
			rec.Summary, rec.PublicSummary, rec.Published,
			rec.ID, rec.Version).Scan(&rec.Version, &created, &rec.CreatedBy)
		if err := c.updated(ctx, err, "incidents", "incident", rec.ID); err != nil {
			return err
		}
		rec.CreatedAt, rec.UpdatedAt = fromMillis(created), now
		// Replacing the tags is simpler than diffing them, and an incident
		// has a handful.
		if _, err := c.exec(ctx, `DELETE FROM incident_tags WHERE incident_id = ?`, rec.ID); err != nil {
			return err
		}
		if err := insertTags(ctx, c, tagRows(rec.ID, &rec, nil)); err != nil {
			return err
		}
		d := counterDeltas{}
		d.incident(&old, -1)
		d.incident(&rec, 1)
		if err := addCounters(ctx, c, d); err != nil {
			return err
		}
		action := ActionUpdate
		switch {
		case old.Verification.Status != rec.Verification.Status || old.Verification.Reason != rec.Verification.Reason:
			action = ActionVerify
		case old.Published != rec.Published:
			action = ActionPublish
		}
		return c.writeVersions(ctx, millis(now), append(base, newVersion{entity: EntityIncident, id: rec.ID, version: rec.Version, at: now,
			actor: actorOr(ctx, rec.UpdatedBy), action: actionOr(ctx, action), record: rec})...)
	})
	if err != nil {
		return err
	}
	*in = rec
	return nil
}

// GetIncident returns the incident with id.
func (s *Store) GetIncident(ctx context.Context, id int64) (_ domain.Incident, err error) {
	defer s.fail(&err)
	in, err := scanIncident(s.reader().queryRow(ctx, `SELECT `+incidentColumns+` FROM incidents i WHERE i.id = ?`, id))
	return in, notFound(err, "incident")
}

// ListIncidents returns one page of incidents, latest first (undated ones
// last), and the cursor of the next page ("" on the last).
func (s *Store) ListIncidents(ctx context.Context, f IncidentFilter, p domain.Page) (_ []domain.Incident, next string, err error) {
	defer s.fail(&err)
	p = p.Normalized()
	cur, ok, err := decodeCursor(p.Cursor)
	if err != nil {
		return nil, "", err
	}
	var tags []tag
	for _, t := range []tag{{dimKind, f.Kind}, {dimViolence, f.ViolenceType}, {dimNation, f.Nationality}} {
		if t.value != "" {
			tags = append(tags, t)
		}
	}
	// The conditions on the incident itself.
	var w where
	if f.CrossingPoint != "" {
		w.add("i.crossing_point = ?", f.CrossingPoint)
	}
	if f.Verification != "" {
		w.add("i.verification_status = ?", f.Verification)
	}
	if f.Published != nil {
		w.add("i.published = ?", *f.Published)
	}
	if !f.From.IsZero() {
		// The range ends at when_to, or at when_from for a single day.
		w.add("(CASE WHEN i.when_to <> '' THEN i.when_to ELSE i.when_from END) >= ?", dateText(f.From))
	}
	if !f.To.IsZero() {
		w.add("i.when_from <> '' AND i.when_from <= ?", dateText(f.To))
	}
	var words []string
	if f.Query != "" {
		if words = searchWords(f.Query); len(words) == 0 {
			return nil, "", nil // only punctuation: nothing can match
		}
	}
	general := func(c conn, cur cursorKey, curOK bool, limit int) ([]domain.Incident, error) {
		var g where
		from, sortDate, sortID := "incidents i", "i.when_from", "i.id"
		if len(tags) > 0 {
			// Drive the query from the first tag's index, which is already
			// in list order: the page is then read in order however common
			// or rare the tag is, instead of sorting every match.
			from, sortDate, sortID = "incident_tags g JOIN incidents i ON i.id = g.incident_id", "g.when_from", "g.incident_id"
			g.add("g.dim = ? AND g.value = ?", tags[0].dim, tags[0].value)
			// Further conditions on the id test g.incident_id, which the
			// index holds, so rows are fetched only once they match.
			for _, t := range tags[1:] {
				g.add("EXISTS (SELECT 1 FROM incident_tags g2 WHERE g2.incident_id = g.incident_id AND g2.dim = ? AND g2.value = ?)", t.dim, t.value)
			}
		}
		g.conds = append(g.conds, w.conds...)
		g.args = append(g.args, w.args...)
		if words != nil {
			cond, arg, err := s.d.fullText(ctx, c, "incidents", "i", sortDate, sortID, words)
			if err != nil {
				return nil, err
			}
			g.add(cond, arg)
		}
		if curOK {
			g.add("("+sortDate+", "+sortID+") < (?, ?)", cur.K, cur.ID)
		}
		rows, err := c.query(ctx, `SELECT `+incidentColumns+` FROM `+from+g.String()+
			` ORDER BY `+sortDate+` DESC, `+sortID+` DESC LIMIT ?`, append(g.args, limit)...)
		return collect(rows, err, scanIncident)
	}
	var items []domain.Incident
	if words != nil && s.d.name() == "sqlite" {
		// Driven by the full-text index, the tags are conditions like the
		// others, each one lookup of incident_tags' primary key.
		others := w.clone()
		for _, t := range tags {
			others.add("EXISTS (SELECT 1 FROM incident_tags g2 WHERE g2.incident_id = i.id AND g2.dim = ? AND g2.value = ?)", t.dim, t.value)
		}
		l := textListQuery[domain.Incident]{table: "incidents", alias: "i", cols: incidentColumns, date: "i.when_from",
			scan: scanIncident, others: others, general: general, to: dateText(f.To)}
		// A tag, a crossing point or a verification status has an index in
		// list order to merge the matches with (mergeByText).
		switch {
		case len(tags) > 0:
			l.merge = listOrderKeys("incident_tags g", "g.when_from", "g.incident_id", "incident_tags_value", "g.dim = ? AND g.value = ?", tags[0].dim, tags[0].value)
		case f.CrossingPoint != "":
			l.merge = listOrderKeys("incidents i", "i.when_from", "i.id", "incidents_crossing", "i.crossing_point = ?", f.CrossingPoint)
		case f.Verification != "":
			l.merge = listOrderKeys("incidents i", "i.when_from", "i.id", "incidents_verification", "i.verification_status = ?", f.Verification)
		}
		items, err = listByText(ctx, s, l, fts5Query(words), cur, ok, p.Limit+1)
	} else {
		items, err = general(s.reader(), cur, ok, p.Limit+1)
	}
	if err != nil {
		return nil, "", err
	}
	items, next = page(items, p.Limit, func(in domain.Incident) (string, int64) { return dateText(in.When.From), in.ID })
	return items, next, nil
}
