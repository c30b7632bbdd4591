package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"vigil/internal/domain"
)

// form reads a submitted HTML form and collects the fields it cannot parse,
// so they are reported together with the domain's own validation errors and
// the page can show the person's input again with every problem marked.
type form struct {
	v        url.Values
	problems domain.Problems
}

func parseForm(r *http.Request) (*form, error) {
	if err := r.ParseForm(); err != nil {
		return nil, normalizeErrForm(err)
	}
	return &form{v: r.PostForm}, nil
}

func normalizeErrForm(err error) error {
	if e := normalizeErr(err); e != err {
		return e
	}
	if strings.Contains(err.Error(), "too large") {
		return domain.Errorf(domain.ETooLarge, "the form is too large")
	}
	return domain.Errorf(domain.EInvalid, "the form could not be read")
}

func (f *form) str(name string) string { return f.v.Get(name) }

func (f *form) list(name string) []string {
	var out []string
	for _, s := range f.v[name] {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (f *form) bool(name string) bool {
	s := f.v.Get(name)
	return s == "on" || s == "true" || s == "1" || s == "yes"
}

func (f *form) date(name string) domain.Date {
	d, err := domain.ParseDate(f.v.Get(name))
	if err != nil {
		f.problems.Add(name, "%s", err.Error())
	}
	return d
}

func (f *form) fuzzy(name, precisionName string) domain.FuzzyDate {
	d, err := domain.FuzzyFromText(f.v.Get(name), f.v.Get(precisionName))
	if err != nil {
		f.problems.Add(name, "%s", err.Error())
	}
	return d
}

func (f *form) intp(name string) *int {
	s := strings.TrimSpace(f.v.Get(name))
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		f.problems.Add(name, "must be a whole number")
		return nil
	}
	return &n
}

func (f *form) int64(name string) int64 {
	s := strings.TrimSpace(f.v.Get(name))
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f.problems.Add(name, "must be a whole number")
	}
	return n
}

func (f *form) int(name string) int { return int(f.int64(name)) }

func (f *form) floatp(name string) *float64 {
	s := strings.TrimSpace(f.v.Get(name))
	if s == "" {
		return nil
	}
	x, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64)
	if err != nil {
		f.problems.Add(name, "must be a number")
		return nil
	}
	return &x
}

// merge joins the form's parse problems with a validation error.
func (f *form) merge(err error) error {
	perr := f.problems.Err()
	if perr == nil {
		return err
	}
	if err == nil {
		return perr
	}
	if domain.ErrorCode(err) != domain.EInvalid {
		return err
	}
	e := err.(*domain.Error)
	pe := perr.(*domain.Error)
	return &domain.Error{Code: domain.EInvalid, Message: e.Message, Fields: append(pe.Fields, e.Fields...)}
}

// pathID reads the {id} path value.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, domain.NotFound("record")
	}
	return id, nil
}

// redirect answers a successful POST (post/redirect/get).
func redirect(w http.ResponseWriter, r *http.Request, to, msg string) {
	if msg != "" {
		sep := "?"
		if strings.Contains(to, "?") {
			sep = "&"
		}
		to += sep + "msg=" + msg
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// pageURL builds the URL of the next page with the same filters.
func pageURL(r *http.Request, cursor string) string {
	if cursor == "" {
		return ""
	}
	q := r.URL.Query()
	q.Set("cursor", cursor)
	q.Del("msg")
	return r.URL.Path + "?" + q.Encode()
}

func firstURL(r *http.Request) string {
	q := r.URL.Query()
	q.Del("cursor")
	q.Del("msg")
	if len(q) == 0 {
		return r.URL.Path
	}
	return r.URL.Path + "?" + q.Encode()
}

// safeNext keeps a post-login redirect on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}
