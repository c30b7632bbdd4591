package web

import (
	"context"
	"net/http"
	"strconv"

	"vigil/internal/domain"
)

// The steps every resource handler repeats, UI and API alike. Each helper
// that can fail has already answered the request when it returns ok false;
// the handler then just returns. Handlers keep their own names in the route
// tables and their own answer (status, redirect, page), so a handler still
// reads top to bottom.

// getFunc reads one record by id as the actor may see it: s.Svc.GetFigure, …
type getFunc[T any] func(ctx context.Context, a domain.Actor, id int64) (T, error)

// saveFunc saves a record in place: s.Svc.SaveFigure, s.Svc.CreateIncident, …
type saveFunc[T any] func(ctx context.Context, a domain.Actor, x *T) error

// listFunc reads one page of records matching a filter: s.Svc.ListFigures, …
type listFunc[F, T any] func(ctx context.Context, a domain.Actor, f F, p domain.Page) ([]T, string, error)

// loadByID reads the record named by the {id} path value.
func loadByID[T any](s *Server, w http.ResponseWriter, r *http.Request, get getFunc[T]) (x T, id int64, ok bool) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return x, 0, false
	}
	x, err = get(r.Context(), actorOf(r), id)
	if err != nil {
		s.fail(w, r, err)
		return x, id, false
	}
	return x, id, true
}

// --- API ---

// versioned is an API input that carries the version the client read.
type versioned interface{ version() int }

// apiGetOne answers GET /api/v1/{kind}/{id} with the record get reads.
func apiGetOne[T any](s *Server, w http.ResponseWriter, r *http.Request, get getFunc[T]) {
	if x, _, ok := loadByID(s, w, r, get); ok {
		writeJSON(w, http.StatusOK, x)
	}
}

// apiListPage does the common part of a paged list: it reads the filter
// (its problems answer 422) and ?limit= and ?cursor=, and lists one page.
func apiListPage[F, T any](s *Server, w http.ResponseWriter, r *http.Request,
	filterOf func(*http.Request, *domain.Problems) F, list listFunc[F, T]) (items []T, next string, ok bool) {
	var p domain.Problems
	f := filterOf(r, &p)
	if err := p.Err(); err != nil {
		s.fail(w, r, err)
		return nil, "", false
	}
	page, err := apiPage(r)
	if err != nil {
		s.fail(w, r, err)
		return nil, "", false
	}
	items, next, err = list(r.Context(), actorOf(r), f, page)
	if err != nil {
		s.fail(w, r, err)
		return nil, "", false
	}
	return items, next, true
}

// apiCreate does the common part of POST /api/v1/{kind}: it reads an In
// from the body, makes the new record from it with newRecord and saves it.
// The caller answers with the saved record.
func apiCreate[In, T any](s *Server, w http.ResponseWriter, r *http.Request,
	save saveFunc[T], newRecord func(in In) T) (x T, ok bool) {
	var in In
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return x, false
	}
	x = newRecord(in)
	if err := save(r.Context(), actorOf(r), &x); err != nil {
		s.fail(w, r, err)
		return x, false
	}
	return x, true
}

// apiUpdate does the common part of PUT /api/v1/{kind}/{id}: it reads the
// id and an In from the body, which must carry the version being edited,
// makes the edited record with edit and saves it. The caller answers with
// the saved record.
func apiUpdate[In versioned, T any](s *Server, w http.ResponseWriter, r *http.Request,
	save saveFunc[T], edit func(in In, id int64) (T, error)) (x T, ok bool) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return x, false
	}
	var in In
	if err := decodeJSON(r, &in); err != nil {
		s.fail(w, r, err)
		return x, false
	}
	if in.version() == 0 {
		s.fail(w, r, domain.Errorf(domain.EInvalid, "send the version you are editing"))
		return x, false
	}
	if x, err = edit(in, id); err != nil {
		s.fail(w, r, err)
		return x, false
	}
	if err := save(r.Context(), actorOf(r), &x); err != nil {
		s.fail(w, r, err)
		return x, false
	}
	return x, true
}

// --- UI lists ---

// listOrShowProblems does the common part of a list page once its filter f
// has been read into problems: a filter with problems is not listed, the
// page v is shown with data and the problems marked (422); otherwise it
// lists the page of records ?cursor= names. When ok is false the request
// has been answered.
func listOrShowProblems[F, T any](s *Server, w http.ResponseWriter, r *http.Request, v View, page string, data any,
	f F, problems domain.Problems, list listFunc[F, T]) (items []T, next string, ok bool) {
	if err := problems.Err(); err != nil {
		v.withError(err)
		v.Data = data
		s.render(w, r, http.StatusUnprocessableEntity, page, v)
		return nil, "", false
	}
	items, next, err := list(r.Context(), actorOf(r), f, domain.Page{Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		s.fail(w, r, err)
		return nil, "", false
	}
	return items, next, true
}

// The *Field helpers read one value as typed into a filter or a form field;
// a value that cannot be read becomes a problem of that field, so every
// problem of a request is reported at once.

// parseCountryField reads an ISO country code ("" when blank).
func parseCountryField(p *domain.Problems, field, s string) string {
	if s == "" {
		return ""
	}
	code, ok := domain.NormalizeCountry(s)
	if !ok {
		p.Add(field, "%q is not a country code", s)
		return ""
	}
	return code
}

// parseDateField reads a YYYY-MM-DD date (zero when blank).
func parseDateField(p *domain.Problems, field, s string) domain.Date {
	d, err := domain.ParseDate(s)
	if err != nil {
		p.Add(field, "%s", err.Error())
	}
	return d
}

// checkTermField checks a code against its closed vocabulary ("" is fine:
// in a filter it matches everything).
func checkTermField(p *domain.Problems, field, code string, v domain.Vocabulary) {
	if code != "" && !v.Has(code) {
		p.Add(field, "unknown value %q", code)
	}
}

// --- UI forms ---

// pathIDAndForm reads the {id} path value, then the submitted form.
func (s *Server) pathIDAndForm(w http.ResponseWriter, r *http.Request) (int64, *form, bool) {
	id, err := pathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return 0, nil, false
	}
	f, err := parseForm(r)
	if err != nil {
		s.fail(w, r, err)
		return 0, nil, false
	}
	return id, f, true
}

// intText and floatText show an optional number in a form field, blank
// when it is not set.
func intText(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}

func floatText(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

// checked is a record a form edits: Normalize tidies it, Validate reports
// every problem with it.
type checked[T any] interface {
	*T
	Normalize()
	Validate() error
}

// saveForm saves x read from f. When some fields of f could not be read,
// x is not saved but validated, so the form comes back with those fields
// and every other problem marked at once.
func saveForm[T any, P checked[T]](r *http.Request, f *form, x P, save saveFunc[T]) error {
	if err := f.merge(nil); err != nil {
		x.Normalize()
		return f.merge(x.Validate())
	}
	return save(r.Context(), actorOf(r), x)
}

// formErrorStatus is the status of a form shown again because of err: 422
// for invalid input, 409 for a stale version. Any other error is not about
// the input: it has been answered as a failure and ok is false.
func (s *Server) formErrorStatus(w http.ResponseWriter, r *http.Request, err error) (status int, ok bool) {
	code := domain.ErrorCode(err)
	if code != domain.EInvalid && code != domain.EConflict {
		s.fail(w, r, err)
		return 0, false
	}
	return statusOf[code], true
}

// renderFormError shows the form page again with data, the person's input,
// and err's problems marked.
func (s *Server) renderFormError(w http.ResponseWriter, r *http.Request, status int, title, page string, data any, err error) {
	v := s.view(r, title)
	v.withError(err)
	v.Data = data
	s.render(w, r, status, page, v)
}
