package service

import (
	"context"

	"vigil/internal/domain"
	"vigil/internal/store"
)

// redact removes what the actor may not see of a case: identity fields
// unless granted.
func redact(a domain.Actor, c *domain.AsylumCase) {
	if !a.Can(domain.PermIdentityRead) {
		c.Person.Identity = domain.Identity{}
	}
}

// ListCases lists asylum cases, identity fields removed unless granted.
func (s *Service) ListCases(ctx context.Context, a domain.Actor, f store.CaseFilter, p domain.Page) ([]domain.AsylumCase, string, error) {
	if err := require(a, domain.PermCaseRead); err != nil {
		return nil, "", err
	}
	if a.SeesOnlyAssignedCases() {
		f.AssignedTo = a.UserID
	}
	cs, next, err := s.Store.ListCases(ctx, f, p.Normalized())
	for i := range cs {
		redact(a, &cs[i])
	}
	return cs, next, err
}

// GetCase returns one case, identity fields removed unless granted.
func (s *Service) GetCase(ctx context.Context, a domain.Actor, id int64) (domain.AsylumCase, error) {
	if err := require(a, domain.PermCaseRead); err != nil {
		return domain.AsylumCase{}, err
	}
	c, err := s.Store.GetCase(ctx, id)
	if err != nil {
		return domain.AsylumCase{}, err
	}
	if a.SeesOnlyAssignedCases() && c.AssignedTo != a.UserID {
		return domain.AsylumCase{}, domain.NotFound("case")
	}
	redact(a, &c)
	return c, nil
}

// SaveCase creates (ID 0) or updates a case. An actor without identity
// access cannot change (or blank) identity fields they cannot see.
func (s *Service) SaveCase(ctx context.Context, a domain.Actor, c *domain.AsylumCase) error {
	ctx = actx(ctx, a) // the store audits the write as a's
	if err := require(a, domain.PermCaseWrite); err != nil {
		return err
	}
	if c.ID != 0 {
		old, err := s.Store.GetCase(ctx, c.ID)
		if err != nil {
			return err
		}
		if a.SeesOnlyAssignedCases() && old.AssignedTo != a.UserID {
			return domain.NotFound("case")
		}
		c.Person.ID, c.CreatedAt, c.CreatedBy = old.Person.ID, old.CreatedAt, old.CreatedBy
		if !a.Can(domain.PermIdentityRead) {
			c.Person.Identity = old.Person.Identity
		}
	} else {
		if !a.Can(domain.PermIdentityRead) {
			c.Person.Identity = domain.Identity{}
		}
		if c.AssignedTo == 0 && a.SeesOnlyAssignedCases() {
			c.AssignedTo = a.UserID
		}
	}
	c.Normalize() // the crossing point is looked up as it will be saved
	if c.CrossingPoint != "" {
		if _, err := s.Store.GetCrossingPointByCode(ctx, c.CrossingPoint); err != nil {
			if domain.ErrorCode(err) != domain.ENotFound {
				return err
			}
			var p domain.Problems
			p.Add("crossing_point", "no crossing point has the code %q", c.CrossingPoint)
			return mergeProblems(c.Validate(), p.Err())
		}
	}
	if err := check(c); err != nil {
		return err
	}
	return createOrUpdate(ctx, a, &c.Meta, c, s.Store.CreateCase, s.Store.UpdateCase)
}
