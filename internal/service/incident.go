package service

import (
	"context"

	"vigil/internal/domain"
	"vigil/internal/store"
)

// ListIncidents lists incidents matching f.
func (s *Service) ListIncidents(ctx context.Context, a domain.Actor, f store.IncidentFilter, p domain.Page) ([]domain.Incident, string, error) {
	if err := require(a, domain.PermIncidentRead); err != nil {
		return nil, "", err
	}
	return s.Store.ListIncidents(ctx, f, p.Normalized())
}

// GetIncident returns one incident.
func (s *Service) GetIncident(ctx context.Context, a domain.Actor, id int64) (domain.Incident, error) {
	if err := require(a, domain.PermIncidentRead); err != nil {
		return domain.Incident{}, err
	}
	return s.Store.GetIncident(ctx, id)
}

// CreateIncident records a new incident. Only those who may verify can set a
// status other than unverified or publish; others propose.
func (s *Service) CreateIncident(ctx context.Context, a domain.Actor, in *domain.Incident) error {
	ctx = actx(ctx, a) // the store audits the write as a's
	if err := require(a, domain.PermIncidentWrite); err != nil {
		return err
	}
	if !a.Can(domain.PermVerify) {
		in.Verification = domain.Verification{Status: "unverified", Reason: "proposed"}
		in.Published = false
	}
	if err := s.checkIncident(ctx, in); err != nil {
		return err
	}
	s.stampVerification(in, domain.Verification{}, a)
	stamp(&in.Meta, a, true)
	return s.Store.CreateIncident(ctx, in)
}

// UpdateIncident saves an edit, keeping verification and publication as
// they were unless the actor may change them.
func (s *Service) UpdateIncident(ctx context.Context, a domain.Actor, in *domain.Incident) error {
	ctx = actx(ctx, a) // the store audits the write as a's
	if err := require(a, domain.PermIncidentWrite); err != nil {
		return err
	}
	old, err := s.Store.GetIncident(ctx, in.ID)
	if err != nil {
		return err
	}
	if !a.Can(domain.PermVerify) {
		in.Verification, in.Published = old.Verification, old.Published
	}
	in.CreatedAt, in.CreatedBy = old.CreatedAt, old.CreatedBy
	if err := s.checkIncident(ctx, in); err != nil {
		return err
	}
	s.stampVerification(in, old.Verification, a)
	stamp(&in.Meta, a, false)
	return s.Store.UpdateIncident(ctx, in)
}

func (s *Service) stampVerification(in *domain.Incident, old domain.Verification, a domain.Actor) {
	if in.Verification.Status != old.Status || in.Verification.Reason != old.Reason {
		now := s.Now().UTC()
		in.Verification.SetBy, in.Verification.SetAt = a.UserID, &now
	} else {
		in.Verification.SetBy, in.Verification.SetAt = old.SetBy, old.SetAt
	}
}

func (s *Service) checkIncident(ctx context.Context, in *domain.Incident) error {
	in.Normalize()
	err := in.Validate()
	var p domain.Problems
	if in.CrossingPoint != "" {
		if cerr := s.checkCrossingCode(ctx, &p, "crossing_point", in.CrossingPoint); cerr != nil {
			return cerr
		}
	}
	return mergeProblems(err, p.Err())
}

// mergeProblems joins the field errors of two validation errors.
func mergeProblems(a, b error) error {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	ea, eb := a.(*domain.Error), b.(*domain.Error)
	return &domain.Error{Code: domain.EInvalid, Message: ea.Message, Fields: append(ea.Fields, eb.Fields...)}
}

// ProposedVerification suggests a status for an incident from all of its
// links, including testimonies the actor may not read: corroboration
// depends on every source, so the proposal must not change with the viewer.
// Only the status and a reason leave this function, never the testimonies.
func (s *Service) ProposedVerification(ctx context.Context, a domain.Actor, incidentID int64) (string, string, error) {
	if err := require(a, domain.PermIncidentRead); err != nil {
		return "", "", err
	}
	links, err := s.Store.LinksOfIncident(ctx, incidentID)
	if err != nil {
		return "", "", err
	}
	src := make([]domain.LinkedSource, len(links))
	for i, l := range links {
		key := l.Testimony.Narrator.Pseudonym
		if key == "" {
			key = "#" + itoa(l.Testimony.ID)
		}
		src[i] = domain.LinkedSource{Relation: l.Link.Relation, Narrator: key}
	}
	status, reason := domain.ProposeVerification(src)
	return status, reason, nil
}
