package web

import (
	"net/http"

	"vigil/internal/domain"
	"vigil/internal/store"
)

func (s *Server) dashboardRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/{$}", Perm: domain.PermDashboard, Handler: s.dashboard},
	}
}

type dashboardData struct {
	Counts   store.Counts
	MaxMonth int64
	Statuses []statusCount
	Recent   []domain.Incident
}

type statusCount struct {
	Status string
	N      int64
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	a := actorOf(r)
	c, err := s.Svc.Counts(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := dashboardData{Counts: c}
	for _, m := range c.IncidentsByMonth {
		d.MaxMonth = max(d.MaxMonth, m.N)
	}
	for _, t := range domain.Verifications.Terms {
		d.Statuses = append(d.Statuses, statusCount{t.Code, c.IncidentsByVerification[t.Code]})
	}
	if a.Can(domain.PermIncidentRead) {
		if d.Recent, _, err = s.Svc.ListIncidents(r.Context(), a, store.IncidentFilter{}, domain.Page{Limit: 8}); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	v := s.view(r, "dashboard.title")
	v.Data = d
	s.render(w, r, http.StatusOK, "dashboard", v)
}
