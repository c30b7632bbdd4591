package web

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"vigil/internal/domain"
	"vigil/internal/store"
)

func (s *Server) figureRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/figures", Perm: domain.PermReferenceRead, Handler: s.figureList},
		{Method: "GET", Path: "/figures/new", Perm: domain.PermReferenceWrite, Handler: s.figureNew},
		{Method: "POST", Path: "/figures", Perm: domain.PermReferenceWrite, Handler: s.figureCreate},
		{Method: "GET", Path: "/figures/{id}", Perm: domain.PermReferenceRead, Handler: s.figureShow},
		{Method: "GET", Path: "/figures/{id}/edit", Perm: domain.PermReferenceWrite, Handler: s.figureEdit},
		{Method: "POST", Path: "/figures/{id}", Perm: domain.PermReferenceWrite, Handler: s.figureUpdate},
	}
}

// maxFigurePages bounds the walk over all figures; at the largest page size
// it is far more figures than anyone publishes about one border.
const maxFigurePages = 500

// allFigures reads every figure matching f, following the cursor. Figures
// are few, and grouping needs all of them at once.
func (s *Server) allFigures(ctx context.Context, a domain.Actor, f store.FigureFilter) ([]domain.Figure, error) {
	var out []domain.Figure
	page := domain.Page{Limit: domain.MaxPageSize}
	for range maxFigurePages {
		items, next, err := s.Svc.ListFigures(ctx, a, f, page)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if next == "" || next == page.Cursor {
			break
		}
		page.Cursor = next
	}
	return out, nil
}

func figureFilterOf(r *http.Request, p *domain.Problems) store.FigureFilter {
	f := store.FigureFilter{Measure: r.URL.Query().Get("measure")}
	if f.Measure != "" && !domain.FigureMeasures.Has(f.Measure) {
		p.Add("measure", "unknown value %q", f.Measure)
	}
	return f
}

// groupFigures groups figures counting the same thing and orders the groups
// by measure and breakdown as the vocabularies list them (totals first),
// then by part and start of period, so a reader finds a measure in one place.
func groupFigures(figs []domain.Figure) []domain.FigureGroup {
	groups := domain.GroupFigures(figs)
	rank := func(v domain.Vocabulary, code string) int {
		for i, t := range v.Terms {
			if t.Code == code {
				return i
			}
		}
		return len(v.Terms)
	}
	sort.SliceStable(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		if ra, rb := rank(domain.FigureMeasures, a.Measure), rank(domain.FigureMeasures, b.Measure); ra != rb {
			return ra < rb
		}
		if ra, rb := rank(domain.Breakdowns, a.Breakdown), rank(domain.Breakdowns, b.Breakdown); ra != rb {
			return ra < rb
		}
		if a.BreakdownValue != b.BreakdownValue {
			return a.BreakdownValue < b.BreakdownValue
		}
		return a.PeriodFrom.Before(b.PeriodFrom)
	})
	return groups
}

// figureNames says what part of a total a figure counts, in the view's
// language; crossing points are named from the reference table.
type figureNames struct {
	Points map[string]string // code → name
}

// Part labels a breakdown: "Total", "Nationality: Syria", "Crossing point: Vartius".
func (n figureNames) Part(v View, breakdown, value string) string {
	label := v.L("breakdown", breakdown)
	switch breakdown {
	case "total", "":
		return label
	case "nationality":
		return label + ": " + v.Country(value)
	case "crossing_point":
		if name := n.Points[value]; name != "" {
			return label + ": " + name
		}
	}
	return label + ": " + value
}

func (s *Server) loadFigureNames(ctx context.Context, a domain.Actor, lang string) (figureNames, error) {
	points, err := s.Svc.ListCrossingPoints(ctx, a)
	if err != nil {
		return figureNames{}, err
	}
	n := figureNames{Points: make(map[string]string, len(points))}
	for _, p := range points {
		n.Points[p.Code] = p.Name(lang)
	}
	return n, nil
}

// --- list: figures counting the same thing side by side ---

type figureListData struct {
	figureNames
	Measure string
	Groups  []domain.FigureGroup
	Count   int
}

func (s *Server) figureList(w http.ResponseWriter, r *http.Request) {
	v := s.view(r, "figures.title")
	a := actorOf(r)
	var p domain.Problems
	f := figureFilterOf(r, &p)
	status := http.StatusOK
	if err := p.Err(); err != nil {
		v.withError(err)
		f.Measure, status = "", http.StatusUnprocessableEntity
	}
	names, err := s.loadFigureNames(r.Context(), a, v.Lang)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	figs, err := s.allFigures(r.Context(), a, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Data = figureListData{figureNames: names, Measure: f.Measure, Groups: groupFigures(figs), Count: len(figs)}
	s.render(w, r, status, "figure_list", v)
}

// --- one figure and the others counting the same thing ---

type figureShowData struct {
	figureNames
	F      domain.Figure
	Group  domain.FigureGroup // includes F
	Others []domain.Figure
}

func (s *Server) figureShow(w http.ResponseWriter, r *http.Request) {
	fig, _, ok := loadByID(s, w, r, s.Svc.GetFigure)
	if !ok {
		return
	}
	a := actorOf(r)
	v := s.view(r, "figures.one")
	names, err := s.loadFigureNames(r.Context(), a, v.Lang)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	same, err := s.allFigures(r.Context(), a, store.FigureFilter{Measure: fig.Measure})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := figureShowData{figureNames: names, F: fig, Group: domain.FigureGroup{Figures: []domain.Figure{fig}}}
	for _, g := range domain.GroupFigures(same) {
		if g.Measure == fig.Measure && g.Breakdown == fig.Breakdown && g.BreakdownValue == fig.BreakdownValue && g.PeriodFrom == fig.PeriodFrom {
			d.Group = g
		}
	}
	for _, o := range d.Group.Figures {
		if o.ID != fig.ID {
			d.Others = append(d.Others, o)
		}
	}
	v.Title = v.L("figure_measure", fig.Measure) + " · " + names.Part(v, fig.Breakdown, fig.BreakdownValue)
	v.Data = d
	s.render(w, r, http.StatusOK, "figure_show", v)
}

// --- form ---

type figureFormData struct {
	F      domain.Figure
	Action string
	Points map[string]string
	Raw    map[string]string // numbers as typed after a failed submit
}

// ValueText is the value field: as typed after a failed submit, empty on a
// new form, else the stored value.
func (d figureFormData) ValueText() string {
	if d.Raw != nil {
		return d.Raw["value"]
	}
	if d.F.ID == 0 && d.F.Value == 0 {
		return ""
	}
	return strconv.FormatInt(d.F.Value, 10)
}

func (s *Server) figureFormData(r *http.Request, lang string, fig domain.Figure, action string) (figureFormData, error) {
	names, err := s.loadFigureNames(r.Context(), actorOf(r), lang)
	if err != nil {
		return figureFormData{}, err
	}
	return figureFormData{F: fig, Action: action, Points: names.Points}, nil
}

func (s *Server) figureNew(w http.ResponseWriter, r *http.Request) {
	v := s.view(r, "figures.new")
	fig := domain.Figure{Breakdown: "total", Approximation: "exact", Unit: "persons", Source: domain.Source{RetrievedOn: s.Svc.Today()}}
	d, err := s.figureFormData(r, v.Lang, fig, "/figures")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Data = d
	s.render(w, r, http.StatusOK, "figure_form", v)
}

func figureFromForm(f *form, fig *domain.Figure) {
	fig.PeriodFrom, fig.PeriodTo = f.date("period_from"), f.date("period_to")
	fig.Measure, fig.Breakdown = f.str("measure"), f.str("breakdown")
	fig.BreakdownValue = f.str("breakdown_value")
	if strings.TrimSpace(f.str("value")) == "" {
		f.problems.Add("value", "is required")
	} else {
		fig.Value = f.int64("value")
	}
	fig.Unit, fig.Approximation = f.str("unit"), f.str("approximation")
	fig.Producer = f.str("producer")
	fig.Source = domain.Source{Publisher: f.str("source_publisher"), URL: f.str("source_url"),
		RetrievedOn: f.date("source_retrieved_on")}
	fig.Note = f.str("note")
	fig.Version = f.int("version")
}

func (s *Server) figureCreate(w http.ResponseWriter, r *http.Request) {
	f, err := parseForm(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var fig domain.Figure
	figureFromForm(f, &fig)
	fig.Version = 0
	if err := saveForm(r, f, &fig, s.Svc.SaveFigure); err != nil {
		s.figureFormError(w, r, "figures.new", fig, f, "/figures", err)
		return
	}
	redirect(w, r, "/figures/"+strconv.FormatInt(fig.ID, 10), "saved")
}

// figureFormError shows the form again with the person's input and every
// problem marked.
func (s *Server) figureFormError(w http.ResponseWriter, r *http.Request, title string, fig domain.Figure, f *form, action string, err error) {
	status, ok := s.formErrorStatus(w, r, err)
	if !ok {
		return
	}
	d, derr := s.figureFormData(r, langOf(r), fig, action)
	if derr != nil {
		s.fail(w, r, derr)
		return
	}
	d.Raw = map[string]string{"value": f.str("value")}
	s.renderFormError(w, r, status, title, "figure_form", d, err)
}

func (s *Server) figureEdit(w http.ResponseWriter, r *http.Request) {
	fig, id, ok := loadByID(s, w, r, s.Svc.GetFigure)
	if !ok {
		return
	}
	v := s.view(r, "figures.edit")
	d, err := s.figureFormData(r, v.Lang, fig, "/figures/"+strconv.FormatInt(id, 10))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Data = d
	s.render(w, r, http.StatusOK, "figure_form", v)
}

func (s *Server) figureUpdate(w http.ResponseWriter, r *http.Request) {
	id, f, ok := s.pathIDAndForm(w, r)
	if !ok {
		return
	}
	if _, err := s.Svc.GetFigure(r.Context(), actorOf(r), id); err != nil {
		s.fail(w, r, err)
		return
	}
	fig := domain.Figure{Meta: domain.Meta{ID: id}}
	figureFromForm(f, &fig)
	action := "/figures/" + strconv.FormatInt(id, 10)
	if err := saveForm(r, f, &fig, s.Svc.SaveFigure); err != nil {
		s.figureFormError(w, r, "figures.edit", fig, f, action, err)
		return
	}
	redirect(w, r, action, "saved")
}

// --- API ---

func (s *Server) figureAPI() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/figures", Perm: domain.PermReferenceRead, Handler: s.apiFigureList,
			Doc: "List published figures exactly as their sources gave them. Filter: measure; limit, cursor."},
		{Method: "POST", Path: "/api/v1/figures", Perm: domain.PermReferenceWrite, Handler: s.apiFigureCreate,
			Doc: "Add a published figure: period_to, measure, value, unit, producer, source {publisher, url, retrieved_on}; optional period_from, breakdown (default total), breakdown_value, approximation (default exact), note."},
		{Method: "GET", Path: "/api/v1/figures/groups", Perm: domain.PermReferenceRead, Handler: s.apiFigureGroups,
			Doc: "Figures counting the same thing (measure, breakdown, start of period) grouped side by side, each group with disagree = true when its sources give different values. Filter: measure. One page: next is always empty."},
		{Method: "GET", Path: "/api/v1/figures/{id}", Perm: domain.PermReferenceRead, Handler: s.apiFigureGet,
			Doc: "One figure."},
		{Method: "PUT", Path: "/api/v1/figures/{id}", Perm: domain.PermReferenceWrite, Handler: s.apiFigureUpdate,
			Doc: "Replace a figure; send the version you read, a stale version answers 409."},
	}
}

func (s *Server) apiFigureList(w http.ResponseWriter, r *http.Request) {
	if items, next, ok := apiListPage(s, w, r, figureFilterOf, s.Svc.ListFigures); ok {
		writeJSON(w, http.StatusOK, newList(items, next))
	}
}

// figureGroupJSON is one side-by-side group in the API.
type figureGroupJSON struct {
	Measure        string          `json:"measure"`
	Breakdown      string          `json:"breakdown"`
	BreakdownValue string          `json:"breakdown_value"`
	PeriodFrom     domain.Date     `json:"period_from"`
	Disagree       bool            `json:"disagree"`
	Figures        []domain.Figure `json:"figures"`
}

func (s *Server) apiFigureGroups(w http.ResponseWriter, r *http.Request) {
	var p domain.Problems
	f := figureFilterOf(r, &p)
	if err := p.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	figs, err := s.allFigures(r.Context(), actorOf(r), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	groups := groupFigures(figs)
	items := make([]figureGroupJSON, len(groups))
	for i, g := range groups {
		items[i] = figureGroupJSON{Measure: g.Measure, Breakdown: g.Breakdown, BreakdownValue: g.BreakdownValue,
			PeriodFrom: g.PeriodFrom, Disagree: g.Disagree(), Figures: g.Figures}
	}
	writeJSON(w, http.StatusOK, newList(items, ""))
}

// figureInput is the writable part of a figure in the API.
type figureInput struct {
	Version        int           `json:"version"`
	PeriodFrom     domain.Date   `json:"period_from"`
	PeriodTo       domain.Date   `json:"period_to"`
	Measure        string        `json:"measure"`
	Breakdown      string        `json:"breakdown"`
	BreakdownValue string        `json:"breakdown_value"`
	Value          int64         `json:"value"`
	Unit           string        `json:"unit"`
	Approximation  string        `json:"approximation"`
	Producer       string        `json:"producer"`
	Source         domain.Source `json:"source"`
	Note           string        `json:"note"`
}

func (in figureInput) apply(f *domain.Figure) {
	f.Version, f.PeriodFrom, f.PeriodTo, f.Measure = in.Version, in.PeriodFrom, in.PeriodTo, in.Measure
	f.Breakdown, f.BreakdownValue, f.Value, f.Unit = in.Breakdown, in.BreakdownValue, in.Value, in.Unit
	f.Approximation, f.Producer, f.Source, f.Note = in.Approximation, in.Producer, in.Source, in.Note
}

func (in figureInput) version() int { return in.Version }

func (s *Server) apiFigureCreate(w http.ResponseWriter, r *http.Request) {
	fig, ok := apiCreate(s, w, r, s.Svc.SaveFigure, func(in figureInput) (fig domain.Figure) {
		in.apply(&fig)
		fig.Version = 0
		return fig
	})
	if ok {
		created(w, apiPath("figures", fig.ID), fig)
	}
}

func (s *Server) apiFigureGet(w http.ResponseWriter, r *http.Request) {
	apiGetOne(s, w, r, s.Svc.GetFigure)
}

func (s *Server) apiFigureUpdate(w http.ResponseWriter, r *http.Request) {
	fig, ok := apiUpdate(s, w, r, s.Svc.SaveFigure, func(in figureInput, id int64) (domain.Figure, error) {
		fig := domain.Figure{Meta: domain.Meta{ID: id}}
		in.apply(&fig)
		return fig, nil
	})
	if ok {
		writeJSON(w, http.StatusOK, fig)
	}
}
