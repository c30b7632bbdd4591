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
// actor may read, latest first, in the order of the lists.
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
		if a.SeesOnlyOwnTestimonies() {
			// A monitor's own set is small: the filtered list finds it fast
			// and keeps the need-to-know rule in one place.
			r.Testimonies, _, err = s.ListTestimonies(ctx, a, store.TestimonyFilter{Query: q}, domain.Page{Limit: limit})
		} else {
			r.Testimonies, err = s.Store.SearchTestimonies(ctx, q, limit)
		}
		if err != nil {
			return r, err
		}
	}
	if a.Can(domain.PermIncidentRead) {
		if r.Incidents, err = s.Store.SearchIncidents(ctx, q, limit); err != nil {
			return r, err
		}
	}
	return r, nil
}
