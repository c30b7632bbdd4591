package web

import (
	"net/http"
	"strconv"
	"strings"

	"vigil/internal/domain"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

func (s *Server) incidentRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/incidents", Perm: domain.PermIncidentRead, Handler: s.incidentList},
		{Method: "GET", Path: "/incidents/new", Perm: domain.PermIncidentWrite, Handler: s.incidentNew},
		{Method: "POST", Path: "/incidents", Perm: domain.PermIncidentWrite, Handler: s.incidentCreate},
		{Method: "GET", Path: "/incidents/{id}", Perm: domain.PermIncidentRead, Handler: s.incidentShow},
		{Method: "GET", Path: "/incidents/{id}/edit", Perm: domain.PermIncidentWrite, Handler: s.incidentEdit},
		{Method: "POST", Path: "/incidents/{id}", Perm: domain.PermIncidentWrite, Handler: s.incidentUpdate},
	}
}

// incPointOption is one crossing point in a select.
type incPointOption struct{ Code, Name string }

// incCrossingOptions lists the crossing points for selects and name look-ups.
// ok is false when the actor may not read reference data; pages then offer
// no select and show codes instead of names.
func (s *Server) incCrossingOptions(r *http.Request) (opts []incPointOption, ok bool, err error) {
	a := actorOf(r)
	if !a.Can(domain.PermReferenceRead) {
		return nil, false, nil
	}
	cps, err := s.Svc.ListCrossingPoints(r.Context(), a)
	if err != nil {
		return nil, false, err
	}
	lang := langOf(r)
	opts = make([]incPointOption, len(cps))
	for i, c := range cps {
		opts[i] = incPointOption{Code: c.Code, Name: c.Name(lang)}
	}
	return opts, true, nil
}

func incPointName(opts []incPointOption, code string) string {
	for _, o := range opts {
		if o.Code == code {
			return o.Name
		}
	}
	return code
}

// --- list ---

type incidentListData struct {
	Items     []domain.Incident
	Filter    store.IncidentFilter
	Points    []incPointOption
	PointsOK  bool
	PointName map[string]string
	Cursor    string
	NextURL   string
	FirstURL  string
}

func incidentFilterOf(r *http.Request, p *domain.Problems) store.IncidentFilter {
	q := r.URL.Query()
	f := store.IncidentFilter{Query: strings.TrimSpace(q.Get("q")), CrossingPoint: q.Get("crossing_point"), Kind: q.Get("kind"),
		ViolenceType: q.Get("violence_type"), Verification: q.Get("verification")}
	f.Nationality = parseCountryField(p, "nationality", q.Get("nationality"))
	f.From = parseDateField(p, "from", q.Get("from"))
	f.To = parseDateField(p, "to", q.Get("to"))
	checkTermField(p, "kind", f.Kind, domain.IncidentKinds)
	checkTermField(p, "violence_type", f.ViolenceType, domain.ViolenceTypes)
	checkTermField(p, "verification", f.Verification, domain.Verifications)
	return f
}

func (s *Server) incidentList(w http.ResponseWriter, r *http.Request) {
	v := s.view(r, "incidents.title")
	var p domain.Problems
	f := incidentFilterOf(r, &p)
	opts, pointsOK, err := s.incCrossingOptions(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := incidentListData{Filter: f, Points: opts, PointsOK: pointsOK, PointName: map[string]string{},
		Cursor: r.URL.Query().Get("cursor"), FirstURL: firstURL(r)}
	for _, o := range opts {
		data.PointName[o.Code] = o.Name
	}
	items, next, ok := listOrShowProblems(s, w, r, v, "incident_list", data, f, p, s.Svc.ListIncidents)
	if !ok {
		return
	}
	data.Items, data.NextURL = items, pageURL(r, next)
	v.Data = data
	s.render(w, r, http.StatusOK, "incident_list", v)
}

// --- form ---

// incidentRaw keeps, as typed, the fields that may fail to parse, so a
// re-rendered form shows exactly what the person wrote.
type incidentRaw struct {
	When, WhenPrecision, Lat, Lon, SizeMin, SizeMax, Minors, Women string
}

type incNatRow struct{ Country, Count string }

type incidentFormData struct {
	In         domain.Incident
	Action     string
	Raw        incidentRaw
	Points     []incPointOption
	PointsOK   bool
	PushedFrom []string
	PushedTo   []string
	Nats       []incNatRow
}

// Form rows: at least this many selects for a chain of countries and for
// the group's nationalities; more appear when a record already has more.
const (
	incPushRows = 3
	incNatRows  = 4
)

func incPadRows(list []string, n int) []string {
	out := append([]string(nil), list...)
	for len(out) < n {
		out = append(out, "")
	}
	return out
}

func incRawOf(in domain.Incident) incidentRaw {
	return incidentRaw{When: in.When.Text(), WhenPrecision: in.When.Precision, Lat: floatText(in.Lat), Lon: floatText(in.Lon),
		SizeMin: intText(in.Group.SizeMin), SizeMax: intText(in.Group.SizeMax), Minors: intText(in.Group.Minors), Women: intText(in.Group.Women)}
}

func incNatRowsOf(ns []domain.NationalityCount) []incNatRow {
	var rows []incNatRow
	for _, n := range ns {
		rows = append(rows, incNatRow{Country: n.Country, Count: intText(n.Count)})
	}
	return rows
}

// incidentFromForm reads the incident form into in and returns the rows and
// raw text to show again if it must be re-rendered.
func incidentFromForm(f *form, in *domain.Incident) (incidentRaw, []incNatRow) {
	raw := incidentRaw{When: f.str("when"), WhenPrecision: f.str("when_precision"), Lat: f.str("lat"), Lon: f.str("lon"),
		SizeMin: f.str("group_size_min"), SizeMax: f.str("group_size_max"), Minors: f.str("group_minors"), Women: f.str("group_women")}
	in.Title = f.str("title")
	in.When = f.fuzzy("when", "when_precision")
	in.CrossingPoint = f.str("crossing_point")
	in.Place = f.str("place")
	in.Lat, in.Lon = f.floatp("lat"), f.floatp("lon")
	in.PlacePrecision = f.str("place_precision")
	in.PushedFrom, in.PushedTo = f.list("pushed_from"), f.list("pushed_to")
	in.Kinds, in.ViolenceTypes = f.list("kinds"), f.list("violence_types")
	in.Group = domain.Group{SizeMin: f.intp("group_size_min"), SizeMax: f.intp("group_size_max"),
		Minors: f.intp("group_minors"), Women: f.intp("group_women")}
	countries, counts := f.v["group_nat_country"], f.v["group_nat_count"]
	var rows []incNatRow
	for i := 0; i < max(len(countries), len(counts)); i++ {
		var row incNatRow
		if i < len(countries) {
			row.Country = strings.TrimSpace(countries[i])
		}
		if i < len(counts) {
			row.Count = strings.TrimSpace(counts[i])
		}
		if row.Country == "" && row.Count == "" {
			continue
		}
		rows = append(rows, row)
		n := domain.NationalityCount{Country: row.Country}
		if row.Count != "" {
			c, err := strconv.Atoi(row.Count)
			if err != nil {
				f.problems.Add("group_nationalities", "a count must be a whole number")
			} else {
				n.Count = &c
			}
		}
		in.Group.Nationalities = append(in.Group.Nationalities, n)
	}
	in.Perpetrator, in.PerpetratorUnit = f.str("perpetrator"), f.str("perpetrator_unit")
	in.AsylumRequested, in.Outcome = f.str("asylum_requested"), f.str("outcome")
	in.Summary, in.PublicSummary = f.str("summary"), f.str("public_summary")
	in.Verification = domain.Verification{Status: f.str("verification_status"), Reason: f.str("verification_reason")}
	in.Published = f.bool("published")
	in.Version = f.int("version")
	return raw, rows
}

func (s *Server) incidentForm(r *http.Request, in domain.Incident, action string, raw incidentRaw, nats []incNatRow) (incidentFormData, error) {
	opts, ok, err := s.incCrossingOptions(r)
	if err != nil {
		return incidentFormData{}, err
	}
	// Keep a code the list no longer has, so saving does not drop it silently.
	if ok && in.CrossingPoint != "" && incPointName(opts, in.CrossingPoint) == in.CrossingPoint {
		opts = append(opts, incPointOption{Code: in.CrossingPoint, Name: in.CrossingPoint})
	}
	for len(nats) < incNatRows {
		nats = append(nats, incNatRow{})
	}
	return incidentFormData{In: in, Action: action, Raw: raw, Points: opts, PointsOK: ok,
		PushedFrom: incPadRows(in.PushedFrom, incPushRows), PushedTo: incPadRows(in.PushedTo, incPushRows), Nats: nats}, nil
}

func (s *Server) incidentNew(w http.ResponseWriter, r *http.Request) {
	in := domain.Incident{}
	in.Normalize()
	raw := incRawOf(in)
	raw.WhenPrecision = "" // let the date text decide
	data, err := s.incidentForm(r, in, "/incidents", raw, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := s.view(r, "incidents.new")
	v.Data = data
	s.render(w, r, http.StatusOK, "incident_form", v)
}

func (s *Server) incidentCreate(w http.ResponseWriter, r *http.Request) {
	f, err := parseForm(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in domain.Incident
	raw, nats := incidentFromForm(f, &in)
	if err := saveForm(r, f, &in, s.Svc.CreateIncident); err != nil {
		s.incidentFormError(w, r, "incidents.new", in, "/incidents", raw, nats, err)
		return
	}
	redirect(w, r, "/incidents/"+strconv.FormatInt(in.ID, 10), "saved")
}

// incidentFormError shows the form again with what the person typed and
// every problem marked; nothing they wrote is lost.
func (s *Server) incidentFormError(w http.ResponseWriter, r *http.Request, title string, in domain.Incident, action string, raw incidentRaw, nats []incNatRow, err error) {
	status, ok := s.formErrorStatus(w, r, err)
	if !ok {
		return
	}
	data, ferr := s.incidentForm(r, in, action, raw, nats)
	if ferr != nil {
		s.fail(w, r, ferr)
		return
	}
	s.renderFormError(w, r, status, title, "incident_form", data, err)
}

func (s *Server) incidentEdit(w http.ResponseWriter, r *http.Request) {
	in, id, ok := loadByID(s, w, r, s.Svc.GetIncident)
	if !ok {
		return
	}
	data, err := s.incidentForm(r, in, "/incidents/"+strconv.FormatInt(id, 10), incRawOf(in), incNatRowsOf(in.Group.Nationalities))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := s.view(r, "incidents.edit")
	v.Data = data
	s.render(w, r, http.StatusOK, "incident_form", v)
}

func (s *Server) incidentUpdate(w http.ResponseWriter, r *http.Request) {
	id, f, ok := s.pathIDAndForm(w, r)
	if !ok {
		return
	}
	in := domain.Incident{Meta: domain.Meta{ID: id}}
	raw, nats := incidentFromForm(f, &in)
	action := "/incidents/" + strconv.FormatInt(id, 10)
	if err := saveForm(r, f, &in, s.Svc.UpdateIncident); err != nil {
		s.incidentFormError(w, r, "incidents.edit", in, action, raw, nats, err)
		return
	}
	redirect(w, r, action, "saved")
}

// --- show ---

// incChainStep is one country of a pushback chain; To marks the receiving side.
type incChainStep struct {
	Name string
	To   bool
}

type incidentShowData struct {
	In             domain.Incident
	PointName      string
	Chain          []incChainStep
	GroupSize      string
	SetByName      string
	Proposed       string
	ProposedReason string
	// ProposalDiffers flags a decided status the links do not support;
	// confirmed over a corroborated proposal is the expected step up.
	ProposalDiffers bool
	Links           []incLinkRow
	LinkForm        incLinkForm
	Evidence        evidenceSection // the files attached (evidence.go)
}

// incProposedReasonKeys localizes the reasons domain.ProposeVerification gives.
var incProposedReasonKeys = map[string]string{
	"no linked testimony": "incident.proposed_no_links",
	"only hearsay":        "incident.proposed_only_hearsay",
	"a single source":     "incident.proposed_single",
	"two or more independent narrators, at least one direct": "incident.proposed_corroborated",
}

// incPushChain renders pushed-from then pushed-to as one chain, with an
// "unknown" end where only one side is known.
func incPushChain(v View, from, to []string) []incChainStep {
	if len(from) == 0 && len(to) == 0 {
		return nil
	}
	var out []incChainStep
	add := func(code string, isTo bool) {
		name := v.T("list.unknown")
		if code != "" {
			name = v.Country(code)
		}
		if len(out) > 0 && out[len(out)-1].Name == name {
			return
		}
		out = append(out, incChainStep{Name: name, To: isTo})
	}
	if len(from) == 0 {
		add("", false)
	}
	for _, c := range from {
		add(c, false)
	}
	if len(to) == 0 {
		add("", true)
	}
	for _, c := range to {
		add(c, true)
	}
	return out
}

func incGroupSize(v View, g domain.Group) string {
	switch {
	case g.SizeMin != nil && g.SizeMax != nil && *g.SizeMin == *g.SizeMax:
		return strconv.Itoa(*g.SizeMin)
	case g.SizeMin != nil && g.SizeMax != nil:
		return v.T("incident.size_range", *g.SizeMin, *g.SizeMax)
	case g.SizeMin != nil:
		return v.T("incident.size_at_least", *g.SizeMin)
	case g.SizeMax != nil:
		return v.T("incident.size_at_most", *g.SizeMax)
	}
	return ""
}

func (s *Server) incidentShow(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderIncidentShow(w, r, id, http.StatusOK, incLinkForm{}, nil)
}

// renderIncidentShow renders the incident page; a failed link attempt shows
// it again with the link form's input and error.
func (s *Server) renderIncidentShow(w http.ResponseWriter, r *http.Request, id int64, status int, lf incLinkForm, formErr error) {
	ctx, a := r.Context(), actorOf(r)
	in, err := s.Svc.GetIncident(ctx, a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	links, hidden, err := s.Svc.LinksOfIncident(ctx, a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	setBy, err := s.Svc.VerifierName(ctx, a, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	opts, _, err := s.incCrossingOptions(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := s.view(r, "incidents.one")
	v.Title = v.T("incidents.one") + " #" + strconv.FormatInt(in.ID, 10)
	if formErr != nil {
		v.withError(formErr)
	}
	d := incidentShowData{In: in, Chain: incPushChain(v, in.PushedFrom, in.PushedTo), GroupSize: incGroupSize(v, in.Group),
		SetByName: setBy, Links: incLinkRows(links, hidden), LinkForm: lf, Evidence: s.incidentEvidence(r, id)}
	if in.CrossingPoint != "" {
		d.PointName = incPointName(opts, in.CrossingPoint)
	}
	if d.Proposed, d.ProposedReason, err = s.Svc.ProposedVerification(r.Context(), a, id); err != nil {
		s.fail(w, r, err)
		return
	}
	d.ProposalDiffers = d.Proposed != in.Verification.Status && !(d.Proposed == "corroborated" && in.Verification.Status == "confirmed")
	if key, ok := incProposedReasonKeys[d.ProposedReason]; ok && i18n.Has(v.Lang, key) {
		d.ProposedReason = v.T(key)
	}
	v.Data = d
	s.render(w, r, status, "incident_show", v)
}

// --- API ---

func (s *Server) incidentAPI() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/incidents", Perm: domain.PermIncidentRead, Handler: s.apiIncidentList,
			Doc: "List incidents, newest first. Filters: q (full text), crossing_point (code), kind, violence_type, verification, nationality (ISO country), from, to (YYYY-MM-DD); limit, cursor."},
		{Method: "POST", Path: "/api/v1/incidents", Perm: domain.PermIncidentWrite, Handler: s.apiIncidentCreate,
			Doc: "Record an incident. At least title and kinds; when is {from, to, precision}. Verification and published are only honoured for those who may verify."},
		{Method: "GET", Path: "/api/v1/incidents/{id}", Perm: domain.PermIncidentRead, Handler: s.apiIncidentGet,
			Doc: "One incident."},
		{Method: "PUT", Path: "/api/v1/incidents/{id}", Perm: domain.PermIncidentWrite, Handler: s.apiIncidentUpdate,
			Doc: "Replace an incident; send the version you read, a stale version answers 409. Omitting verification or published keeps them as they are."},
		{Method: "GET", Path: "/api/v1/incidents/{id}/links", Perm: domain.PermIncidentRead, Handler: s.apiIncidentLinks,
			Doc: "The testimonies linked to an incident: testimony_id, relation, note, pseudonym, and hidden for testimonies not shared with you."},
		{Method: "POST", Path: "/api/v1/incidents/{id}/links", Perm: domain.PermLinkWrite, Handler: s.apiLinkCreate,
			Doc: "Link a testimony you can see to the incident: {\"testimony_id\": N, \"relation\": \"victim\", \"note\": \"\"}."},
		{Method: "DELETE", Path: "/api/v1/incidents/{id}/links/{tid}", Perm: domain.PermLinkWrite, Handler: s.apiLinkDelete,
			Doc: "Remove the link between the incident and testimony tid; answers 204."},
	}
}

func (s *Server) apiIncidentList(w http.ResponseWriter, r *http.Request) {
	if items, next, ok := apiListPage(s, w, r, incidentFilterOf, s.Svc.ListIncidents); ok {
		writeJSON(w, http.StatusOK, newList(items, next))
	}
}

// incVerificationInput is the writable part of a verification; who set it and
// when are stamped by the service.
type incVerificationInput struct {
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// incidentInput is the writable part of an incident in the API.
// Verification and Published are pointers so that "not sent" can be told
// from "unverified" and false.
type incidentInput struct {
	Version         int                   `json:"version"`
	Title           string                `json:"title"`
	When            domain.FuzzyDate      `json:"when"`
	CrossingPoint   string                `json:"crossing_point"`
	Place           string                `json:"place"`
	Lat             *float64              `json:"lat"`
	Lon             *float64              `json:"lon"`
	PlacePrecision  string                `json:"place_precision"`
	PushedFrom      []string              `json:"pushed_from"`
	PushedTo        []string              `json:"pushed_to"`
	Kinds           []string              `json:"kinds"`
	Group           domain.Group          `json:"group"`
	ViolenceTypes   []string              `json:"violence_types"`
	Perpetrator     string                `json:"perpetrator"`
	PerpetratorUnit string                `json:"perpetrator_unit"`
	AsylumRequested string                `json:"asylum_requested"`
	Outcome         string                `json:"outcome"`
	Verification    *incVerificationInput `json:"verification"`
	Summary         string                `json:"summary"`
	PublicSummary   string                `json:"public_summary"`
	Published       *bool                 `json:"published"`
}

func (in incidentInput) apply(x *domain.Incident) {
	x.Version, x.Title, x.When, x.CrossingPoint, x.Place = in.Version, in.Title, in.When, in.CrossingPoint, in.Place
	x.Lat, x.Lon, x.PlacePrecision, x.PushedFrom, x.PushedTo = in.Lat, in.Lon, in.PlacePrecision, in.PushedFrom, in.PushedTo
	x.Kinds, x.Group, x.ViolenceTypes = in.Kinds, in.Group, in.ViolenceTypes
	x.Perpetrator, x.PerpetratorUnit, x.AsylumRequested, x.Outcome = in.Perpetrator, in.PerpetratorUnit, in.AsylumRequested, in.Outcome
	x.Summary, x.PublicSummary = in.Summary, in.PublicSummary
	if in.Verification != nil {
		x.Verification = domain.Verification{Status: in.Verification.Status, Reason: in.Verification.Reason}
	}
	if in.Published != nil {
		x.Published = *in.Published
	}
}

func (in incidentInput) version() int { return in.Version }

func (s *Server) apiIncidentCreate(w http.ResponseWriter, r *http.Request) {
	x, ok := apiCreate(s, w, r, s.Svc.CreateIncident, func(in incidentInput) (x domain.Incident) {
		in.apply(&x)
		return x
	})
	if ok {
		created(w, apiPath("incidents", x.ID), x)
	}
}

func (s *Server) apiIncidentGet(w http.ResponseWriter, r *http.Request) {
	apiGetOne(s, w, r, s.Svc.GetIncident)
}

func (s *Server) apiIncidentUpdate(w http.ResponseWriter, r *http.Request) {
	x, ok := apiUpdate(s, w, r, s.Svc.UpdateIncident, func(in incidentInput, id int64) (domain.Incident, error) {
		x := domain.Incident{Meta: domain.Meta{ID: id}}
		if in.Verification == nil || in.Published == nil {
			// A client that does not mention verification or publication
			// must not reset them by omission.
			old, err := s.Svc.GetIncident(r.Context(), actorOf(r), id)
			if err != nil {
				return x, err
			}
			x.Verification, x.Published = old.Verification, old.Published
		}
		in.apply(&x)
		return x, nil
	})
	if ok {
		writeJSON(w, http.StatusOK, x)
	}
}
