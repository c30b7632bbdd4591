package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"vigil/internal/domain"
)

func figSave(t *testing.T, env *testEnv, measure, breakdown, value string, from, to string, n int64, approx, publisher string) domain.Figure {
	t.Helper()
	f := domain.Figure{Measure: measure, Breakdown: breakdown, BreakdownValue: value, Value: n, Unit: "persons",
		Approximation: approx, Producer: "Finnish Border Guard", Note: "as published",
		Source: domain.Source{Publisher: publisher, URL: "https://example.org/" + strings.ReplaceAll(strings.ToLower(publisher), " ", "-"), RetrievedOn: domain.MustDate("2024-02-01")}}
	if from != "" {
		f.PeriodFrom = domain.MustDate(from)
	}
	f.PeriodTo = domain.MustDate(to)
	if err := env.Svc.SaveFigure(context.Background(), domain.System, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

type figWorld struct {
	env                *testEnv
	yleA, hsB, migriSY domain.Figure
	byPoint            domain.Figure
}

func newFigWorld(t *testing.T) *figWorld {
	t.Helper()
	w := &figWorld{env: newTestServer(t)}
	cpPoint(t, w.env, "vartius", "Vartius", 64.48, 30.07)
	// Two sources count the same thing and disagree.
	w.yleA = figSave(t, w.env, "asylum_seekers", "total", "", "2023-08-01", "2023-12-31", 1300, "about", "Yle News")
	w.hsB = figSave(t, w.env, "asylum_seekers", "total", "", "2023-08-01", "2024-01-15", 1323, "exact", "Helsingin Sanomat")
	// Alone in its group.
	w.migriSY = figSave(t, w.env, "arrivals", "nationality", "SY", "", "2023-12-31", 200, "over", "Migri")
	w.byPoint = figSave(t, w.env, "arrivals", "crossing_point", "vartius", "2023-11-01", "2023-11-30", 500, "exact", "Border Guard")
	return w
}

// figGroup returns the HTML of the group section holding figure id.
func figGroup(t *testing.T, body string, id int64) string {
	t.Helper()
	i := strings.Index(body, fmt.Sprintf(`id="figure-%d"`, id))
	if i < 0 {
		t.Fatalf("figure %d not on page", id)
	}
	start := strings.LastIndex(body[:i], "<section")
	end := strings.Index(body[i:], "</section>")
	return body[start : i+end]
}

func TestFigureListGroupsSideBySide(t *testing.T) {
	w := newFigWorld(t)
	cookie := w.env.login(t, "analyst")
	r := w.env.do(t, "GET", "/figures", nil, cookie, nil)
	if r.Code != http.StatusOK {
		t.Fatalf("status %d", r.Code)
	}
	body := r.Body.String()
	g := figGroup(t, body, w.yleA.ID)
	if !strings.Contains(g, fmt.Sprintf(`id="figure-%d"`, w.hsB.ID)) {
		t.Fatal("the two sources are not in one group")
	}
	cpWant(t, "disagreeing group", g, []string{`class="card disagree"`, "Sources disagree.", "About 1\u202f300", "1\u202f323",
		`href="https://example.org/yle-news" rel="noopener noreferrer"`, "Helsingin Sanomat", "2023-08-01 – 2023-12-31", "Finnish Border Guard", "as published"}, nil)
	// Within a group, by cut-off date.
	if strings.Index(g, "Yle News") > strings.Index(g, "Helsingin Sanomat") {
		t.Error("group not ordered by cut-off")
	}
	sy := figGroup(t, body, w.migriSY.ID)
	cpWant(t, "single group", sy, []string{"Nationality: Syria", "Over 200", "Start of period not stated"}, []string{"disagree"})
	cpWant(t, "by point", figGroup(t, body, w.byPoint.ID), []string{"Crossing point: Vartius"}, nil)

	r = w.env.do(t, "GET", "/figures?measure=arrivals", nil, cookie, nil)
	body = r.Body.String()
	cpWant(t, "filtered", body, []string{fmt.Sprintf(`id="figure-%d"`, w.migriSY.ID)}, []string{fmt.Sprintf(`id="figure-%d"`, w.yleA.ID)})
	if r = w.env.do(t, "GET", "/figures?measure=nonsense", nil, cookie, nil); r.Code != http.StatusUnprocessableEntity {
		t.Errorf("bad measure: %d", r.Code)
	}
	cpWant(t, "analyst cannot add", body, nil, []string{`id="new-figure"`})
}

func TestFigureListFollowsCursor(t *testing.T) {
	env := newTestServer(t)
	n := domain.MaxPageSize + 7
	for i := range n {
		figSave(t, env, "pending", "total", "", "", domain.MustDate("2023-01-01").AddDays(i).String(), int64(i), "exact", "Migri")
	}
	body := env.do(t, "GET", "/figures", nil, env.login(t, "analyst"), nil).Body.String()
	if got := strings.Count(body, `class="figure-value"`); got != n {
		t.Fatalf("%d figures shown, want %d", got, n)
	}
}

func TestFigureShow(t *testing.T) {
	w := newFigWorld(t)
	cookie := w.env.login(t, "legal_aid")
	r := w.env.do(t, "GET", fmt.Sprintf("/figures/%d", w.hsB.ID), nil, cookie, nil)
	if r.Code != http.StatusOK {
		t.Fatalf("status %d", r.Code)
	}
	cpWant(t, "show", r.Body.String(), []string{"Persons who sought asylum · Total", `id="figure-disagree"`, "Yle News", "About 1\u202f300", `id="figure-source"`}, []string{`id="edit-figure"`})
	for _, p := range []string{"/figures/999999", "/figures/x", "/figures/999999/edit"} {
		if r := w.env.do(t, "GET", p, nil, w.env.login(t, "coordinator"), nil); r.Code != http.StatusNotFound {
			t.Errorf("%s: %d", p, r.Code)
		}
	}
}

func figValidForm() url.Values {
	return url.Values{"measure": {"asylum_applications"}, "breakdown": {"total"}, "breakdown_value": {""},
		"period_from": {"2023-08-01"}, "period_to": {"2023-12-31"}, "approximation": {"exact"}, "value": {"1271"}, "unit": {"applications"},
		"producer": {"Finnish Immigration Service"}, "source_publisher": {"Migri"}, "source_url": {"https://migri.fi/en/statistics"},
		"source_retrieved_on": {"2024-01-20"}, "note": {"Applications, not persons"}}
}

func TestFigureForms(t *testing.T) {
	w := newFigWorld(t)
	coord := w.env.login(t, "coordinator")
	cases := []struct {
		name      string
		vals      url.Values
		status    int
		want      []string
		errFields []string
	}{
		{name: "valid", vals: figValidForm(), status: http.StatusSeeOther},
		{name: "several invalid", vals: cpWith(figValidForm(), "measure", "", "value", "twelve", "period_to", "", "producer", "",
			"source_url", "javascript:alert(1)", "breakdown", "nationality", "breakdown_value", "", "note", "keep me"),
			status: http.StatusUnprocessableEntity, errFields: []string{"measure", "value", "period_to", "producer", "source_url", "breakdown_value"},
			want: []string{`value="twelve"`, "keep me", `value="Migri"`, `value="2023-08-01"`}},
		{name: "end before start", vals: cpWith(figValidForm(), "period_from", "2024-01-01", "value", "-3"),
			status: http.StatusUnprocessableEntity, errFields: []string{"period_to", "value"}, want: []string{`value="-3"`}},
		{name: "markup inert", vals: cpWith(figValidForm(), "producer", `<script>alert(1)</script>`, "note", `"><img src=x onerror=alert(1)>`),
			status: http.StatusSeeOther},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := w.env.postForm(t, "/figures", c.vals, coord)
			if r.Code != c.status {
				t.Fatalf("status %d, want %d: %s", r.Code, c.status, r.Body.String())
			}
			body := r.Body.String()
			if c.status == http.StatusSeeOther {
				loc := r.Header().Get("Location")
				if !strings.HasPrefix(loc, "/figures/") {
					t.Fatalf("redirect %q", loc)
				}
				body = w.env.do(t, "GET", loc, nil, coord, nil).Body.String()
				cpWant(t, "saved", body, []string{"Saved.", "1\u202f271"}, []string{"<script>alert(1)", "<img src=x"})
			}
			cpWant(t, c.name, body, c.want, nil)
			for _, f := range c.errFields {
				if !strings.Contains(cpAfter(body, `id="`+f+`"`), "field-error") {
					t.Errorf("no error for %s", f)
				}
			}
		})
	}
	list := w.env.do(t, "GET", "/figures", nil, coord, nil).Body.String()
	cpWant(t, "escaped list", list, []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"}, []string{"<script>alert(1)", "<img src=x"})

	// Stale edit keeps the form; a fresh one saves.
	path := fmt.Sprintf("/figures/%d", w.migriSY.ID)
	edit := w.env.do(t, "GET", path+"/edit", nil, coord, nil).Body.String()
	cpWant(t, "edit form", edit, []string{`value="SY"`, `value="200"`, `name="version" value="1"`}, nil)
	other := w.migriSY
	other.Note = "corrected elsewhere"
	if err := w.env.Svc.SaveFigure(context.Background(), domain.System, &other); err != nil {
		t.Fatal(err)
	}
	mine := cpWith(figValidForm(), "version", "1", "value", "4242")
	r := w.env.postForm(t, path, mine, coord)
	if r.Code != http.StatusConflict {
		t.Fatalf("stale: %d", r.Code)
	}
	cpWant(t, "stale", r.Body.String(), []string{"changed by someone else", `value="4242"`}, nil)
	if r = w.env.postForm(t, path, cpWith(mine, "version", "2"), coord); r.Code != http.StatusSeeOther {
		t.Fatalf("fresh: %d %s", r.Code, r.Body.String())
	}
	if r = w.env.postForm(t, "/figures/999999", mine, coord); r.Code != http.StatusNotFound {
		t.Errorf("missing: %d", r.Code)
	}

	// Roles without reference:write.
	for _, role := range []string{"analyst", "monitor", "legal_aid"} {
		c := w.env.login(t, role)
		if r := w.env.postForm(t, "/figures", figValidForm(), c); r.Code != http.StatusForbidden {
			t.Errorf("%s POST: %d", role, r.Code)
		}
		if r := w.env.do(t, "GET", "/figures/new", nil, c, nil); r.Code != http.StatusForbidden {
			t.Errorf("%s new: %d", role, r.Code)
		}
		if r := w.env.do(t, "GET", path+"/edit", nil, c, nil); r.Code != http.StatusForbidden {
			t.Errorf("%s edit: %d", role, r.Code)
		}
	}
	if r := w.env.do(t, "GET", "/figures", nil, nil, nil); r.Code != http.StatusSeeOther {
		t.Errorf("anonymous: %d", r.Code)
	}
}

func TestFigureAPI(t *testing.T) {
	w := newFigWorld(t)
	reader := w.env.token(t, "analyst")
	writer := w.env.token(t, "coordinator")

	for _, p := range []string{"/api/v1/figures", "/api/v1/figures/groups"} {
		r := w.env.api(t, "GET", p, "", "")
		var e cpAPIError
		cpJSON(t, r.Body.Bytes(), &e)
		if r.Code != http.StatusUnauthorized || e.Error.Code != "unauthorized" {
			t.Errorf("%s without token: %d", p, r.Code)
		}
	}

	// Keyset pages cover every figure once.
	seen := map[int64]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("cursor does not end")
		}
		r := w.env.api(t, "GET", "/api/v1/figures?limit=1&cursor="+url.QueryEscape(cursor), reader, "")
		var l struct {
			Items []domain.Figure `json:"items"`
			Next  *string         `json:"next"`
		}
		cpJSON(t, r.Body.Bytes(), &l)
		if r.Code != http.StatusOK || l.Next == nil || len(l.Items) > 1 {
			t.Fatalf("page: %d %s", r.Code, r.Body.String())
		}
		for _, f := range l.Items {
			if seen[f.ID] {
				t.Fatalf("figure %d twice", f.ID)
			}
			seen[f.ID] = true
		}
		if *l.Next == "" {
			break
		}
		cursor = *l.Next
	}
	if len(seen) != 4 {
		t.Fatalf("saw %d figures, want 4", len(seen))
	}

	r := w.env.api(t, "GET", "/api/v1/figures?measure=arrivals", reader, "")
	if !strings.Contains(r.Body.String(), `"breakdown_value":"SY"`) || strings.Contains(r.Body.String(), "Yle News") {
		t.Errorf("filter: %s", r.Body.String())
	}

	r = w.env.api(t, "GET", "/api/v1/figures/groups", reader, "")
	var groups struct {
		Items []struct {
			Measure  string          `json:"measure"`
			Disagree bool            `json:"disagree"`
			Figures  []domain.Figure `json:"figures"`
		} `json:"items"`
		Next *string `json:"next"`
	}
	cpJSON(t, r.Body.Bytes(), &groups)
	if r.Code != http.StatusOK || len(groups.Items) != 3 || groups.Next == nil {
		t.Fatalf("groups: %d %s", r.Code, r.Body.String())
	}
	for _, g := range groups.Items {
		if want := g.Measure == "asylum_seekers"; g.Disagree != want || (want && len(g.Figures) != 2) {
			t.Errorf("group %s: disagree %v with %d figures", g.Measure, g.Disagree, len(g.Figures))
		}
	}

	valid := `{"period_from":"2023-08-01","period_to":"2023-12-31","measure":"asylum_applications","value":1271,"unit":"applications","producer":"Migri","source":{"publisher":"Migri","url":"https://migri.fi"}}`
	cases := []struct {
		name, method, path, token, body string
		status                          int
		errCode                         string
		fields                          []string
	}{
		{"create", "POST", "/api/v1/figures", writer, valid, 201, "", nil},
		{"invalid", "POST", "/api/v1/figures", writer, `{"measure":"x","value":-1,"unit":"","producer":"","source":{"publisher":"","url":"javascript:1"}}`, 422, "invalid",
			[]string{"period_to", "measure", "value", "unit", "producer", "source_publisher", "source_url"}},
		{"unknown field", "POST", "/api/v1/figures", writer, `{"valeu":3}`, 422, "invalid", nil},
		{"bad limit", "GET", "/api/v1/figures?limit=0", reader, "", 422, "invalid", nil},
		{"bad measure", "GET", "/api/v1/figures?measure=nope", reader, "", 422, "invalid", []string{"measure"}},
		{"reader cannot write", "POST", "/api/v1/figures", reader, valid, 403, "forbidden", nil},
		{"missing", "GET", "/api/v1/figures/999999", reader, "", 404, "not_found", nil},
		{"put missing", "PUT", "/api/v1/figures/999999", writer, strings.Replace(valid, "{", `{"version":1,`, 1), 404, "not_found", nil},
		{"put without version", "PUT", fmt.Sprintf("/api/v1/figures/%d", w.yleA.ID), writer, valid, 422, "invalid", nil},
		{"put stale", "PUT", fmt.Sprintf("/api/v1/figures/%d", w.yleA.ID), writer, strings.Replace(valid, "{", `{"version":5,`, 1), 409, "conflict", nil},
		{"put ok", "PUT", fmt.Sprintf("/api/v1/figures/%d", w.yleA.ID), writer, strings.Replace(valid, "{", `{"version":1,`, 1), 200, "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := w.env.api(t, c.method, c.path, c.token, c.body)
			if r.Code != c.status {
				t.Fatalf("status %d, want %d: %s", r.Code, c.status, r.Body.String())
			}
			if c.errCode == "" {
				return
			}
			var e cpAPIError
			cpJSON(t, r.Body.Bytes(), &e)
			if e.Error.Code != c.errCode || e.Error.Message == "" {
				t.Errorf("error body: %s", r.Body.String())
			}
			have := map[string]bool{}
			for _, f := range e.Error.Fields {
				have[f.Field] = true
			}
			for _, f := range c.fields {
				if !have[f] {
					t.Errorf("no field error for %s: %s", f, r.Body.String())
				}
			}
		})
	}
	for _, rt := range w.env.Srv.figureAPI() {
		if rt.Doc == "" {
			t.Errorf("%s %s has no Doc", rt.Method, rt.Path)
		}
		if rt.Method == "GET" && rt.Path == "/api/v1/figures" && !strings.Contains(rt.Doc, "cursor") {
			t.Error("the figure list Doc must mention cursor")
		}
	}
}

func TestFigurePagesFinnish(t *testing.T) {
	w := newFigWorld(t)
	u := w.env.user(t, "coordinator")
	u.Lang = "fi"
	if err := w.env.Svc.UpdateUser(context.Background(), domain.System, &u); err != nil {
		t.Fatal(err)
	}
	tok, err := w.env.Svc.StartSession(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	cookie := &http.Cookie{Name: sessionCookie, Value: tok}
	for _, p := range []string{"/figures", fmt.Sprintf("/figures/%d", w.yleA.ID), "/figures/new", fmt.Sprintf("/figures/%d/edit", w.yleA.ID)} {
		r := w.env.do(t, "GET", p, nil, cookie, nil)
		body := r.Body.String()
		if r.Code != http.StatusOK || strings.Contains(body, "[figures.") {
			t.Errorf("%s: %d or untranslated key", p, r.Code)
		}
	}
	body := w.env.do(t, "GET", "/figures", nil, cookie, nil).Body.String()
	cpWant(t, "finnish", body, []string{"Lähteet ovat eri mieltä.", "Noin 1\u202f300", "Kansalaisuus: Syyria"}, nil)
}
