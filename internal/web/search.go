package web

import (
	"net/http"

	"vigil/internal/domain"
	"vigil/internal/service"
)

func (s *Server) searchRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/search", Perm: domain.PermSearch, Handler: s.search},
	}
}

type searchData struct {
	Query  string
	Result service.SearchResult
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	res, err := s.Svc.Search(r.Context(), actorOf(r), q, 50)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := s.view(r, "search.title")
	v.Data = searchData{Query: q, Result: res}
	s.render(w, r, http.StatusOK, "search", v)
}
