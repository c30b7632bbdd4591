package web

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"vigil/internal/domain"
	"vigil/internal/store"
)

// caseLongWaitDays is the Finnish statutory target for an asylum decision, six
// months; waits beyond it are highlighted.
const caseLongWaitDays = 180

// caseEmptyRows is how many blank procedure-event rows the case form
// offers, so several steps can be added in one save without JavaScript.
const caseEmptyRows = 3

func (s *Server) caseRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/cases", Perm: domain.PermCaseRead, Handler: s.caseList},
		{Method: "GET", Path: "/cases/new", Perm: domain.PermCaseWrite, Handler: s.caseNew},
		{Method: "POST", Path: "/cases", Perm: domain.PermCaseWrite, Handler: s.caseCreate},
		{Method: "GET", Path: "/cases/{id}", Perm: domain.PermCaseRead, Handler: s.caseShow},
		{Method: "GET", Path: "/cases/{id}/edit", Perm: domain.PermCaseWrite, Handler: s.caseEdit},
		{Method: "POST", Path: "/cases/{id}", Perm: domain.PermCaseWrite, Handler: s.caseUpdate},
	}
}

// caseWait is the derived interview wait as pages show it.
type caseWait struct {
	domain.Wait
	Known bool // false when there is no arrival or application date
	Long  bool // longer than caseLongWaitDays
}

func caseWaitOf(c domain.AsylumCase, today domain.Date) caseWait {
	w, ok := c.InterviewWait(today)
	return caseWait{Wait: w, Known: ok, Long: ok && w.Days > caseLongWaitDays}
}

// caseSortedEvents returns the events in date order; events on the same day
// keep the order they were entered in.
func caseSortedEvents(evs []domain.ProcedureEvent) []domain.ProcedureEvent {
	out := append([]domain.ProcedureEvent(nil), evs...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].On.Before(out[j].On) })
	return out
}

// caseLatestEvent is the most recent procedure step, if any.
func caseLatestEvent(evs []domain.ProcedureEvent) *domain.ProcedureEvent {
	sorted := caseSortedEvents(evs)
	if len(sorted) == 0 {
		return nil
	}
	return &sorted[len(sorted)-1]
}

// caseCrossingNames maps crossing point codes to names in lang. A role without
// reference access simply sees codes.
func (s *Server) caseCrossingNames(r *http.Request, lang string) (map[string]string, []domain.CrossingPoint) {
	cps, err := s.Svc.ListCrossingPoints(r.Context(), actorOf(r))
	if err != nil {
		if domain.ErrorCode(err) != domain.EForbidden {
			s.Log.Warn("crossing points for cases", "err", err)
		}
		return map[string]string{}, nil
	}
	m := make(map[string]string, len(cps))
	for _, c := range cps {
		m[c.Code] = c.Name(lang)
	}
	return m, cps
}

// --- list ---

type caseRow struct {
	C            domain.AsylumCase
	Latest       *domain.ProcedureEvent
	Wait         caseWait
	CrossingName string
}

type caseListData struct {
	Items    []caseRow
	Filter   store.CaseFilter
	Mine     bool
	Cursor   string
	NextURL  string
	FirstURL string
}

func caseFilterOf(r *http.Request, p *domain.Problems) (store.CaseFilter, bool) {
	q := r.URL.Query()
	f := store.CaseFilter{Query: strings.TrimSpace(q.Get("q"))}
	f.Nationality = parseCountryField(p, "nationality", q.Get("nationality"))
	mine := q.Get("mine") != ""
	if mine {
		f.AssignedTo = actorOf(r).UserID
	}
	return f, mine
}

func (s *Server) caseList(w http.ResponseWriter, r *http.Request) {
	v := s.view(r, "cases.title")
	var p domain.Problems
	f, mine := caseFilterOf(r, &p)
	data := caseListData{Filter: f, Mine: mine, Cursor: r.URL.Query().Get("cursor"), FirstURL: firstURL(r)}
	items, next, ok := listOrShowProblems(s, w, r, v, "case_list", data, f, p, s.Svc.ListCases)
	if !ok {
		return
	}
	names, _ := s.caseCrossingNames(r, v.Lang)
	today := s.Svc.Today()
	for _, c := range items {
		data.Items = append(data.Items, caseRow{C: c, Latest: caseLatestEvent(c.Events), Wait: caseWaitOf(c, today),
			CrossingName: caseNameOr(names, c.CrossingPoint)})
	}
	data.NextURL = pageURL(r, next)
	v.Data = data
	s.render(w, r, http.StatusOK, "case_list", v)
}

func caseNameOr(names map[string]string, code string) string {
	if n, ok := names[code]; ok && n != "" {
		return n
	}
	return code
}

// --- show ---

type caseShowData struct {
	C            domain.AsylumCase
	Events       []domain.ProcedureEvent
	Wait         caseWait
	CrossingName string
	LongWaitDays int
	Mine         bool
}

func (s *Server) caseShow(w http.ResponseWriter, r *http.Request) {
	c, _, ok := loadByID(s, w, r, s.Svc.GetCase)
	if !ok {
		return
	}
	a := actorOf(r)
	v := s.view(r, "cases.one")
	v.Title = v.T("cases.one") + " #" + strconv.FormatInt(c.ID, 10)
	names, _ := s.caseCrossingNames(r, v.Lang)
	v.Data = caseShowData{C: c, Events: caseSortedEvents(c.Events), Wait: caseWaitOf(c, s.Svc.Today()),
		CrossingName: caseNameOr(names, c.CrossingPoint), LongWaitDays: caseLongWaitDays,
		Mine: c.AssignedTo != 0 && c.AssignedTo == a.UserID}
	s.render(w, r, http.StatusOK, "case_show", v)
}

// --- form ---

// caseForm holds the case form as typed, all strings, so that a form that
// fails to parse or validate comes back exactly as the person wrote it.
type caseForm struct {
	ID            int64
	Version       string
	Pseudonym     string
	Nationality   string
	BirthYear     string
	Gender        string
	IdentityName  string
	IdentityDOB   string
	IdentityPhone string
	ArrivedOn     string
	StatusKnownOn string
	CrossingPoint string
	Allowance     string
	Notes         string
	Events        []caseEventRow
}

type caseEventRow struct {
	On   string
	Kind string
	Note string
}

func (r caseEventRow) empty() bool {
	return strings.TrimSpace(r.On) == "" && r.Kind == "" && strings.TrimSpace(r.Note) == ""
}

// caseFormOf shows a stored case in the form.
func caseFormOf(c domain.AsylumCase) caseForm {
	cf := caseForm{ID: c.ID, Version: strconv.Itoa(c.Version), Pseudonym: c.Person.Pseudonym,
		Nationality: c.Person.Nationality, BirthYear: intText(c.Person.BirthYear), Gender: c.Person.Gender,
		IdentityName: c.Person.Identity.Name, IdentityDOB: c.Person.Identity.DateOfBirth.String(),
		IdentityPhone: c.Person.Identity.Phone, ArrivedOn: c.ArrivedOn.String(), StatusKnownOn: c.StatusKnownOn.String(), CrossingPoint: c.CrossingPoint,
		Allowance: intText(c.ReceptionAllowance), Notes: c.Notes}
	for _, e := range caseSortedEvents(c.Events) {
		cf.Events = append(cf.Events, caseEventRow{On: e.On.String(), Kind: e.Kind, Note: e.Note})
	}
	return cf
}

// caseFormFrom reads the submitted form as typed. Blank event rows are
// dropped here; the page adds fresh blank rows when it is shown again.
func caseFormFrom(f *form, id int64) caseForm {
	cf := caseForm{ID: id, Version: f.str("version"), Pseudonym: f.str("person_pseudonym"),
		Nationality: f.str("person_nationality"), BirthYear: f.str("person_birth_year"), Gender: f.str("person_gender"),
		IdentityName: f.str("person_identity_name"), IdentityDOB: f.str("person_identity_date_of_birth"),
		IdentityPhone: f.str("person_identity_phone"), ArrivedOn: f.str("arrived_on"), StatusKnownOn: f.str("status_known_on"),
		CrossingPoint: f.str("crossing_point"), Allowance: f.str("reception_allowance_eur_month"), Notes: f.str("notes")}
	ons, kinds, notes := f.v["event_on"], f.v["event_kind"], f.v["event_note"]
	n := max(len(ons), len(kinds), len(notes))
	for i := range n {
		row := caseEventRow{On: caseAt(ons, i), Kind: caseAt(kinds, i), Note: caseAt(notes, i)}
		if !row.empty() {
			cf.Events = append(cf.Events, row)
		}
	}
	return cf
}

func caseAt(list []string, i int) string {
	if i < len(list) {
		return list[i]
	}
	return ""
}

// apply parses the typed form into c, collecting parse problems in f.
func (cf caseForm) apply(f *form, c *domain.AsylumCase) {
	c.Version, _ = strconv.Atoi(cf.Version)
	c.Person.Pseudonym, c.Person.Nationality, c.Person.Gender = cf.Pseudonym, cf.Nationality, cf.Gender
	c.Person.BirthYear = caseParseIntp(&f.problems, "person_birth_year", cf.BirthYear)
	c.Person.Identity.Name, c.Person.Identity.Phone = cf.IdentityName, cf.IdentityPhone
	c.Person.Identity.DateOfBirth = parseDateField(&f.problems, "person_identity_date_of_birth", cf.IdentityDOB)
	c.ArrivedOn = parseDateField(&f.problems, "arrived_on", cf.ArrivedOn)
	c.StatusKnownOn = parseDateField(&f.problems, "status_known_on", cf.StatusKnownOn)
	c.CrossingPoint = cf.CrossingPoint
	c.ReceptionAllowance = caseParseIntp(&f.problems, "reception_allowance_eur_month", cf.Allowance)
	c.Notes = cf.Notes
	c.Events = nil
	for _, row := range cf.Events {
		c.Events = append(c.Events, domain.ProcedureEvent{On: parseDateField(&f.problems, "events", row.On), Kind: row.Kind, Note: row.Note})
	}
}

func caseParseIntp(p *domain.Problems, field, s string) *int {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		p.Add(field, "must be a whole number")
		return nil
	}
	return &n
}

type caseFormData struct {
	F              caseForm
	Rows           []caseEventRow
	CrossingPoints []domain.CrossingPoint
	Action         string
	Cancel         string
}

func (s *Server) renderCaseForm(w http.ResponseWriter, r *http.Request, status int, v View, cf caseForm) {
	_, cps := s.caseCrossingNames(r, v.Lang)
	rows := append(append([]caseEventRow(nil), cf.Events...), make([]caseEventRow, caseEmptyRows)...)
	d := caseFormData{F: cf, Rows: rows, CrossingPoints: cps, Action: "/cases", Cancel: "/cases"}
	if cf.ID != 0 {
		d.Action = "/cases/" + strconv.FormatInt(cf.ID, 10)
		d.Cancel = d.Action
	}
	v.Data = d
	s.render(w, r, status, "case_form", v)
}

func (s *Server) caseNew(w http.ResponseWriter, r *http.Request) {
	v := s.view(r, "cases.new")
	s.renderCaseForm(w, r, http.StatusOK, v, caseForm{Gender: domain.Unknown})
}

func (s *Server) caseEdit(w http.ResponseWriter, r *http.Request) {
	c, _, ok := loadByID(s, w, r, s.Svc.GetCase)
	if !ok {
		return
	}
	v := s.view(r, "cases.edit")
	s.renderCaseForm(w, r, http.StatusOK, v, caseFormOf(c))
}

// caseFormError shows the form again with what the person typed and every
// problem marked.
func (s *Server) caseFormError(w http.ResponseWriter, r *http.Request, title string, cf caseForm, err error) {
	status, ok := s.formErrorStatus(w, r, err)
	if !ok {
		return
	}
	v := s.view(r, title)
	v.withError(err)
	s.renderCaseForm(w, r, status, v, cf)
}

func (s *Server) caseCreate(w http.ResponseWriter, r *http.Request) {
	f, err := parseForm(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cf := caseFormFrom(f, 0)
	// Whoever opens a case follows it until it is reassigned.
	c := domain.AsylumCase{AssignedTo: actorOf(r).UserID}
	cf.apply(f, &c)
	if err := saveForm(r, f, &c, s.Svc.SaveCase); err != nil {
		s.caseFormError(w, r, "cases.new", cf, err)
		return
	}
	redirect(w, r, "/cases/"+strconv.FormatInt(c.ID, 10), "saved")
}

func (s *Server) caseUpdate(w http.ResponseWriter, r *http.Request) {
	id, f, ok := s.pathIDAndForm(w, r)
	if !ok {
		return
	}
	// The form does not carry the assignment; keep it as it is.
	old, err := s.Svc.GetCase(r.Context(), actorOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cf := caseFormFrom(f, id)
	c := domain.AsylumCase{Meta: domain.Meta{ID: id}, AssignedTo: old.AssignedTo}
	cf.apply(f, &c)
	if err := saveForm(r, f, &c, s.Svc.SaveCase); err != nil {
		s.caseFormError(w, r, "cases.edit", cf, err)
		return
	}
	redirect(w, r, "/cases/"+strconv.FormatInt(id, 10), "saved")
}

// --- API ---

func (s *Server) caseAPI() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/cases", Perm: domain.PermCaseRead, Handler: s.apiCaseList,
			Doc: "List asylum cases, each with its derived interview_wait {from, to, days, censored}; censored means still waiting. " +
				"Identity fields only with identity access. Filters: q (pseudonym), nationality, mine=1 (assigned to the caller); limit, cursor."},
		{Method: "POST", Path: "/api/v1/cases", Perm: domain.PermCaseWrite, Handler: s.apiCaseCreate,
			Doc: "Open an asylum case: person (pseudonym required), arrived_on, status_known_on (last day the state was checked; open waits are counted to it), crossing_point (code), reception_allowance_eur_month, notes, events [{on, kind, note}]. Waiting times are derived, never sent."},
		{Method: "GET", Path: "/api/v1/cases/{id}", Perm: domain.PermCaseRead, Handler: s.apiCaseGet,
			Doc: "One asylum case with its procedure events and derived interview_wait."},
		{Method: "PUT", Path: "/api/v1/cases/{id}", Perm: domain.PermCaseWrite, Handler: s.apiCaseUpdate,
			Doc: "Replace an asylum case and its procedure events; send the version you read, a stale version answers 409."},
	}
}

// caseOut is a case as the API answers it: the record plus its derived
// interview wait (null when there is no date to start from).
type caseOut struct {
	domain.AsylumCase
	InterviewWait *caseWaitOut `json:"interview_wait"`
}

type caseWaitOut struct {
	From     domain.Date `json:"from"`
	To       domain.Date `json:"to"`
	Days     int         `json:"days"`
	Censored bool        `json:"censored"`
}

func caseOutOf(c domain.AsylumCase, today domain.Date) caseOut {
	out := caseOut{AsylumCase: c}
	if out.Events == nil {
		out.Events = []domain.ProcedureEvent{}
	}
	if w, ok := c.InterviewWait(today); ok {
		out.InterviewWait = &caseWaitOut{From: w.From, To: w.To, Days: w.Days, Censored: w.Censored}
	}
	return out
}

func (s *Server) apiCaseList(w http.ResponseWriter, r *http.Request) {
	filterOf := func(r *http.Request, p *domain.Problems) store.CaseFilter {
		f, _ := caseFilterOf(r, p)
		return f
	}
	items, next, ok := apiListPage(s, w, r, filterOf, s.Svc.ListCases)
	if !ok {
		return
	}
	today := s.Svc.Today()
	out := make([]caseOut, len(items))
	for i, c := range items {
		out[i] = caseOutOf(c, today)
	}
	writeJSON(w, http.StatusOK, newList(out, next))
}

// caseInput is the writable part of a case in the API. The assignment is
// not writable here: a new case is assigned to the caller and an update
// keeps the assignment it had.
type caseInput struct {
	Version            int             `json:"version"`
	Person             casePersonInput `json:"person"`
	ArrivedOn          domain.Date     `json:"arrived_on"`
	StatusKnownOn      domain.Date     `json:"status_known_on"`
	CrossingPoint      string          `json:"crossing_point"`
	ReceptionAllowance *int            `json:"reception_allowance_eur_month"`
	Notes              string          `json:"notes"`
	Events             []caseEventIn   `json:"events"`
}

type casePersonInput struct {
	Pseudonym   string          `json:"pseudonym"`
	Nationality string          `json:"nationality"`
	BirthYear   *int            `json:"birth_year"`
	Gender      string          `json:"gender"`
	Identity    domain.Identity `json:"identity"`
}

type caseEventIn struct {
	On   domain.Date `json:"on"`
	Kind string      `json:"kind"`
	Note string      `json:"note"`
}

func (in caseInput) apply(c *domain.AsylumCase) {
	c.Version = in.Version
	c.Person.Pseudonym, c.Person.Nationality, c.Person.BirthYear = in.Person.Pseudonym, in.Person.Nationality, in.Person.BirthYear
	c.Person.Gender, c.Person.Identity = in.Person.Gender, in.Person.Identity
	c.ArrivedOn, c.CrossingPoint, c.ReceptionAllowance, c.Notes = in.ArrivedOn, in.CrossingPoint, in.ReceptionAllowance, in.Notes
	c.StatusKnownOn = in.StatusKnownOn
	c.Events = nil
	for _, e := range in.Events {
		c.Events = append(c.Events, domain.ProcedureEvent{On: e.On, Kind: e.Kind, Note: e.Note})
	}
}

func (in caseInput) version() int { return in.Version }

func (s *Server) apiCaseCreate(w http.ResponseWriter, r *http.Request) {
	c, ok := apiCreate(s, w, r, s.Svc.SaveCase, func(in caseInput) domain.AsylumCase {
		c := domain.AsylumCase{AssignedTo: actorOf(r).UserID}
		in.apply(&c)
		c.Version = 0
		return c
	})
	if ok {
		s.apiCaseAnswer(w, r, c.ID, http.StatusCreated)
	}
}

// apiCaseAnswer reads the saved case back, so the answer shows what a
// later GET will (identity redacted as the caller sees it, events as stored).
func (s *Server) apiCaseAnswer(w http.ResponseWriter, r *http.Request, id int64, status int) {
	c, err := s.Svc.GetCase(r.Context(), actorOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := caseOutOf(c, s.Svc.Today())
	if status == http.StatusCreated {
		created(w, apiPath("cases", c.ID), out)
		return
	}
	writeJSON(w, status, out)
}

func (s *Server) apiCaseGet(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.apiCaseAnswer(w, r, id, http.StatusOK)
}

func (s *Server) apiCaseUpdate(w http.ResponseWriter, r *http.Request) {
	c, ok := apiUpdate(s, w, r, s.Svc.SaveCase, func(in caseInput, id int64) (domain.AsylumCase, error) {
		old, err := s.Svc.GetCase(r.Context(), actorOf(r), id)
		if err != nil {
			return domain.AsylumCase{}, err
		}
		c := domain.AsylumCase{Meta: domain.Meta{ID: id}, AssignedTo: old.AssignedTo}
		in.apply(&c)
		return c, nil
	})
	if ok {
		s.apiCaseAnswer(w, r, c.ID, http.StatusOK)
	}
}
