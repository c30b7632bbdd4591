package store

import (
	"context"

	"vigil/internal/domain"
)

// LinkedTestimony is a testimony linked to an incident, with the link.
type LinkedTestimony struct {
	Link      domain.Link      `json:"link"`
	Testimony domain.Testimony `json:"testimony"`
}

// LinkedIncident is an incident linked to a testimony, with the link.
type LinkedIncident struct {
	Link     domain.Link     `json:"link"`
	Incident domain.Incident `json:"incident"`
}

const linkColumns = `l.testimony_id, l.incident_id, l.relation, l.note, l.created_by`

// linkDest is where linkColumns scan to, in their order.
func linkDest(l *domain.Link) []any {
	return []any{&l.TestimonyID, &l.IncidentID, &l.Relation, &l.Note, &l.CreatedBy}
}

// Link ties a testimony to an incident, or changes the relation and note of
// an existing link (the link keeps who first made it).
func (s *Store) Link(ctx context.Context, l domain.Link) (err error) {
	defer s.fail(&err)
	now := millis(s.stamp())
	return s.withTx(ctx, func(c conn) error {
		for _, r := range []struct {
			table, kind string
			id          int64
		}{{"testimonies", "testimony", l.TestimonyID}, {"incidents", "incident", l.IncidentID}} {
			ok, err := c.exists(ctx, r.table, r.id)
			if err != nil {
				return err
			}
			if !ok {
				return domain.NotFound(r.kind)
			}
		}
		_, err := c.exec(ctx, `INSERT INTO links (testimony_id, incident_id, relation, note, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (testimony_id, incident_id) DO UPDATE SET relation = excluded.relation, note = excluded.note,
			updated_at = excluded.updated_at`,
			l.TestimonyID, l.IncidentID, l.Relation, l.Note, l.CreatedBy, now, now)
		if err != nil {
			return err
		}
		// Entered under the incident: corroboration is about incidents. The
		// testimony, relation and note are in the digest only.
		return c.appendAudit(ctx, now, AuditEvent{ActorID: actorOr(ctx, l.CreatedBy), Action: ActionLink,
			Entity: EntityIncident, EntityID: l.IncidentID, Detail: l})
	})
}

// Unlink removes the link between a testimony and an incident.
func (s *Store) Unlink(ctx context.Context, testimonyID, incidentID int64) (err error) {
	defer s.fail(&err)
	return s.withTx(ctx, func(c conn) error {
		res, err := c.exec(ctx, `DELETE FROM links WHERE testimony_id = ? AND incident_id = ?`, testimonyID, incidentID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return domain.NotFound("link")
		}
		return c.appendAudit(ctx, millis(s.stamp()), AuditEvent{ActorID: actorOr(ctx, 0), Action: ActionUnlink,
			Entity: EntityIncident, EntityID: incidentID, Detail: map[string]int64{"testimony_id": testimonyID, "incident_id": incidentID}})
	})
}

// LinksOfIncident returns the testimonies linked to an incident, most
// recently received first. An unknown incident has no links.
func (s *Store) LinksOfIncident(ctx context.Context, incidentID int64) (_ []LinkedTestimony, err error) {
	defer s.fail(&err)
	rows, err := s.reader().query(ctx, `SELECT `+linkColumns+`, `+testimonyColumns+`
		FROM links l JOIN testimonies t ON t.id = l.testimony_id
		WHERE l.incident_id = ? ORDER BY t.received_on DESC, t.id DESC`, incidentID)
	return collect(rows, err, func(r rowScanner) (LinkedTestimony, error) {
		var lt LinkedTestimony
		t, err := scanTestimony(prefixScanner{r, linkDest(&lt.Link)})
		lt.Testimony = t
		return lt, err
	})
}

// LinksOfTestimony returns the incidents a testimony is linked to, latest
// first. An unknown testimony has no links.
func (s *Store) LinksOfTestimony(ctx context.Context, testimonyID int64) (_ []LinkedIncident, err error) {
	defer s.fail(&err)
	rows, err := s.reader().query(ctx, `SELECT `+linkColumns+`, `+incidentColumns+`
		FROM links l JOIN incidents i ON i.id = l.incident_id
		WHERE l.testimony_id = ? ORDER BY i.when_from DESC, i.id DESC`, testimonyID)
	return collect(rows, err, func(r rowScanner) (LinkedIncident, error) {
		var li LinkedIncident
		in, err := scanIncident(prefixScanner{r, linkDest(&li.Link)})
		li.Incident = in
		return li, err
	})
}

// prefixScanner scans leading columns into extra before handing the rest
// to a record's own scan function, so joined rows reuse it.
type prefixScanner struct {
	r     rowScanner
	extra []any
}

func (p prefixScanner) Scan(dest ...any) error {
	return p.r.Scan(append(p.extra[:len(p.extra):len(p.extra)], dest...)...)
}
