package service

import (
	"context"

	"vigil/internal/domain"
	"vigil/internal/store"
)

// ListCrossingPoints returns every crossing point.
func (s *Service) ListCrossingPoints(ctx context.Context, a domain.Actor) ([]domain.CrossingPoint, error) {
	if err := require(a, domain.PermReferenceRead); err != nil {
		return nil, err
	}
	return s.Store.ListCrossingPoints(ctx)
}

// GetCrossingPoint returns one crossing point.
func (s *Service) GetCrossingPoint(ctx context.Context, a domain.Actor, id int64) (domain.CrossingPoint, error) {
	if err := require(a, domain.PermReferenceRead); err != nil {
		return domain.CrossingPoint{}, err
	}
	return s.Store.GetCrossingPoint(ctx, id)
}

// SaveCrossingPoint creates (ID 0) or updates a crossing point.
func (s *Service) SaveCrossingPoint(ctx context.Context, a domain.Actor, c *domain.CrossingPoint) error {
	ctx = actx(ctx, a) // the store audits the write as a's
	if err := require(a, domain.PermReferenceWrite); err != nil {
		return err
	}
	if err := check(c); err != nil {
		return err
	}
	return createOrUpdate(ctx, a, &c.Meta, c, s.Store.CreateCrossingPoint, s.Store.UpdateCrossingPoint)
}

// createOrUpdate ends a Save* method once the record is checked: it stamps
// who saves x, whose Meta is m, and creates x when it is new (ID 0) or
// updates it.
func createOrUpdate[P any](ctx context.Context, a domain.Actor, m *domain.Meta, x P,
	create, update func(context.Context, P) error) error {
	stamp(m, a, m.ID == 0)
	if m.ID == 0 {
		return create(ctx, x)
	}
	return update(ctx, x)
}

// checkCrossingCode adds a problem of field to p when no crossing point has
// code: records name crossing points by code, so a code must exist. Any
// other failure to look it up is returned.
func (s *Service) checkCrossingCode(ctx context.Context, p *domain.Problems, field, code string) error {
	if _, err := s.Store.GetCrossingPointByCode(ctx, code); err != nil {
		if domain.ErrorCode(err) != domain.ENotFound {
			return err
		}
		p.Add(field, "no crossing point has the code %q", code)
	}
	return nil
}

// ListPolicyEvents returns the whole timeline in date order.
func (s *Service) ListPolicyEvents(ctx context.Context, a domain.Actor) ([]domain.PolicyEvent, error) {
	if err := require(a, domain.PermReferenceRead); err != nil {
		return nil, err
	}
	return s.Store.ListPolicyEvents(ctx)
}

// GetPolicyEvent returns one policy event.
func (s *Service) GetPolicyEvent(ctx context.Context, a domain.Actor, id int64) (domain.PolicyEvent, error) {
	if err := require(a, domain.PermReferenceRead); err != nil {
		return domain.PolicyEvent{}, err
	}
	return s.Store.GetPolicyEvent(ctx, id)
}

// SavePolicyEvent creates (ID 0) or updates a policy event; every crossing
// point it names must exist.
func (s *Service) SavePolicyEvent(ctx context.Context, a domain.Actor, e *domain.PolicyEvent) error {
	ctx = actx(ctx, a) // the store audits the write as a's
	if err := require(a, domain.PermReferenceWrite); err != nil {
		return err
	}
	e.Normalize()
	err := e.Validate()
	var p domain.Problems
	for _, code := range e.CrossingPoints {
		if cerr := s.checkCrossingCode(ctx, &p, "crossing_points", code); cerr != nil {
			return cerr
		}
	}
	if err := mergeProblems(err, p.Err()); err != nil {
		return err
	}
	return createOrUpdate(ctx, a, &e.Meta, e, s.Store.CreatePolicyEvent, s.Store.UpdatePolicyEvent)
}

// CrossingStatusRow is one crossing point's derived status on a day.
type CrossingStatusRow struct {
	Point  domain.CrossingPoint
	Status domain.CrossingStatus
}

// CrossingStatuses derives every crossing point's status on day.
func (s *Service) CrossingStatuses(ctx context.Context, a domain.Actor, day domain.Date) ([]CrossingStatusRow, error) {
	points, err := s.ListCrossingPoints(ctx, a)
	if err != nil {
		return nil, err
	}
	events, err := s.Store.ListPolicyEvents(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]CrossingStatusRow, len(points))
	for i, p := range points {
		out[i] = CrossingStatusRow{Point: p, Status: domain.StatusOn(p.Code, day, events)}
	}
	return out, nil
}

// ListFigures lists published figures.
func (s *Service) ListFigures(ctx context.Context, a domain.Actor, f store.FigureFilter, p domain.Page) ([]domain.Figure, string, error) {
	if err := require(a, domain.PermReferenceRead); err != nil {
		return nil, "", err
	}
	return s.Store.ListFigures(ctx, f, p.Normalized())
}

// GetFigure returns one figure.
func (s *Service) GetFigure(ctx context.Context, a domain.Actor, id int64) (domain.Figure, error) {
	if err := require(a, domain.PermReferenceRead); err != nil {
		return domain.Figure{}, err
	}
	return s.Store.GetFigure(ctx, id)
}

// SaveFigure creates (ID 0) or updates a figure.
func (s *Service) SaveFigure(ctx context.Context, a domain.Actor, f *domain.Figure) error {
	ctx = actx(ctx, a) // the store audits the write as a's
	if err := require(a, domain.PermReferenceWrite); err != nil {
		return err
	}
	if err := check(f); err != nil {
		return err
	}
	return createOrUpdate(ctx, a, &f.Meta, f, s.Store.CreateFigure, s.Store.UpdateFigure)
}
