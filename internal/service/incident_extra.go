package service

import (
	"context"

	"vigil/internal/domain"
)

// VerifierName returns the name to show for whoever last set the
// verification of an incident the actor can read: the display name, else the
// username. It is "" when nobody set it, when the system did (user 0), or
// when the account no longer exists; only this one name is revealed, not the
// account.
func (s *Service) VerifierName(ctx context.Context, a domain.Actor, in domain.Incident) (string, error) {
	if err := require(a, domain.PermIncidentRead); err != nil {
		return "", err
	}
	if in.Verification.SetBy == 0 {
		return "", nil
	}
	u, err := s.Store.GetUser(ctx, in.Verification.SetBy)
	if err != nil {
		if domain.ErrorCode(err) == domain.ENotFound {
			return "", nil
		}
		return "", err
	}
	if u.DisplayName != "" {
		return u.DisplayName, nil
	}
	return u.Username, nil
}
