package web

import (
	"net/http"
	"strconv"

	"vigil/internal/domain"
	"vigil/internal/service"
	"vigil/internal/store"
)

func (s *Server) testimonyRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/testimonies", Perm: domain.PermTestimonyRead, Handler: s.testimonyList},
		{Method: "GET", Path: "/testimonies/new", Perm: domain.PermTestimonyWrite, Handler: s.testimonyNew},
		{Method: "POST", Path: "/testimonies", Perm: domain.PermTestimonyWrite, Handler: s.testimonyCreate},
		{Method: "GET", Path: "/testimonies/{id}", Perm: domain.PermTestimonyRead, Handler: s.testimonyShow},
		{Method: "GET", Path: "/testimonies/{id}/edit", Perm: domain.PermTestimonyWrite, Handler: s.testimonyEdit},
		{Method: "POST", Path: "/testimonies/{id}", Perm: domain.PermTestimonyWrite, Handler: s.testimonyUpdate},
	}
}

type testimonyListData struct {
	Items    []domain.Testimony
	Filter   store.TestimonyFilter
	Cursor   string
	NextURL  string
	FirstURL string
}

func testimonyFilterOf(r *http.Request, p *domain.Problems) store.TestimonyFilter {
	q := r.URL.Query()
	f := store.TestimonyFilter{Query: q.Get("q"), Mode: q.Get("mode")}
	f.Nationality = parseCountryField(p, "nationality", q.Get("nationality"))
	f.ReceivedFrom = parseDateField(p, "from", q.Get("from"))
	f.ReceivedTo = parseDateField(p, "to", q.Get("to"))
	checkTermField(p, "mode", f.Mode, domain.TestimonyModes)
	return f
}

func (s *Server) testimonyList(w http.ResponseWriter, r *http.Request) {
	v := s.view(r, "testimonies.title")
	var p domain.Problems
	f := testimonyFilterOf(r, &p)
	data := testimonyListData{Filter: f, Cursor: r.URL.Query().Get("cursor"), FirstURL: firstURL(r)}
	items, next, ok := listOrShowProblems(s, w, r, v, "testimony_list", data, f, p, s.Svc.ListTestimonies)
	if !ok {
		return
	}
	data.Items, data.NextURL = items, pageURL(r, next)
	v.Data = data
	s.render(w, r, http.StatusOK, "testimony_list", v)
}

type testimonyFormData struct {
	T      domain.Testimony
	Action string
}

func (s *Server) testimonyNew(w http.ResponseWriter, r *http.Request) {
	v := s.view(r, "testimonies.new")
	t := domain.Testimony{ReceivedOn: s.Svc.Today(), Consent: domain.Consent{Store: true}}
	v.Data = testimonyFormData{T: t, Action: "/testimonies"}
	s.render(w, r, http.StatusOK, "testimony_form", v)
}

// testimonyFromForm reads the testimony form into t.
func testimonyFromForm(f *form, t *domain.Testimony) {
	t.ReceivedOn = f.date("received_on")
	t.Mode = f.str("mode")
	t.Language = f.str("language")
	t.Interpreter = f.bool("interpreter")
	t.Narrator = domain.Narrator{Pseudonym: f.str("narrator_pseudonym"), Nationality: f.str("narrator_nationality"),
		AgeBand: f.str("narrator_age_band"), Gender: f.str("narrator_gender")}
	t.Consent = domain.Consent{Store: f.bool("consent_store"), QuotePublicly: f.bool("consent_quote_publicly"),
		ShareWithPartners: f.bool("consent_share_with_partners"), LegalAction: f.bool("consent_legal_action")}
	t.Narrative = f.str("narrative")
	t.PublicQuotes = f.str("public_quotes")
	t.Reliability = f.str("reliability")
	t.Version = f.int("version")
}

func (s *Server) testimonyCreate(w http.ResponseWriter, r *http.Request) {
	f, err := parseForm(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var t domain.Testimony
	testimonyFromForm(f, &t)
	if err := saveForm(r, f, &t, s.Svc.CreateTestimony); err != nil {
		s.testimonyFormError(w, r, "testimonies.new", t, "/testimonies", err)
		return
	}
	redirect(w, r, "/testimonies/"+strconv.FormatInt(t.ID, 10), "saved")
}

// testimonyFormError shows the form again with what the person typed and
// every problem marked; nothing they wrote is lost.
func (s *Server) testimonyFormError(w http.ResponseWriter, r *http.Request, title string, t domain.Testimony, action string, err error) {
	if status, ok := s.formErrorStatus(w, r, err); ok {
		s.renderFormError(w, r, status, title, "testimony_form", testimonyFormData{T: t, Action: action}, err)
	}
}

type testimonyShowData struct {
	T         domain.Testimony
	Incidents []store.LinkedIncident
	// ShareTargets is set only for those who may share the testimony.
	ShareTargets []service.ShareTarget
	Evidence     evidenceSection // the files attached (evidence.go)
}

func (s *Server) testimonyShow(w http.ResponseWriter, r *http.Request) {
	t, id, ok := loadByID(s, w, r, s.Svc.GetTestimony)
	if !ok {
		return
	}
	links, err := s.Svc.LinksOfTestimony(r.Context(), actorOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	targets, err := s.Svc.ShareTargets(r.Context(), actorOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := s.view(r, "testimonies.one")
	v.Title = v.T("testimonies.one") + " #" + strconv.FormatInt(t.ID, 10)
	v.Data = testimonyShowData{T: t, Incidents: links, ShareTargets: targets, Evidence: s.evidenceFor(r, service.TestimonyOwner(id))}
	s.render(w, r, http.StatusOK, "testimony_show", v)
}

func (s *Server) testimonyEdit(w http.ResponseWriter, r *http.Request) {
	t, id, ok := loadByID(s, w, r, s.Svc.GetTestimony)
	if !ok {
		return
	}
	v := s.view(r, "testimonies.edit")
	v.Data = testimonyFormData{T: t, Action: "/testimonies/" + strconv.FormatInt(id, 10)}
	s.render(w, r, http.StatusOK, "testimony_form", v)
}

func (s *Server) testimonyUpdate(w http.ResponseWriter, r *http.Request) {
	id, f, ok := s.pathIDAndForm(w, r)
	if !ok {
		return
	}
	t := domain.Testimony{Meta: domain.Meta{ID: id}}
	testimonyFromForm(f, &t)
	action := "/testimonies/" + strconv.FormatInt(id, 10)
	if err := saveForm(r, f, &t, s.Svc.UpdateTestimony); err != nil {
		s.testimonyFormError(w, r, "testimonies.edit", t, action, err)
		return
	}
	redirect(w, r, action, "saved")
}

// --- API ---

func (s *Server) testimonyAPI() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/testimonies", Perm: domain.PermTestimonyRead, Handler: s.apiTestimonyList,
			Doc: "List testimonies (a monitor sees their own). Filters: q (full text), mode, nationality, from, to; limit, cursor."},
		{Method: "POST", Path: "/api/v1/testimonies", Perm: domain.PermTestimonyWrite, Handler: s.apiTestimonyCreate,
			Doc: "Record a testimony. At least received_on and narrative; consent.store defaults to true for API clients only when omitted."},
		{Method: "GET", Path: "/api/v1/testimonies/{id}", Perm: domain.PermTestimonyRead, Handler: s.apiTestimonyGet,
			Doc: "One testimony."},
		{Method: "PUT", Path: "/api/v1/testimonies/{id}", Perm: domain.PermTestimonyWrite, Handler: s.apiTestimonyUpdate,
			Doc: "Replace a testimony; send the version you read, a stale version answers 409."},
		{Method: "GET", Path: "/api/v1/testimonies/{id}/incidents", Perm: domain.PermTestimonyRead, Handler: s.apiTestimonyIncidents,
			Doc: "The incidents a testimony is linked to, with the narrator's relation."},
	}
}

func (s *Server) apiTestimonyList(w http.ResponseWriter, r *http.Request) {
	if items, next, ok := apiListPage(s, w, r, testimonyFilterOf, s.Svc.ListTestimonies); ok {
		writeJSON(w, http.StatusOK, newList(items, next))
	}
}

// testimonyInput is the writable part of a testimony in the API. Consent
// to store is a pointer so that "not sent" can be told from false.
type testimonyInput struct {
	Version      int             `json:"version"`
	ReceivedOn   domain.Date     `json:"received_on"`
	Mode         string          `json:"mode"`
	Language     string          `json:"language"`
	Interpreter  bool            `json:"interpreter"`
	Narrator     domain.Narrator `json:"narrator"`
	Consent      *domain.Consent `json:"consent"`
	Narrative    string          `json:"narrative"`
	PublicQuotes string          `json:"public_quotes"`
	Reliability  string          `json:"reliability"`
}

func (in testimonyInput) apply(t *domain.Testimony) {
	t.Version, t.ReceivedOn, t.Mode, t.Language, t.Interpreter = in.Version, in.ReceivedOn, in.Mode, in.Language, in.Interpreter
	t.Narrator, t.Narrative, t.PublicQuotes, t.Reliability = in.Narrator, in.Narrative, in.PublicQuotes, in.Reliability
	if in.Consent != nil {
		t.Consent = *in.Consent
	} else {
		// An API client that says nothing about consent is recording a
		// testimony it was given to keep; every other flag stays off.
		t.Consent = domain.Consent{Store: true}
	}
}

func (in testimonyInput) version() int { return in.Version }

func (s *Server) apiTestimonyCreate(w http.ResponseWriter, r *http.Request) {
	t, ok := apiCreate(s, w, r, s.Svc.CreateTestimony, func(in testimonyInput) (t domain.Testimony) {
		in.apply(&t)
		return t
	})
	if ok {
		created(w, apiPath("testimonies", t.ID), t)
	}
}

func (s *Server) apiTestimonyGet(w http.ResponseWriter, r *http.Request) {
	apiGetOne(s, w, r, s.Svc.GetTestimony)
}

func (s *Server) apiTestimonyUpdate(w http.ResponseWriter, r *http.Request) {
	t, ok := apiUpdate(s, w, r, s.Svc.UpdateTestimony, func(in testimonyInput, id int64) (domain.Testimony, error) {
		t := domain.Testimony{Meta: domain.Meta{ID: id}}
		in.apply(&t)
		return t, nil
	})
	if ok {
		writeJSON(w, http.StatusOK, t)
	}
}

func (s *Server) apiTestimonyIncidents(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	links, err := s.Svc.LinksOfTestimony(r.Context(), actorOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newList(links, ""))
}
