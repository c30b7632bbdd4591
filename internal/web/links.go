package web

import (
	"net/http"
	"strconv"

	"vigil/internal/domain"
	"vigil/internal/store"
)

func (s *Server) linkRoutes() []Route {
	return []Route{
		{Method: "POST", Path: "/incidents/{id}/links", Perm: domain.PermLinkWrite, Handler: s.linkCreate},
		{Method: "POST", Path: "/incidents/{id}/links/{tid}/delete", Perm: domain.PermLinkWrite, Handler: s.linkDelete},
	}
}

// incLinkRow is one linked testimony as the incident page and the API show it.
// A testimony the viewer may not read keeps only what corroboration needs:
// that it exists, the relation and (for testimony readers) the pseudonym.
type incLinkRow struct {
	TestimonyID int64       `json:"testimony_id"`
	Relation    string      `json:"relation"`
	Note        string      `json:"note"`
	Pseudonym   string      `json:"pseudonym"`
	Hidden      bool        `json:"hidden"`
	ReceivedOn  domain.Date `json:"-"`
}

func incLinkRows(links []store.LinkedTestimony, hidden []bool) []incLinkRow {
	rows := make([]incLinkRow, len(links))
	for i, l := range links {
		rows[i] = incLinkRow{TestimonyID: l.Link.TestimonyID, Relation: l.Link.Relation, Note: l.Link.Note,
			Pseudonym: l.Testimony.Narrator.Pseudonym, ReceivedOn: l.Testimony.ReceivedOn}
		if rows[i].TestimonyID == 0 {
			rows[i].TestimonyID = l.Testimony.ID
		}
		if i < len(hidden) && hidden[i] {
			// The note was written about a testimony the viewer may not
			// read; it can tell as much as the testimony itself.
			rows[i].Hidden, rows[i].Note = true, ""
		}
	}
	return rows
}

// incLinkForm is what was typed into the incident page's link form.
type incLinkForm struct {
	TestimonyID, Relation, Note string
}

// incLinkNotFound turns "testimony not found" into a problem on the form
// field, so the page can say which input is wrong.
func incLinkNotFound() error {
	var p domain.Problems
	p.Add("testimony_id", "no testimony with this number is shared with you")
	return p.Err()
}

func (s *Server) linkCreate(w http.ResponseWriter, r *http.Request) {
	id, f, ok := s.pathIDAndForm(w, r)
	if !ok {
		return
	}
	a := actorOf(r)
	// The incident must exist before a testimony's absence can be blamed.
	if _, err := s.Svc.GetIncident(r.Context(), a, id); err != nil {
		s.fail(w, r, err)
		return
	}
	lf := incLinkForm{TestimonyID: f.str("testimony_id"), Relation: f.str("relation"), Note: f.str("note")}
	l := domain.Link{IncidentID: id, TestimonyID: f.int64("testimony_id"), Relation: lf.Relation, Note: lf.Note}
	err := f.merge(nil)
	if err == nil {
		err = s.Svc.Link(r.Context(), a, l)
		if domain.ErrorCode(err) == domain.ENotFound {
			err = incLinkNotFound()
		}
	}
	if err != nil {
		if status, ok := s.formErrorStatus(w, r, err); ok {
			s.renderIncidentShow(w, r, id, status, lf, err)
		}
		return
	}
	redirect(w, r, "/incidents/"+strconv.FormatInt(id, 10), "linked")
}

func (s *Server) linkDelete(w http.ResponseWriter, r *http.Request) {
	if id, ok := s.unlinkFromPath(w, r); ok {
		redirect(w, r, "/incidents/"+strconv.FormatInt(id, 10), "unlinked")
	}
}

// unlinkFromPath removes the link between the incident {id} and the
// testimony {tid}. On an error it has answered and ok is false.
func (s *Server) unlinkFromPath(w http.ResponseWriter, r *http.Request) (id int64, ok bool) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return 0, false
	}
	tid, err := pathID(r, "tid")
	if err != nil {
		s.fail(w, r, err)
		return 0, false
	}
	if err := s.Svc.Unlink(r.Context(), actorOf(r), tid, id); err != nil {
		s.fail(w, r, err)
		return 0, false
	}
	return id, true
}

// --- API (routes are declared in incidentAPI) ---

func (s *Server) apiIncidentLinks(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	a := actorOf(r)
	// Links of a missing incident are "not found", not an empty list.
	if _, err := s.Svc.GetIncident(r.Context(), a, id); err != nil {
		s.fail(w, r, err)
		return
	}
	links, hidden, err := s.Svc.LinksOfIncident(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newList(incLinkRows(links, hidden), ""))
}

type incLinkInput struct {
	TestimonyID int64  `json:"testimony_id"`
	Relation    string `json:"relation"`
	Note        string `json:"note"`
}

func (s *Server) apiLinkCreate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in incLinkInput
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	l := domain.Link{IncidentID: id, TestimonyID: in.TestimonyID, Relation: in.Relation, Note: in.Note}
	if err := s.Svc.Link(r.Context(), actorOf(r), l); err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.Svc.GetTestimony(r.Context(), actorOf(r), in.TestimonyID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	row := incLinkRow{TestimonyID: in.TestimonyID, Relation: l.Relation, Note: domain.CleanText(l.Note), Pseudonym: t.Narrator.Pseudonym}
	created(w, apiPath("incidents", id)+"/links", row)
}

func (s *Server) apiLinkDelete(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.unlinkFromPath(w, r); ok {
		w.WriteHeader(http.StatusNoContent)
	}
}
