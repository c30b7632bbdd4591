package service

import (
	"context"

	"vigil/internal/domain"
	"vigil/internal/store"
)

// ListTestimonies lists what the actor may see: a monitor only their own.
func (s *Service) ListTestimonies(ctx context.Context, a domain.Actor, f store.TestimonyFilter, p domain.Page) ([]domain.Testimony, string, error) {
	if err := require(a, domain.PermTestimonyRead); err != nil {
		return nil, "", err
	}
	if a.SeesOnlyOwnTestimonies() {
		f.VisibleTo = a.UserID
	}
	return s.Store.ListTestimonies(ctx, f, p.Normalized())
}

// GetTestimony returns one testimony; one the actor may not see is reported
// as not found, so its existence is not revealed.
func (s *Service) GetTestimony(ctx context.Context, a domain.Actor, id int64) (domain.Testimony, error) {
	if err := require(a, domain.PermTestimonyRead); err != nil {
		return domain.Testimony{}, err
	}
	t, err := s.Store.GetTestimony(ctx, id)
	if err != nil {
		return t, err
	}
	if !s.canSeeTestimony(ctx, a, t) {
		return domain.Testimony{}, domain.NotFound("testimony")
	}
	return t, nil
}

func (s *Service) canSeeTestimony(ctx context.Context, a domain.Actor, t domain.Testimony) bool {
	if !a.Can(domain.PermTestimonyRead) {
		return false
	}
	if !a.SeesOnlyOwnTestimonies() || t.RecordedBy == a.UserID {
		return true
	}
	shared, err := s.Store.IsSharedWith(ctx, t.ID, a.UserID)
	return err == nil && shared
}

// CreateTestimony records a new testimony by the actor.
func (s *Service) CreateTestimony(ctx context.Context, a domain.Actor, t *domain.Testimony) error {
	ctx = actx(ctx, a) // the store audits the write as a's
	if err := require(a, domain.PermTestimonyWrite); err != nil {
		return err
	}
	if t.RecordedBy == 0 || a.UserID != 0 {
		t.RecordedBy = a.UserID
	}
	if err := check(t); err != nil {
		return err
	}
	stamp(&t.Meta, a, true)
	return s.Store.CreateTestimony(ctx, t)
}

// UpdateTestimony saves an edit; t.Version must be the version the editor
// started from. Who recorded it never changes.
func (s *Service) UpdateTestimony(ctx context.Context, a domain.Actor, t *domain.Testimony) error {
	ctx = actx(ctx, a) // the store audits the write as a's
	if err := require(a, domain.PermTestimonyWrite); err != nil {
		return err
	}
	old, err := s.GetTestimony(ctx, a, t.ID)
	if err != nil {
		return err
	}
	if a.SeesOnlyOwnTestimonies() && old.RecordedBy != a.UserID {
		return domain.Errorf(domain.EForbidden, "this testimony was shared with you to read; only whoever recorded it or a coordinator can edit it")
	}
	t.RecordedBy = old.RecordedBy
	t.CreatedAt, t.CreatedBy = old.CreatedAt, old.CreatedBy
	if err := check(t); err != nil {
		return err
	}
	stamp(&t.Meta, a, false)
	return s.Store.UpdateTestimony(ctx, t)
}
