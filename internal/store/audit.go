package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// AuditEvent is one audited action. Detail is reduced to a digest before it
// is stored, so the log never holds sensitive plaintext.
type AuditEvent struct {
	ActorID  int64
	Action   string // create, update, delete, link, unlink, verify, login, login_failed, export, download, permission, ...
	Entity   string // testimony, incident, user, session, ...
	EntityID int64
	Detail   any // the change; only its SHA-256 is kept
}

// AppendAudit appends an event outside any other write, for actions that
// change no record (a login, a download).
func (s *Store) AppendAudit(ctx context.Context, ev AuditEvent) (err error) {
	defer s.fail(&err)
	return s.withTx(ctx, func(c conn) error { return c.appendAudit(ctx, s.stamp().UnixMilli(), ev) })
}

// appendAudit appends an event inside the caller's transaction, so the
// change and its audit entry commit or fail together.
func (c conn) appendAudit(ctx context.Context, atMillis int64, ev AuditEvent) error {
	_, err := c.exec(ctx, `INSERT INTO audit_log (at, actor_id, action, entity, entity_id, digest) VALUES (?, ?, ?, ?, ?, ?)`,
		atMillis, ev.ActorID, ev.Action, ev.Entity, ev.EntityID, auditDigest(ev.Detail))
	return err
}

func auditDigest(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
