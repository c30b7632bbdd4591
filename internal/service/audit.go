package service

import (
	"context"

	"vigil/internal/domain"
	"vigil/internal/store"
)

// audit records an action that changes no stored record (a login, an
// export, a download). Record writes are audited by the store inside their
// own transaction.
func (s *Service) audit(ctx context.Context, a domain.Actor, action, entity string, id int64, detail any) error {
	return s.Store.AppendAudit(ctx, store.AuditEvent{ActorID: a.UserID, Action: action, Entity: entity, EntityID: id, Detail: detail})
}
