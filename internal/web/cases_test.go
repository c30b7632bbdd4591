package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"vigil/internal/domain"
)

// caseEnv is a test server with a fixed clock, one crossing point and the
// sessions of the roles the case tests need.
type caseEnv struct {
	*testEnv
	legalUser             domain.User
	legal, coord, monitor *http.Cookie
}

func newCaseEnv(t *testing.T) *caseEnv {
	t.Helper()
	env := newTestServer(t)
	env.Svc.Now = func() time.Time { return time.Date(2024, 9, 1, 12, 0, 0, 0, time.UTC) }
	cp := domain.CrossingPoint{Code: "vaalimaa", NameEN: "Vaalimaa", NameFI: "Vaalimaa", Country: "FI", OtherCountry: "RU", Mode: "road"}
	if err := env.Svc.SaveCrossingPoint(context.Background(), domain.System, &cp); err != nil {
		t.Fatal(err)
	}
	legalUser := env.user(t, "legal_aid")
	tok, err := env.Svc.StartSession(context.Background(), legalUser)
	if err != nil {
		t.Fatal(err)
	}
	return &caseEnv{testEnv: env, legalUser: legalUser, legal: &http.Cookie{Name: sessionCookie, Value: tok},
		coord: env.login(t, "coordinator"), monitor: env.login(t, "monitor")}
}

// legalToken is an API token of the legal-aid worker the seeded cases are
// assigned to.
func (e *caseEnv) legalToken(t *testing.T) string {
	t.Helper()
	tok, err := e.Svc.CreateAPIToken(context.Background(), domain.System, e.legalUser.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// seedCase stores a case directly through the service.
func (e *caseEnv) seedCase(t *testing.T, pseudonym, nat string, events ...domain.ProcedureEvent) domain.AsylumCase {
	t.Helper()
	c := domain.AsylumCase{Person: domain.Person{Pseudonym: pseudonym, Nationality: nat,
		Identity: domain.Identity{Name: "Secret Realname", Phone: "+358401234567"}},
		ArrivedOn: domain.MustDate("2023-11-20"), CrossingPoint: "vaalimaa", Events: events, AssignedTo: e.legalUser.ID}
	if err := e.Svc.SaveCase(context.Background(), domain.System, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func ev(on, kind string) domain.ProcedureEvent {
	return domain.ProcedureEvent{On: domain.MustDate(on), Kind: kind}
}

func validCaseForm() url.Values {
	return url.Values{
		"version": {"0"}, "person_pseudonym": {"Amal"}, "person_nationality": {"SY"}, "person_birth_year": {"1994"},
		"person_gender": {"woman"}, "person_identity_name": {"Amal Realname"}, "person_identity_date_of_birth": {"1994-03-02"},
		"person_identity_phone": {"+358 40 111"}, "arrived_on": {"2023-11-20"}, "crossing_point": {"vaalimaa"},
		"reception_allowance_eur_month": {"290"}, "notes": {"Waiting in Joutseno."},
		"event_on":   {"2023-11-21", "2024-02-01", "", "", ""},
		"event_kind": {"applied", "interview_scheduled", "", "", ""},
		"event_note": {"", "postponed twice", "", "", ""},
	}
}

func with(v url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

var caseIDRE = regexp.MustCompile(`^/cases/(\d+)\?msg=saved$`)

func TestCasePages(t *testing.T) {
	e := newCaseEnv(t)
	long := e.seedCase(t, "Long Waiter", "IQ", ev("2023-11-21", "applied"))
	done := e.seedCase(t, "Interviewed One", "SO", ev("2023-11-21", "applied"), ev("2024-01-10", "interviewed"))

	tests := []struct {
		name    string
		method  string
		path    string
		form    url.Values
		cookie  *http.Cookie
		status  int
		want    []string
		notWant []string
	}{
		{name: "list", method: "GET", path: "/cases", cookie: e.legal, status: 200,
			want: []string{"Long Waiter", "Interviewed One", "Vaalimaa", "286 days", "still waiting", "long-wait", "51 days"}},
		{name: "filter nationality", method: "GET", path: "/cases?nationality=SO", cookie: e.legal, status: 200,
			want: []string{"Interviewed One"}, notWant: []string{"Long Waiter"}},
		{name: "filter pseudonym", method: "GET", path: "/cases?q=long", cookie: e.legal, status: 200,
			want: []string{"Long Waiter"}, notWant: []string{"Interviewed One"}},
		{name: "bad nationality filter", method: "GET", path: "/cases?nationality=XX1", cookie: e.legal, status: 422,
			want: []string{"is not a country code"}},
		{name: "show with identity", method: "GET", path: fmt.Sprintf("/cases/%d", long.ID), cookie: e.legal, status: 200,
			want: []string{`id="case-identity"`, "Secret Realname", "still-waiting", "286 days", "long-wait-note", `class="timeline"`, "Applied for asylum"}},
		{name: "show without identity", method: "GET", path: fmt.Sprintf("/cases/%d", long.ID), cookie: e.coord, status: 200,
			want: []string{"Long Waiter"}, notWant: []string{"case-identity", "Secret Realname", "358401234567", `href="/cases/` + fmt.Sprint(long.ID) + `/edit"`}},
		{name: "show finished wait", method: "GET", path: fmt.Sprintf("/cases/%d", done.ID), cookie: e.legal, status: 200,
			want: []string{"51 days", "interview held"}, notWant: []string{`id="still-waiting"`, "long-wait-note"}},
		{name: "new form", method: "GET", path: "/cases/new", cookie: e.legal, status: 200,
			want: []string{`id="case-form"`, `id="identity-fields"`, `name="event_on"`, `value="vaalimaa"`}},
		{name: "edit form", method: "GET", path: fmt.Sprintf("/cases/%d/edit", done.ID), cookie: e.legal, status: 200,
			want: []string{"Interviewed One", `id="event_on_1"`, `value="2024-01-10"`, `id="event_on_4"`}, notWant: []string{`id="event_on_5"`}},
		{name: "not found", method: "GET", path: "/cases/99999", cookie: e.legal, status: 404},
		{name: "bad id", method: "GET", path: "/cases/abc", cookie: e.legal, status: 404},
		{name: "edit not found", method: "GET", path: "/cases/99999/edit", cookie: e.legal, status: 404},
		{name: "monitor cannot list", method: "GET", path: "/cases", cookie: e.monitor, status: 403},
		{name: "coordinator cannot open form", method: "GET", path: "/cases/new", cookie: e.coord, status: 403},
		{name: "coordinator cannot create", method: "POST", path: "/cases", form: validCaseForm(), cookie: e.coord, status: 403},
		{name: "anonymous redirected", method: "GET", path: "/cases", status: 303},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var w *httptest.ResponseRecorder
			if tc.method == "POST" {
				w = e.postForm(t, tc.path, tc.form, tc.cookie)
			} else {
				w = e.do(t, tc.method, tc.path, nil, tc.cookie, nil)
			}
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d; body: %.600s", w.Code, tc.status, w.Body.String())
			}
			body := w.Body.String()
			for _, s := range tc.want {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %q", s)
				}
			}
			for _, s := range tc.notWant {
				if strings.Contains(body, s) {
					t.Errorf("body has %q", s)
				}
			}
		})
	}
}

func TestCaseCreateAndEdit(t *testing.T) {
	e := newCaseEnv(t)

	w := e.postForm(t, "/cases", validCaseForm(), e.legal)
	m := caseIDRE.FindStringSubmatch(w.Header().Get("Location"))
	if w.Code != http.StatusSeeOther || m == nil {
		t.Fatalf("create: %d %q %.500s", w.Code, w.Header().Get("Location"), w.Body.String())
	}
	var id int64
	fmt.Sscan(m[1], &id)
	c, err := e.Svc.GetCase(context.Background(), domain.System, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Events) != 2 || c.Person.Identity.Name != "Amal Realname" || *c.ReceptionAllowance != 290 || c.CrossingPoint != "vaalimaa" {
		t.Fatalf("stored case: %+v", c)
	}

	edit := with(validCaseForm(), "version", "1", "person_pseudonym", "Amal B.")
	w = e.postForm(t, fmt.Sprintf("/cases/%d", id), edit, e.legal)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("edit: %d %.500s", w.Code, w.Body.String())
	}
	// The same version again is stale: 409 and the form keeps the input.
	stale := with(validCaseForm(), "version", "1", "person_pseudonym", "Stale Edit", "notes", "typed but stale")
	w = e.postForm(t, fmt.Sprintf("/cases/%d", id), stale, e.legal)
	if w.Code != http.StatusConflict {
		t.Fatalf("stale edit: %d", w.Code)
	}
	for _, s := range []string{"changed by someone else", `value="Stale Edit"`, "typed but stale", "postponed twice"} {
		if !strings.Contains(w.Body.String(), s) {
			t.Errorf("stale form lacks %q", s)
		}
	}
	// Editing keeps the assignment made at creation.
	c, _ = e.Svc.GetCase(context.Background(), domain.System, id)
	if c.AssignedTo == 0 || c.Person.Pseudonym != "Amal B." {
		t.Errorf("after edit: assigned %d, pseudonym %q", c.AssignedTo, c.Person.Pseudonym)
	}
	// "Assigned to me" finds the case for its creator and nobody else.
	if body := e.do(t, "GET", "/cases?mine=1", nil, e.legal, nil).Body.String(); !strings.Contains(body, "Amal B.") {
		t.Error("mine filter misses the creator's case")
	}
	other := e.login(t, "legal_aid")
	if body := e.do(t, "GET", "/cases?mine=1", nil, other, nil).Body.String(); strings.Contains(body, "Amal B.") {
		t.Error("mine filter shows another worker's case")
	}
	// Need-to-know: another legal-aid worker neither lists nor opens it.
	if body := e.do(t, "GET", "/cases", nil, other, nil).Body.String(); strings.Contains(body, "Amal B.") {
		t.Error("another legal-aid worker lists the case")
	}
	if w := e.do(t, "GET", "/cases/"+strconv.FormatInt(c.ID, 10), nil, other, nil); w.Code != http.StatusNotFound {
		t.Errorf("another legal-aid worker opens the case: %d", w.Code)
	}
	w = e.postForm(t, "/cases/99999", with(validCaseForm(), "version", "1"), e.legal)
	if w.Code != http.StatusNotFound {
		t.Errorf("edit of missing case: %d", w.Code)
	}
}

func TestCaseFormErrors(t *testing.T) {
	e := newCaseEnv(t)
	bad := with(validCaseForm(),
		"person_pseudonym", "",
		"person_birth_year", "nineteen",
		"reception_allowance_eur_month", "-5",
		"crossing_point", "nowhere",
		"notes", "kept <b>notes</b>")
	bad["event_on"] = []string{"2023-11-01", "", "", ""}
	bad["event_kind"] = []string{"applied", "", "", ""}
	bad["event_note"] = []string{"", "a note without a step", "", ""}
	w := e.postForm(t, "/cases", bad, e.legal)
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", w.Code)
	}
	body := w.Body.String()
	for _, s := range []string{
		`value="nineteen"`, `value="-5"`, "kept &lt;b&gt;notes&lt;/b&gt;", `value="a note without a step"`, `value="2023-11-01"`,
		"must be a whole number", "is required", "must be between 0 and 100000", "before the arrival date", "every procedure event needs a date",
	} {
		if !strings.Contains(body, s) {
			t.Errorf("re-rendered form lacks %q", s)
		}
	}
	// An unknown crossing point is reported with the others once the form
	// parses.
	bad2 := with(validCaseForm(), "person_pseudonym", "", "crossing_point", "nowhere", "person_nationality", "ZZZ")
	w = e.postForm(t, "/cases", bad2, e.legal)
	body = w.Body.String()
	if w.Code != 422 || !strings.Contains(body, "no crossing point has the code") || !strings.Contains(body, "is required") ||
		!strings.Contains(body, `<option value="nowhere" selected>`) {
		t.Errorf("crossing point error: %d %.400s", w.Code, body)
	}
}

func TestCaseOutputEscaped(t *testing.T) {
	e := newCaseEnv(t)
	xss := `<script>alert(1)</script>`
	f := with(validCaseForm(), "person_pseudonym", xss, "notes", `<img src=x onerror=alert(2)>`, "person_identity_name", xss)
	f["event_note"] = []string{`"><svg onload=alert(3)>`, "", "", "", ""}
	w := e.postForm(t, "/cases", f, e.legal)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("create: %d", w.Code)
	}
	for _, path := range []string{w.Header().Get("Location"), "/cases", strings.Split(w.Header().Get("Location"), "?")[0] + "/edit"} {
		body := e.do(t, "GET", path, nil, e.legal, nil).Body.String()
		for _, s := range []string{"<script>alert", "<img src=x", "<svg onload"} {
			if strings.Contains(body, s) {
				t.Errorf("%s: raw %q in output", path, s)
			}
		}
		if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s: escaped pseudonym missing", path)
		}
	}
}

func TestCaseListPagination(t *testing.T) {
	e := newCaseEnv(t)
	for i := range 55 {
		e.seedCase(t, fmt.Sprintf("P%03d", i), "AF")
	}
	w := e.do(t, "GET", "/cases?nationality=AF", nil, e.legal, nil)
	body := w.Body.String()
	if !strings.Contains(body, "P054") || strings.Contains(body, ">P004<") {
		t.Fatalf("first page wrong")
	}
	next := regexp.MustCompile(`href="([^"]*cursor=[^"]*)" rel="next"`).FindStringSubmatch(body)
	if next == nil {
		t.Fatal("no next link")
	}
	w = e.do(t, "GET", strings.ReplaceAll(next[1], "&amp;", "&"), nil, e.legal, nil)
	body = w.Body.String()
	if w.Code != 200 || !strings.Contains(body, ">P004<") || strings.Contains(body, ">P054<") || !strings.Contains(body, "nationality=AF") {
		t.Fatalf("second page: %d", w.Code)
	}
	if strings.Contains(body, `rel="next"`) {
		t.Error("second page should be the last")
	}
}

func TestCaseAPI(t *testing.T) {
	e := newCaseEnv(t)
	legal := e.legalToken(t)
	analyst := e.token(t, "analyst")
	monitor := e.token(t, "monitor")
	e.seedCase(t, "Seeded", "IQ", ev("2023-11-21", "applied"))

	body := `{"person":{"pseudonym":"Api Person","nationality":"SY","gender":"man","identity":{"name":"Api Realname"}},
		"arrived_on":"2023-12-01","crossing_point":"vaalimaa","reception_allowance_eur_month":250,
		"events":[{"on":"2023-12-02","kind":"applied","note":""},{"on":"2024-03-01","kind":"interviewed","note":"ok"}]}`
	w := e.api(t, "POST", "/api/v1/cases", legal, body)
	if w.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", w.Code, w.Body.String())
	}
	var made struct {
		ID            int64 `json:"id"`
		Version       int   `json:"version"`
		InterviewWait struct {
			From, To string
			Days     int
			Censored bool
		} `json:"interview_wait"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &made); err != nil {
		t.Fatal(err)
	}
	if made.InterviewWait.Days != 91 || made.InterviewWait.Censored || made.InterviewWait.From != "2023-12-01" {
		t.Errorf("wait: %+v", made.InterviewWait)
	}
	if w.Header().Get("Location") != fmt.Sprintf("/api/v1/cases/%d", made.ID) {
		t.Errorf("location %q", w.Header().Get("Location"))
	}
	one := fmt.Sprintf("/api/v1/cases/%d", made.ID)

	tests := []struct {
		name, method, path, token, body string
		status                          int
		want                            []string
		notWant                         []string
	}{
		{"list", "GET", "/api/v1/cases", legal, "", 200, []string{`"items":[`, `"next":""`, `"censored":true`, `"interview_wait":{`, "Api Realname"}, nil},
		{"list filtered", "GET", "/api/v1/cases?q=seed", legal, "", 200, []string{"Seeded"}, []string{"Api Person"}},
		{"list paged", "GET", "/api/v1/cases?limit=1", legal, "", 200, []string{"Api Person", `"next":"`}, []string{"Seeded", `"next":""`}},
		{"bad limit", "GET", "/api/v1/cases?limit=0", legal, "", 422, []string{`"code":"invalid"`}, nil},
		{"analyst sees no identity", "GET", one, analyst, "", 200, []string{"Api Person"}, []string{"Api Realname"}},
		{"no token", "GET", "/api/v1/cases", "", "", 401, []string{`{"error":{"code":"unauthorized","message":`}, nil},
		{"bad token", "GET", "/api/v1/cases", "vgl_nope", "", 401, []string{`"code":"unauthorized"`}, nil},
		{"monitor forbidden", "GET", "/api/v1/cases", monitor, "", 403, []string{`"code":"forbidden"`}, nil},
		{"analyst cannot write", "POST", "/api/v1/cases", analyst, body, 403, []string{`"code":"forbidden"`}, nil},
		{"not found", "GET", "/api/v1/cases/99999", legal, "", 404, []string{`{"error":{"code":"not_found","message":`}, nil},
		{"invalid", "POST", "/api/v1/cases", legal, `{"person":{"pseudonym":"","nationality":"QQQ"},"reception_allowance_eur_month":-1,"events":[{"kind":"bogus"}]}`, 422,
			[]string{`"field":"person_pseudonym"`, `"field":"person_nationality"`, `"field":"reception_allowance_eur_month"`, `"field":"events"`}, nil},
		{"unknown field", "POST", "/api/v1/cases", legal, `{"person":{"pseudonym":"x"},"interview_wait":{}}`, 422, []string{"unknown field"}, nil},
		{"put without version", "PUT", one, legal, `{"person":{"pseudonym":"x"}}`, 422, []string{"send the version"}, nil},
		{"put stale", "PUT", one, legal, `{"version":7,"person":{"pseudonym":"x"}}`, 409, []string{`"code":"conflict"`}, nil},
		{"put missing", "PUT", "/api/v1/cases/99999", legal, `{"version":1,"person":{"pseudonym":"x"}}`, 404, []string{`"code":"not_found"`}, nil},
		{"put ok", "PUT", one, legal, `{"version":1,"person":{"pseudonym":"Renamed","nationality":"SY"},"arrived_on":"2023-12-01","events":[{"on":"2023-12-02","kind":"applied"}]}`, 200,
			[]string{`"pseudonym":"Renamed"`, `"version":2`, `"censored":true`, `"days":275`}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := e.api(t, tc.method, tc.path, tc.token, tc.body)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body.String())
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("content type %q", ct)
			}
			for _, s := range tc.want {
				if !strings.Contains(w.Body.String(), s) {
					t.Errorf("body lacks %q: %s", s, w.Body.String())
				}
			}
			for _, s := range tc.notWant {
				if strings.Contains(w.Body.String(), s) {
					t.Errorf("body has %q", s)
				}
			}
		})
	}
}
