package web

import (
	"net/http"
	"strconv"

	"vigil/internal/domain"
	"vigil/internal/store"
)

// shareRoutes let whoever recorded a testimony (or a coordinator) give a
// colleague with need-to-know limits access to it.
func (s *Server) shareRoutes() []Route {
	return []Route{
		{Method: "POST", Path: "/testimonies/{id}/shares", Perm: domain.PermTestimonyWrite, Handler: s.shareCreate},
		{Method: "POST", Path: "/testimonies/{id}/shares/{uid}/delete", Perm: domain.PermTestimonyWrite, Handler: s.shareDelete},
		{Method: "GET", Path: "/api/v1/testimonies/{id}/shares", Perm: domain.PermTestimonyRead, Surface: API, Handler: s.apiShareList,
			Doc: "Who a testimony is shared with (only for whoever may share it; others get an empty list)."},
		{Method: "POST", Path: "/api/v1/testimonies/{id}/shares", Perm: domain.PermTestimonyWrite, Surface: API, Handler: s.apiShareCreate,
			Doc: "Share a testimony with a colleague: {\"user_id\": N}."},
		{Method: "DELETE", Path: "/api/v1/testimonies/{id}/shares/{uid}", Perm: domain.PermTestimonyWrite, Surface: API, Handler: s.apiShareDelete,
			Doc: "Withdraw a share; answers 204."},
	}
}

func (s *Server) shareCreate(w http.ResponseWriter, r *http.Request) {
	id, f, ok := s.pathIDAndForm(w, r)
	if !ok {
		return
	}
	if err := s.Svc.ShareTestimony(r.Context(), actorOf(r), id, f.int64("user_id")); err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/testimonies/"+strconv.FormatInt(id, 10)+"#sharing", "saved")
}

func (s *Server) shareDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		var uid int64
		if uid, err = pathID(r, "uid"); err == nil {
			err = s.Svc.UnshareTestimony(r.Context(), actorOf(r), id, uid)
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/testimonies/"+strconv.FormatInt(id, 10)+"#sharing", "saved")
}

func (s *Server) apiShareList(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	targets, err := s.Svc.ShareTargets(r.Context(), actorOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var items []store.Share
	for _, t := range targets {
		if t.Shared {
			items = append(items, store.Share{TestimonyID: id, UserID: t.UserID})
		}
	}
	writeJSON(w, http.StatusOK, newList(items, ""))
}

func (s *Server) apiShareCreate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in struct {
		UserID int64 `json:"user_id"`
	}
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Svc.ShareTestimony(r.Context(), actorOf(r), id, in.UserID); err != nil {
		s.fail(w, r, err)
		return
	}
	created(w, apiPath("testimonies", id)+"/shares", store.Share{TestimonyID: id, UserID: in.UserID})
}

func (s *Server) apiShareDelete(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		var uid int64
		if uid, err = pathID(r, "uid"); err == nil {
			err = s.Svc.UnshareTestimony(r.Context(), actorOf(r), id, uid)
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
