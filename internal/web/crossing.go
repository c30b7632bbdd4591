package web

import (
	"math"
	"net/http"
	"sort"
	"strconv"

	"vigil/internal/domain"
	"vigil/internal/service"
)

func (s *Server) crossingRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/crossing-points", Perm: domain.PermReferenceRead, Handler: s.crossingList},
		{Method: "GET", Path: "/crossing-points/new", Perm: domain.PermReferenceWrite, Handler: s.crossingNew},
		{Method: "POST", Path: "/crossing-points", Perm: domain.PermReferenceWrite, Handler: s.crossingCreate},
		{Method: "GET", Path: "/crossing-points/{id}", Perm: domain.PermReferenceRead, Handler: s.crossingShow},
		{Method: "GET", Path: "/crossing-points/{id}/edit", Perm: domain.PermReferenceWrite, Handler: s.crossingEdit},
		{Method: "POST", Path: "/crossing-points/{id}", Perm: domain.PermReferenceWrite, Handler: s.crossingUpdate},
		{Method: "GET", Path: "/timeline", Perm: domain.PermReferenceRead, Handler: s.timeline},
		{Method: "GET", Path: "/timeline/new", Perm: domain.PermReferenceWrite, Handler: s.policyNew},
		{Method: "POST", Path: "/timeline", Perm: domain.PermReferenceWrite, Handler: s.policyCreate},
		{Method: "GET", Path: "/timeline/{id}/edit", Perm: domain.PermReferenceWrite, Handler: s.policyEdit},
		{Method: "POST", Path: "/timeline/{id}", Perm: domain.PermReferenceWrite, Handler: s.policyUpdate},
	}
}

func init() {
	// policyBadge gives a policy event kind the badge colour of the status
	// it sets; announcements, extensions and laws stay neutral because they
	// do not change a status by themselves.
	funcs["policyBadge"] = func(kind string) string {
		switch kind {
		case "closed":
			return "badge closed"
		case "reopened":
			return "badge open"
		case "restricted":
			return "badge restricted"
		}
		return "badge"
	}
}

// changesStatus reports whether an event of kind sets a crossing status.
func changesStatus(kind string) bool {
	return kind == "closed" || kind == "reopened" || kind == "restricted"
}

// dayParam reads a YYYY-MM-DD query parameter, defaulting to today.
func (s *Server) dayParam(r *http.Request, name string, p *domain.Problems) domain.Date {
	d := parseDateField(p, name, r.URL.Query().Get(name))
	if d.IsZero() {
		d = s.Svc.Today()
	}
	return d
}

// --- crossing point list: status on a chosen day ---

type crossingListData struct {
	On    domain.Date
	Today domain.Date
	Rows  []service.CrossingStatusRow
	Map   *crossingMap
}

func (s *Server) crossingList(w http.ResponseWriter, r *http.Request) {
	v := s.view(r, "crossing.title")
	var p domain.Problems
	on := s.dayParam(r, "on", &p)
	if err := p.Err(); err != nil {
		on = s.Svc.Today()
		v.withError(err)
	}
	rows, err := s.Svc.CrossingStatuses(r.Context(), actorOf(r), on)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Data = crossingListData{On: on, Today: s.Svc.Today(), Rows: rows, Map: newCrossingMap(rows, v.Lang)}
	status := http.StatusOK
	if v.FormError != "" {
		status = http.StatusUnprocessableEntity
	}
	s.render(w, r, status, "crossing_list", v)
}

// crossingMap is a small server-drawn SVG map of the crossing points in an
// equirectangular projection corrected for latitude; it needs no tiles and
// makes no request. Labels stand in a column beside the points, spread so
// that points a few kilometres apart stay readable, with a leader line each.
type crossingMap struct {
	Width, Height int
	LabelX        string
	Dots          []mapDot
}

type mapDot struct {
	ID             int64
	X, Y, LabelY   string
	LineX, LineY   string
	Fill, Name, St string
}

var statusFill = map[string]string{"open": "#1e6b3a", "closed": "#a1261b", "restricted": "#8a4b00"}

func newCrossingMap(rows []service.CrossingStatusRow, lang string) *crossingMap {
	var pts []service.CrossingStatusRow
	minLat, maxLat, minLon, maxLon := 90.0, -90.0, 180.0, -180.0
	for _, row := range rows {
		if row.Point.Lat == nil || row.Point.Lon == nil {
			continue
		}
		pts = append(pts, row)
		minLat, maxLat = math.Min(minLat, *row.Point.Lat), math.Max(maxLat, *row.Point.Lat)
		minLon, maxLon = math.Min(minLon, *row.Point.Lon), math.Max(maxLon, *row.Point.Lon)
	}
	if len(pts) == 0 {
		return nil
	}
	const height, pad, gap, labelRoom, lineH = 480.0, 14.0, 24.0, 170.0, 14.0
	k := math.Cos((minLat + maxLat) / 2 * math.Pi / 180)
	spanX := math.Max((maxLon-minLon)*k, 0.01)
	spanY := math.Max(maxLat-minLat, 0.01)
	scale := (height - 2*pad) / spanY
	// A border running east–west is fitted by width instead.
	if spanX*scale > 480 {
		scale = 480 / spanX
	}
	labelX := pad + spanX*scale + gap
	sort.SliceStable(pts, func(i, j int) bool { return *pts[i].Point.Lat > *pts[j].Point.Lat })
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }
	m := &crossingMap{LabelX: f(labelX)}
	bottom := 0.0
	last := math.Inf(-1)
	for _, row := range pts {
		x := pad + (*row.Point.Lon-minLon)*k*scale
		y := pad + (maxLat-*row.Point.Lat)*scale
		ly := math.Max(y+4, last+lineH)
		last = ly
		bottom = math.Max(bottom, math.Max(y, ly))
		m.Dots = append(m.Dots, mapDot{ID: row.Point.ID, X: f(x), Y: f(y), LabelY: f(ly), LineX: f(labelX - 4), LineY: f(ly - 4),
			Fill: statusFill[row.Status.Status], Name: row.Point.Name(lang), St: row.Status.Status})
	}
	m.Width = int(labelX + labelRoom)
	m.Height = int(bottom + pad)
	return m
}

// --- crossing point form ---

type crossingFormData struct {
	P      domain.CrossingPoint
	Action string
	Raw    map[string]string // numbers as typed, so an unreadable one is shown again
}

// Num gives a number field's value: as typed after a failed submit, else
// the stored value.
func (d crossingFormData) Num(name string, x *float64) string {
	if d.Raw != nil {
		return d.Raw[name]
	}
	return floatText(x)
}

func rawOf(f *form, names ...string) map[string]string {
	m := map[string]string{}
	for _, n := range names {
		m[n] = f.str(n)
	}
	return m
}

func (s *Server) crossingNew(w http.ResponseWriter, r *http.Request) {
	v := s.view(r, "crossing.new")
	v.Data = crossingFormData{P: domain.CrossingPoint{Mode: "road"}, Action: "/crossing-points"}
	s.render(w, r, http.StatusOK, "crossing_form", v)
}

func crossingFromForm(f *form, c *domain.CrossingPoint) {
	c.Code = f.str("code")
	c.NameEN, c.NameFI, c.NameRU = f.str("name_en"), f.str("name_fi"), f.str("name_ru")
	c.Country, c.OtherCountry = f.str("country"), f.str("other_country")
	c.Counterpart, c.Municipality, c.Mode = f.str("counterpart"), f.str("municipality"), f.str("mode")
	c.Lat, c.Lon, c.AccuracyKM = f.floatp("lat"), f.floatp("lon"), f.floatp("accuracy_km")
	c.Notes = f.str("notes")
	c.Version = f.int("version")
}

func (s *Server) crossingCreate(w http.ResponseWriter, r *http.Request) {
	f, err := parseForm(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var c domain.CrossingPoint
	crossingFromForm(f, &c)
	c.Version = 0
	if err := saveForm(r, f, &c, s.Svc.SaveCrossingPoint); err != nil {
		s.crossingFormError(w, r, "crossing.new", c, f, "/crossing-points", err)
		return
	}
	redirect(w, r, "/crossing-points/"+strconv.FormatInt(c.ID, 10), "saved")
}

// crossingFormError shows the form again with the person's input and every
// problem marked.
func (s *Server) crossingFormError(w http.ResponseWriter, r *http.Request, title string, c domain.CrossingPoint, f *form, action string, err error) {
	if status, ok := s.formErrorStatus(w, r, err); ok {
		d := crossingFormData{P: c, Action: action, Raw: rawOf(f, "lat", "lon", "accuracy_km")}
		s.renderFormError(w, r, status, title, "crossing_form", d, err)
	}
}

func (s *Server) crossingEdit(w http.ResponseWriter, r *http.Request) {
	c, id, ok := loadByID(s, w, r, s.Svc.GetCrossingPoint)
	if !ok {
		return
	}
	v := s.view(r, "crossing.edit")
	v.Data = crossingFormData{P: c, Action: "/crossing-points/" + strconv.FormatInt(id, 10)}
	s.render(w, r, http.StatusOK, "crossing_form", v)
}

func (s *Server) crossingUpdate(w http.ResponseWriter, r *http.Request) {
	id, f, ok := s.pathIDAndForm(w, r)
	if !ok {
		return
	}
	cur, err := s.Svc.GetCrossingPoint(r.Context(), actorOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c := domain.CrossingPoint{Meta: domain.Meta{ID: id}}
	crossingFromForm(f, &c)
	// Policy events and incidents refer to a point by its code, so the code
	// is fixed once the point exists.
	c.Code = cur.Code
	action := "/crossing-points/" + strconv.FormatInt(id, 10)
	if err := saveForm(r, f, &c, s.Svc.SaveCrossingPoint); err != nil {
		s.crossingFormError(w, r, "crossing.edit", c, f, action, err)
		return
	}
	redirect(w, r, action, "saved")
}

// --- one crossing point with its status history ---

type crossingHistoryRow struct {
	E       domain.PolicyEvent
	Status  string // the point's status after the event
	Changed bool   // whether the event changed it
}

type crossingShowData struct {
	P       domain.CrossingPoint
	Today   domain.Date
	Current domain.CrossingStatus
	History []crossingHistoryRow
}

// pointHistory lists the events affecting code in effective order, each
// with the status that held after it. The status is derived by the domain
// rule itself, applied to the events up to and including each one, so the
// history cannot disagree with the status shown for a date.
func pointHistory(code string, events []domain.PolicyEvent) []crossingHistoryRow {
	evs := sortedEvents(events)
	var out []crossingHistoryRow
	prev := "open"
	end := domain.Date{Year: 9999, Month: 12, Day: 31}
	for i, e := range evs {
		if !eventAffects(e, code) {
			continue
		}
		st := domain.StatusOn(code, end, evs[:i+1]).Status
		out = append(out, crossingHistoryRow{E: e, Status: st, Changed: st != prev})
		prev = st
	}
	return out
}

func sortedEvents(events []domain.PolicyEvent) []domain.PolicyEvent {
	evs := append([]domain.PolicyEvent(nil), events...)
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Effective() < evs[j].Effective() })
	return evs
}

func eventAffects(e domain.PolicyEvent, code string) bool {
	for _, c := range e.CrossingPoints {
		if c == code {
			return true
		}
	}
	return false
}

func (s *Server) crossingShow(w http.ResponseWriter, r *http.Request) {
	c, _, ok := loadByID(s, w, r, s.Svc.GetCrossingPoint)
	if !ok {
		return
	}
	events, err := s.Svc.ListPolicyEvents(r.Context(), actorOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := s.view(r, "crossing.one")
	v.Title = c.Name(v.Lang)
	today := s.Svc.Today()
	v.Data = crossingShowData{P: c, Today: today, Current: domain.StatusOn(c.Code, today, events),
		History: pointHistory(c.Code, events)}
	s.render(w, r, http.StatusOK, "crossing_show", v)
}

// --- the closure timeline and the status matrix ---

type pointRef struct {
	ID         int64
	Code, Name string
}

type timelineEvent struct {
	E      domain.PolicyEvent
	Points []pointRef
}

type matrixCell struct {
	Status  string
	Changed bool // differs from the previous column
}

type matrixRow struct {
	P     pointRef
	Cells []matrixCell
}

type timelineData struct {
	Points []pointRef
	Filter string
	Events []timelineEvent
	Days   []domain.Date
	Matrix []matrixRow
}

func (s *Server) timeline(w http.ResponseWriter, r *http.Request) {
	v := s.view(r, "crossing.timeline_title")
	a := actorOf(r)
	points, err := s.Svc.ListCrossingPoints(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	events, err := s.Svc.ListPolicyEvents(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	refs := make([]pointRef, len(points))
	byCode := map[string]pointRef{}
	for i, p := range points {
		refs[i] = pointRef{ID: p.ID, Code: p.Code, Name: p.Name(v.Lang)}
		byCode[p.Code] = refs[i]
	}
	d := timelineData{Points: refs, Filter: r.URL.Query().Get("crossing_point")}
	status := http.StatusOK
	if _, ok := byCode[d.Filter]; d.Filter != "" && !ok {
		var p domain.Problems
		p.Add("crossing_point", "no crossing point has the code %q", d.Filter)
		v.withError(p.Err())
		d.Filter, status = "", http.StatusUnprocessableEntity
	}
	evs := sortedEvents(events)
	days := map[domain.Date]bool{}
	for _, e := range evs {
		if d.Filter != "" && !eventAffects(e, d.Filter) {
			continue
		}
		te := timelineEvent{E: e}
		for _, c := range e.CrossingPoints {
			ref, ok := byCode[c]
			if !ok {
				ref = pointRef{Code: c, Name: c}
			}
			te.Points = append(te.Points, ref)
		}
		d.Events = append(d.Events, te)
		if changesStatus(e.Kind) && !e.When.From.IsZero() {
			days[e.When.From] = true
		}
	}
	for day := range days {
		d.Days = append(d.Days, day)
	}
	sort.Slice(d.Days, func(i, j int) bool { return d.Days[i].Before(d.Days[j]) })
	for _, ref := range refs {
		if d.Filter != "" && ref.Code != d.Filter {
			continue
		}
		row := matrixRow{P: ref}
		prev := "open"
		for _, day := range d.Days {
			st := domain.StatusOn(ref.Code, day, evs).Status
			row.Cells = append(row.Cells, matrixCell{Status: st, Changed: st != prev})
			prev = st
		}
		d.Matrix = append(d.Matrix, row)
	}
	v.Data = d
	s.render(w, r, status, "timeline", v)
}

// --- policy event form ---

type policyFormData struct {
	E         domain.PolicyEvent
	WhenText  string
	Precision string // "" lets the date text decide
	Points    []domain.CrossingPoint
	Action    string
}

// renderPolicyForm shows the policy event form with d, every crossing point
// offered to choose from.
func (s *Server) renderPolicyForm(w http.ResponseWriter, r *http.Request, status int, v View, d policyFormData) {
	points, err := s.Svc.ListCrossingPoints(r.Context(), actorOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Points = points
	v.Data = d
	s.render(w, r, status, "policy_form", v)
}

func (s *Server) policyNew(w http.ResponseWriter, r *http.Request) {
	e := domain.PolicyEvent{Kind: "closed", Source: domain.Source{RetrievedOn: s.Svc.Today()}}
	s.renderPolicyForm(w, r, http.StatusOK, s.view(r, "crossing.policy_new"), policyFormData{E: e, Action: "/timeline"})
}

func policyFromForm(f *form, e *domain.PolicyEvent) {
	e.When = f.fuzzy("when", "when_precision")
	e.Time = f.str("time")
	e.Kind = f.str("kind")
	e.CrossingPoints = f.list("crossing_points")
	e.Detail = f.str("detail")
	e.Source = domain.Source{Publisher: f.str("source_publisher"), URL: f.str("source_url"),
		RetrievedOn: f.date("source_retrieved_on")}
	e.Version = f.int("version")
}

func (s *Server) policyCreate(w http.ResponseWriter, r *http.Request) {
	f, err := parseForm(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var e domain.PolicyEvent
	policyFromForm(f, &e)
	e.Version = 0
	if err := saveForm(r, f, &e, s.Svc.SavePolicyEvent); err != nil {
		s.policyFormError(w, r, "crossing.policy_new", e, f, "/timeline", err)
		return
	}
	http.Redirect(w, r, "/timeline?msg=saved#event-"+strconv.FormatInt(e.ID, 10), http.StatusSeeOther)
}

// policyFormError shows the form again with the person's input, including
// a date text that could not be read, and every problem marked.
func (s *Server) policyFormError(w http.ResponseWriter, r *http.Request, title string, e domain.PolicyEvent, f *form, action string, err error) {
	status, ok := s.formErrorStatus(w, r, err)
	if !ok {
		return
	}
	v := s.view(r, title)
	v.withError(err)
	d := policyFormData{E: e, WhenText: f.str("when"), Precision: f.str("when_precision"), Action: action}
	s.renderPolicyForm(w, r, status, v, d)
}

func (s *Server) policyEdit(w http.ResponseWriter, r *http.Request) {
	e, id, ok := loadByID(s, w, r, s.Svc.GetPolicyEvent)
	if !ok {
		return
	}
	d := policyFormData{E: e, WhenText: e.When.Text(), Precision: e.When.Precision, Action: "/timeline/" + strconv.FormatInt(id, 10)}
	// When the text alone gives the stored precision, leave the select on
	// "from the date as written" so that retyping a day as a month does not
	// keep a stale "day".
	if auto, err := domain.FuzzyFromText(d.WhenText, ""); err == nil && auto.Precision == e.When.Precision {
		d.Precision = ""
	}
	s.renderPolicyForm(w, r, http.StatusOK, s.view(r, "crossing.policy_edit"), d)
}

func (s *Server) policyUpdate(w http.ResponseWriter, r *http.Request) {
	id, f, ok := s.pathIDAndForm(w, r)
	if !ok {
		return
	}
	if _, err := s.Svc.GetPolicyEvent(r.Context(), actorOf(r), id); err != nil {
		s.fail(w, r, err)
		return
	}
	e := domain.PolicyEvent{Meta: domain.Meta{ID: id}}
	policyFromForm(f, &e)
	action := "/timeline/" + strconv.FormatInt(id, 10)
	if err := saveForm(r, f, &e, s.Svc.SavePolicyEvent); err != nil {
		s.policyFormError(w, r, "crossing.policy_edit", e, f, action, err)
		return
	}
	http.Redirect(w, r, "/timeline?msg=saved#event-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// --- API ---

func (s *Server) crossingAPI() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/crossing-points", Perm: domain.PermReferenceRead, Handler: s.apiCrossingList,
			Doc: "All crossing points, each with its status derived from the policy events at the end of the day ?on=YYYY-MM-DD (default today): status {code, on, status, since_event_id}. One page: next is always empty."},
		{Method: "POST", Path: "/api/v1/crossing-points", Perm: domain.PermReferenceWrite, Handler: s.apiCrossingCreate,
			Doc: "Add a crossing point: code (lower-case slug), name_en or name_fi, country, mode; optional lat, lon, accuracy_km."},
		{Method: "GET", Path: "/api/v1/crossing-points/{id}", Perm: domain.PermReferenceRead, Handler: s.apiCrossingGet,
			Doc: "One crossing point."},
		{Method: "PUT", Path: "/api/v1/crossing-points/{id}", Perm: domain.PermReferenceWrite, Handler: s.apiCrossingUpdate,
			Doc: "Replace a crossing point; send the version you read, a stale version answers 409. The code cannot change."},
		{Method: "GET", Path: "/api/v1/crossing-points/{id}/status", Perm: domain.PermReferenceRead, Handler: s.apiCrossingStatus,
			Doc: "The derived status of one crossing point at the end of ?on=YYYY-MM-DD (default today), with the event that set it."},
		{Method: "GET", Path: "/api/v1/policy-events", Perm: domain.PermReferenceRead, Handler: s.apiPolicyList,
			Doc: "The closure timeline: every policy event in effective order. Filter: crossing_point (code). One page: next is always empty."},
		{Method: "POST", Path: "/api/v1/policy-events", Perm: domain.PermReferenceWrite, Handler: s.apiPolicyCreate,
			Doc: "Add a policy event: when {from, to, precision}, optional time HH:MM, kind, crossing_points (codes), detail, source {publisher, url, retrieved_on}."},
		{Method: "GET", Path: "/api/v1/policy-events/{id}", Perm: domain.PermReferenceRead, Handler: s.apiPolicyGet,
			Doc: "One policy event."},
		{Method: "PUT", Path: "/api/v1/policy-events/{id}", Perm: domain.PermReferenceWrite, Handler: s.apiPolicyUpdate,
			Doc: "Replace a policy event; send the version you read, a stale version answers 409."},
	}
}

// crossingStatusJSON is a derived status in the API.
type crossingStatusJSON struct {
	Code         string      `json:"code"`
	On           domain.Date `json:"on"`
	Status       string      `json:"status"`
	SinceEventID *int64      `json:"since_event_id"`
}

func statusJSON(code string, on domain.Date, st domain.CrossingStatus) crossingStatusJSON {
	out := crossingStatusJSON{Code: code, On: on, Status: st.Status}
	if st.Since != nil {
		id := st.Since.ID
		out.SinceEventID = &id
	}
	return out
}

type crossingWithStatus struct {
	domain.CrossingPoint
	Status crossingStatusJSON `json:"status"`
}

func (s *Server) apiCrossingList(w http.ResponseWriter, r *http.Request) {
	var p domain.Problems
	on := s.dayParam(r, "on", &p)
	if err := p.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	rows, err := s.Svc.CrossingStatuses(r.Context(), actorOf(r), on)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items := make([]crossingWithStatus, len(rows))
	for i, row := range rows {
		items[i] = crossingWithStatus{CrossingPoint: row.Point, Status: statusJSON(row.Point.Code, on, row.Status)}
	}
	writeJSON(w, http.StatusOK, newList(items, ""))
}

// crossingInput is the writable part of a crossing point in the API.
type crossingInput struct {
	Version      int      `json:"version"`
	Code         string   `json:"code"`
	NameEN       string   `json:"name_en"`
	NameFI       string   `json:"name_fi"`
	NameRU       string   `json:"name_ru"`
	Country      string   `json:"country"`
	OtherCountry string   `json:"other_country"`
	Counterpart  string   `json:"counterpart"`
	Municipality string   `json:"municipality"`
	Mode         string   `json:"mode"`
	Lat          *float64 `json:"lat"`
	Lon          *float64 `json:"lon"`
	AccuracyKM   *float64 `json:"accuracy_km"`
	Notes        string   `json:"notes"`
}

func (in crossingInput) apply(c *domain.CrossingPoint) {
	c.Version, c.Code, c.NameEN, c.NameFI, c.NameRU = in.Version, in.Code, in.NameEN, in.NameFI, in.NameRU
	c.Country, c.OtherCountry, c.Counterpart, c.Municipality = in.Country, in.OtherCountry, in.Counterpart, in.Municipality
	c.Mode, c.Lat, c.Lon, c.AccuracyKM, c.Notes = in.Mode, in.Lat, in.Lon, in.AccuracyKM, in.Notes
}

func (in crossingInput) version() int { return in.Version }

func (s *Server) apiCrossingCreate(w http.ResponseWriter, r *http.Request) {
	c, ok := apiCreate(s, w, r, s.Svc.SaveCrossingPoint, func(in crossingInput) (c domain.CrossingPoint) {
		in.apply(&c)
		c.Version = 0
		return c
	})
	if ok {
		created(w, apiPath("crossing-points", c.ID), c)
	}
}

func (s *Server) apiCrossingGet(w http.ResponseWriter, r *http.Request) {
	apiGetOne(s, w, r, s.Svc.GetCrossingPoint)
}

func (s *Server) apiCrossingUpdate(w http.ResponseWriter, r *http.Request) {
	c, ok := apiUpdate(s, w, r, s.Svc.SaveCrossingPoint, func(in crossingInput, id int64) (domain.CrossingPoint, error) {
		cur, err := s.Svc.GetCrossingPoint(r.Context(), actorOf(r), id)
		if err != nil {
			return domain.CrossingPoint{}, err
		}
		if in.Code == "" {
			in.Code = cur.Code
		}
		if in.Code != cur.Code {
			var p domain.Problems
			p.Add("code", "cannot be changed: policy events and incidents refer to the point by it")
			return domain.CrossingPoint{}, p.Err()
		}
		c := domain.CrossingPoint{Meta: domain.Meta{ID: id}}
		in.apply(&c)
		return c, nil
	})
	if ok {
		writeJSON(w, http.StatusOK, c)
	}
}

func (s *Server) apiCrossingStatus(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var p domain.Problems
	on := s.dayParam(r, "on", &p)
	if err := p.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	a := actorOf(r)
	c, err := s.Svc.GetCrossingPoint(r.Context(), a, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	events, err := s.Svc.ListPolicyEvents(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, statusJSON(c.Code, on, domain.StatusOn(c.Code, on, events)))
}

func (s *Server) apiPolicyList(w http.ResponseWriter, r *http.Request) {
	code := r.URL.Query().Get("crossing_point")
	events, err := s.Svc.ListPolicyEvents(r.Context(), actorOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var items []domain.PolicyEvent
	for _, e := range sortedEvents(events) {
		if code == "" || eventAffects(e, code) {
			items = append(items, e)
		}
	}
	writeJSON(w, http.StatusOK, newList(items, ""))
}

// policyInput is the writable part of a policy event in the API.
type policyInput struct {
	Version        int              `json:"version"`
	When           domain.FuzzyDate `json:"when"`
	Time           string           `json:"time"`
	Kind           string           `json:"kind"`
	CrossingPoints []string         `json:"crossing_points"`
	Detail         string           `json:"detail"`
	Source         domain.Source    `json:"source"`
}

func (in policyInput) apply(e *domain.PolicyEvent) {
	e.Version, e.When, e.Time, e.Kind = in.Version, in.When, in.Time, in.Kind
	e.CrossingPoints, e.Detail, e.Source = in.CrossingPoints, in.Detail, in.Source
	// A single day may be sent as just "from", and its precision left out.
	if e.When.To.IsZero() {
		e.When.To = e.When.From
	}
	if e.When.Precision == "" && !e.When.From.IsZero() {
		e.When.Precision = "day"
		if e.When.To != e.When.From {
			e.When.Precision = "estimate"
		}
	}
}

func (in policyInput) version() int { return in.Version }

func (s *Server) apiPolicyCreate(w http.ResponseWriter, r *http.Request) {
	e, ok := apiCreate(s, w, r, s.Svc.SavePolicyEvent, func(in policyInput) (e domain.PolicyEvent) {
		in.apply(&e)
		e.Version = 0
		return e
	})
	if ok {
		created(w, apiPath("policy-events", e.ID), e)
	}
}

func (s *Server) apiPolicyGet(w http.ResponseWriter, r *http.Request) {
	apiGetOne(s, w, r, s.Svc.GetPolicyEvent)
}

func (s *Server) apiPolicyUpdate(w http.ResponseWriter, r *http.Request) {
	e, ok := apiUpdate(s, w, r, s.Svc.SavePolicyEvent, func(in policyInput, id int64) (domain.PolicyEvent, error) {
		e := domain.PolicyEvent{Meta: domain.Meta{ID: id}}
		in.apply(&e)
		return e, nil
	})
	if ok {
		writeJSON(w, http.StatusOK, e)
	}
}
