package service

import (
	"context"

	"vigil/internal/domain"
	"vigil/internal/store"
)

// SearchResult holds what a search found that the actor may see.
type SearchResult struct {
	Testimonies []domain.Testimony
	Incidents   []domain.Incident
}

// Search runs one full-text query over the testimonies and incidents the
// actor may read.
func (s *Service) Search(ctx context.Context, a domain.Actor, q string, limit int) (SearchResult, error) {
	var r SearchResult
	if err := require(a, domain.PermSearch); err != nil {
		return r, err
	}
	if q == "" {
		return r, nil
	}
	var err error
	if a.Can(domain.PermTestimonyRead) {
		if r.Testimonies, _, err = s.ListTestimonies(ctx, a, store.TestimonyFilter{Query: q}, domain.Page{Limit: limit}); err != nil {
			return r, err
		}
	}
	if a.Can(domain.PermIncidentRead) {
		if r.Incidents, _, err = s.ListIncidents(ctx, a, store.IncidentFilter{Query: q}, domain.Page{Limit: limit}); err != nil {
			return r, err
		}
	}
	return r, nil
}
