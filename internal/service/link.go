package service

import (
	"context"
	"strconv"

	"vigil/internal/domain"
	"vigil/internal/store"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Link ties a testimony the actor can see to an incident.
func (s *Service) Link(ctx context.Context, a domain.Actor, l domain.Link) error {
	ctx = actx(ctx, a) // the store audits the write as a's
	if err := require(a, domain.PermLinkWrite); err != nil {
		return err
	}
	if err := l.Validate(); err != nil {
		return err
	}
	if _, err := s.GetTestimony(ctx, a, l.TestimonyID); err != nil {
		return err
	}
	if _, err := s.Store.GetIncident(ctx, l.IncidentID); err != nil {
		return err
	}
	l.CreatedBy = a.UserID
	return s.Store.Link(ctx, l)
}

// Unlink removes a link.
func (s *Service) Unlink(ctx context.Context, a domain.Actor, testimonyID, incidentID int64) error {
	ctx = actx(ctx, a) // the store audits the write as a's
	if err := require(a, domain.PermLinkWrite); err != nil {
		return err
	}
	if _, err := s.GetTestimony(ctx, a, testimonyID); err != nil {
		return err
	}
	return s.Store.Unlink(ctx, testimonyID, incidentID)
}

// LinksOfIncident returns the incident's linked testimonies. Testimonies the
// actor may not read are still counted (they matter for corroboration) but
// their content is blanked and Hidden is set.
func (s *Service) LinksOfIncident(ctx context.Context, a domain.Actor, incidentID int64) ([]store.LinkedTestimony, []bool, error) {
	if err := require(a, domain.PermIncidentRead); err != nil {
		return nil, nil, err
	}
	links, err := s.Store.LinksOfIncident(ctx, incidentID)
	if err != nil {
		return nil, nil, err
	}
	hidden := make([]bool, len(links))
	for i := range links {
		if !s.canSeeTestimony(ctx, a, links[i].Testimony) {
			hidden[i] = true
			links[i].Testimony = domain.Testimony{Meta: domain.Meta{ID: links[i].Testimony.ID}, Narrator: domain.Narrator{Pseudonym: links[i].Testimony.Narrator.Pseudonym}}
			if !a.Can(domain.PermTestimonyRead) {
				links[i].Testimony.Narrator.Pseudonym = ""
			}
		}
	}
	return links, hidden, nil
}

// LinksOfTestimony returns the incidents a visible testimony is linked to.
func (s *Service) LinksOfTestimony(ctx context.Context, a domain.Actor, testimonyID int64) ([]store.LinkedIncident, error) {
	if _, err := s.GetTestimony(ctx, a, testimonyID); err != nil {
		return nil, err
	}
	if !a.Can(domain.PermIncidentRead) {
		return nil, nil
	}
	return s.Store.LinksOfTestimony(ctx, testimonyID)
}
