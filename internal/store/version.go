package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"vigil/internal/domain"
)

// Every create and update of a versioned record stores the whole record as
// it was saved, as JSON, in record_versions, in the same transaction, and
// seals it with an audit entry whose digest is the snapshot's (VerifyAudit
// checks both ways). On SQLite the snapshots are encrypted with the rest of
// the file; on PostgreSQL they are as protected as the records themselves.
// Users are kept without their password hash.

// The versioned entities, as named in the audit log and record_versions.
const (
	EntityTestimony     = "testimony"
	EntityIncident      = "incident"
	EntityCrossingPoint = "crossing_point"
	EntityPolicyEvent   = "policy_event"
	EntityFigure        = "figure"
	EntityCase          = "case"
	EntityUser          = "user"
)

// Actions the store names its writes with. A restore arrives through
// WithAction.
const (
	ActionCreate     = "create"
	ActionUpdate     = "update"
	ActionVerify     = "verify"     // an incident's verification status or reason changed
	ActionPublish    = "publish"    // an incident was published or withdrawn
	ActionPermission = "permission" // a user's role or disabled flag changed
	ActionPassword   = "password"   // a user's password changed
	ActionRestore    = "restore"
	ActionBaseline   = "baseline" // a version saved before history was kept, sealed when it was first replaced
	ActionLink       = "link"
	ActionUnlink     = "unlink"
	ActionBulkCreate = "bulk_create"
)

// RecordVersion is one saved version of a record.
type RecordVersion struct {
	Entity   string          `json:"entity"`
	EntityID int64           `json:"entity_id"`
	Version  int             `json:"version"`
	At       time.Time       `json:"at"`
	ActorID  int64           `json:"actor_id"`
	Action   string          `json:"action"`
	AuditSeq int64           `json:"audit_seq"`
	Snapshot json.RawMessage `json:"snapshot"`
}

// newVersion is a version about to be written.
type newVersion struct {
	entity  string
	id      int64
	version int
	at      time.Time // when this version was saved
	actor   int64
	action  string
	record  any // encoded as the snapshot
}

// writeVersions seals each version with an audit entry at atMillis and
// stores its snapshot. It appends to the audit chain, so it comes last in
// the transaction (see appendAudit); the version rows it inserts after the
// entry are new rows that no other writer can hold.
func (c conn) writeVersions(ctx context.Context, atMillis int64, vs ...newVersion) error {
	if c.au == nil {
		return errNoAuditKey
	}
	if auditSkipped() {
		return nil
	}
	for _, v := range vs {
		snap, err := json.Marshal(v.record)
		if err != nil {
			return err
		}
		// The system's own baseline entries are the system's act; the
		// version row still says who made that version.
		actor := v.actor
		if v.action == ActionBaseline {
			actor = 0
		}
		seq, err := c.appendEntry(ctx, atMillis, AuditEvent{ActorID: actor, Action: v.action, Entity: v.entity, EntityID: v.id},
			v.version, c.au.digestBytes(snap))
		if err != nil {
			return err
		}
		if _, err := c.exec(ctx, `INSERT INTO record_versions (entity, entity_id, version, at, actor_id, action, audit_seq, snapshot)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			v.entity, v.id, v.version, millis(v.at), v.actor, v.action, seq, string(snap)); err != nil {
			return err
		}
	}
	return nil
}

// hasVersion reports whether version of a record has a snapshot. An update
// asks before it replaces a version: records bulk-loaded or saved before
// history was kept have none, and their last state is then sealed as a
// baseline, so that the first diff has something to compare with.
func (c conn) hasVersion(ctx context.Context, entity string, id int64, version int) (bool, error) {
	if auditSkipped() {
		return true, nil // no baseline to seal
	}
	var one int
	err := c.queryRow(ctx, `SELECT 1 FROM record_versions WHERE entity = ? AND entity_id = ? AND version = ?`,
		entity, id, version).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// baseline returns the baseline version of a record read with load when
// version has no snapshot yet, nil when it has one or the record is not at
// that version (the update will then report the conflict).
func baseline[T any](ctx context.Context, c conn, entity string, id int64, version int, load func() (T, error), meta func(*T) *domain.Meta) ([]newVersion, error) {
	ok, err := c.hasVersion(ctx, entity, id, version)
	if err != nil || ok {
		return nil, err
	}
	old, err := load()
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	m := meta(&old)
	return []newVersion{{entity: entity, id: id, version: version, at: m.UpdatedAt, actor: m.UpdatedBy, action: ActionBaseline, record: old}}, nil
}

// userSnapshot is a user as versioned: the password hash is never in a
// snapshot (its JSON tag leaves it out anyway), nor the last login, which
// is not an edit.
func userSnapshot(u domain.User) domain.User {
	u.PasswordHash, u.LastLoginAt = "", nil
	return u
}

const versionColumns = `entity, entity_id, version, at, actor_id, action, audit_seq, snapshot`

func scanVersion(r rowScanner) (RecordVersion, error) {
	var (
		v    RecordVersion
		at   int64
		snap string
	)
	err := r.Scan(&v.Entity, &v.EntityID, &v.Version, &at, &v.ActorID, &v.Action, &v.AuditSeq, &snap)
	v.At, v.Snapshot = fromMillis(at), json.RawMessage(snap)
	return v, err
}

// ListVersions returns every saved version of a record, oldest first. A
// record without history has none.
func (s *Store) ListVersions(ctx context.Context, entity string, id int64) (_ []RecordVersion, err error) {
	defer s.fail(&err)
	rows, err := s.reader().query(ctx, `SELECT `+versionColumns+` FROM record_versions
		WHERE entity = ? AND entity_id = ? ORDER BY version`, entity, id)
	return collect(rows, err, scanVersion)
}

// GetVersion returns one saved version of a record.
func (s *Store) GetVersion(ctx context.Context, entity string, id int64, version int) (_ RecordVersion, err error) {
	defer s.fail(&err)
	v, err := scanVersion(s.reader().queryRow(ctx, `SELECT `+versionColumns+` FROM record_versions
		WHERE entity = ? AND entity_id = ? AND version = ?`, entity, id, version))
	return v, notFound(err, "version")
}
