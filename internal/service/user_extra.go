package service

import (
	"context"

	"vigil/internal/domain"
	"vigil/internal/store"
)

// ListAPITokens lists the actor's own API tokens, revoked ones included,
// newest first. The hashes are left out: no caller needs them.
func (s *Service) ListAPITokens(ctx context.Context, a domain.Actor) ([]store.APIToken, error) {
	return s.ListUserAPITokens(ctx, a, a.UserID)
}

// ListUserAPITokens lists a user's API tokens: one's own, or anyone's for
// a user administrator.
func (s *Service) ListUserAPITokens(ctx context.Context, a domain.Actor, userID int64) ([]store.APIToken, error) {
	if err := s.requireSelfOrAdmin(a, userID); err != nil {
		return nil, err
	}
	ts, err := s.Store.ListAPITokens(ctx, userID)
	for i := range ts {
		ts[i].Hash = nil
	}
	return ts, err
}

// RevokeAPIToken revokes one of the actor's own API tokens. Another user's
// token is not found, so token ids cannot be probed.
func (s *Service) RevokeAPIToken(ctx context.Context, a domain.Actor, id int64) error {
	return s.RevokeUserAPIToken(ctx, a, a.UserID, id)
}

// RevokeUserAPIToken revokes a token of userID: one's own, or anyone's for
// a user administrator. Revoking twice keeps the first revocation time.
func (s *Service) RevokeUserAPIToken(ctx context.Context, a domain.Actor, userID, id int64) error {
	if err := s.requireSelfOrAdmin(a, userID); err != nil {
		return err
	}
	return s.Store.RevokeAPIToken(ctx, userID, id)
}

func (s *Service) requireSelfOrAdmin(a domain.Actor, userID int64) error {
	if a.UserID == 0 && a.Role == "" {
		return domain.ErrUnauthorized
	}
	if userID != a.UserID {
		return require(a, domain.PermUserAdmin)
	}
	return nil
}
