package web

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"vigil/internal/domain"
	"vigil/internal/service"
)

// incFixture seeds a crossing point and returns a helper that records
// incidents as the system actor.
func incFixture(t *testing.T, env *testEnv) func(title string, mod func(*domain.Incident)) domain.Incident {
	t.Helper()
	ctx := context.Background()
	lat, lon := 60.58, 27.78
	cp := domain.CrossingPoint{Code: "vaalimaa", NameEN: "Vaalimaa", NameFI: "Vaalimaa FI", Country: "FI", OtherCountry: "RU",
		Mode: "road", Lat: &lat, Lon: &lon}
	if err := env.Svc.SaveCrossingPoint(ctx, domain.System, &cp); err != nil {
		t.Fatal(err)
	}
	return func(title string, mod func(*domain.Incident)) domain.Incident {
		t.Helper()
		in := domain.Incident{Title: title, Kinds: []string{"pushback"},
			When: domain.FuzzyDate{From: domain.MustDate("2023-11-24"), To: domain.MustDate("2023-11-24"), Precision: "day"}}
		if mod != nil {
			mod(&in)
		}
		if err := env.Svc.CreateIncident(ctx, domain.System, &in); err != nil {
			t.Fatal(err)
		}
		return in
	}
}

// incTestimony records a testimony as actor and returns it.
func incTestimony(t *testing.T, env *testEnv, a domain.Actor, pseudonym string) domain.Testimony {
	t.Helper()
	tm := domain.Testimony{ReceivedOn: domain.MustDate("2023-11-25"), Narrator: domain.Narrator{Pseudonym: pseudonym},
		Consent: domain.Consent{Store: true}, Narrative: "We were taken back to the border at night."}
	if err := env.Svc.CreateTestimony(context.Background(), a, &tm); err != nil {
		t.Fatal(err)
	}
	return tm
}

func incActor(env *testEnv, t *testing.T, role string) (domain.Actor, *http.Cookie) {
	t.Helper()
	u := env.user(t, role)
	tok, err := env.Svc.StartSession(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	return service.ActorOf(u), &http.Cookie{Name: sessionCookie, Value: tok}
}

func incValidForm() url.Values {
	return url.Values{
		"title": {"Vaalimaa group turned back"}, "when": {"2023-11"}, "when_precision": {""},
		"crossing_point": {"vaalimaa"}, "place": {"Forest road"}, "lat": {"60,58"}, "lon": {"27.78"}, "place_precision": {"area"},
		"pushed_from": {"FI", "", ""}, "pushed_to": {"RU", "", ""}, "kinds": {"pushback", "violence"},
		"violence_types": {"beating", "pepper_spray"}, "group_size_min": {"10"}, "group_size_max": {"14"},
		"group_minors": {"3"}, "group_women": {"2"}, "group_nat_country": {"SY", "SO", "", ""}, "group_nat_count": {"6", "", "", ""},
		"perpetrator": {"fi_border_guard"}, "perpetrator_unit": {"patrol"}, "asylum_requested": {"yes"}, "outcome": {"pushed_back"},
		"summary": {"Internal notes."}, "public_summary": {"A group was turned back."},
		"verification_status": {"confirmed"}, "verification_reason": {"documents reviewed"}, "published": {"on"},
	}
}

func incIDFromLocation(t *testing.T, loc string) int64 {
	t.Helper()
	m := regexp.MustCompile(`^/incidents/(\d+)\?msg=saved$`).FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("unexpected redirect %q", loc)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

func TestIncidentListFilterAndPaginate(t *testing.T) {
	env := newTestServer(t)
	add := incFixture(t, env)
	add("Vaalimaa violent pushback", func(in *domain.Incident) {
		in.CrossingPoint = "vaalimaa"
		in.Kinds = []string{"pushback", "violence"}
		in.ViolenceTypes = []string{"beating"}
		in.Group.Nationalities = []domain.NationalityCount{{Country: "SY"}}
	})
	add("Detention in Salla", func(in *domain.Incident) {
		in.Kinds = []string{"detention"}
		in.When = domain.FuzzyDate{From: domain.MustDate("2024-02-01"), To: domain.MustDate("2024-02-29"), Precision: "month"}
		in.Verification = domain.Verification{Status: "corroborated", Reason: "two narrators"}
	})
	analyst := env.login(t, "analyst")
	legal := env.login(t, "legal_aid")

	cases := []struct {
		name, query string
		cookie      *http.Cookie
		status      int
		want, not   []string
	}{
		{"all", "", analyst, 200, []string{"Vaalimaa violent pushback", "Detention in Salla", `id="f-cp"`}, nil},
		{"kind", "?kind=detention", analyst, 200, []string{"Detention in Salla"}, []string{"Vaalimaa violent pushback"}},
		{"violence", "?violence_type=beating", analyst, 200, []string{"Vaalimaa violent pushback"}, []string{"Detention in Salla"}},
		{"verification", "?verification=corroborated", analyst, 200, []string{"Detention in Salla"}, []string{"Vaalimaa violent pushback"}},
		{"crossing point", "?crossing_point=vaalimaa", analyst, 200, []string{"Vaalimaa violent pushback"}, []string{"Detention in Salla"}},
		{"nationality", "?nationality=SY", analyst, 200, []string{"Vaalimaa violent pushback"}, []string{"Detention in Salla"}},
		{"dates", "?from=2024-01-01&to=2024-12-31", analyst, 200, []string{"Detention in Salla"}, []string{"Vaalimaa violent pushback"}},
		{"full text", "?q=Salla", analyst, 200, []string{"Detention in Salla"}, []string{"Vaalimaa violent pushback"}},
		{"bad filters", "?kind=nope&from=2023-02-30&nationality=XX", analyst, 422, []string{`unknown value &#34;nope&#34;`, "not a valid date", "not a country code"}, nil},
		{"legal aid reads", "", legal, 200, []string{"Detention in Salla"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := env.do(t, "GET", "/incidents"+c.query, nil, c.cookie, nil)
			if w.Code != c.status {
				t.Fatalf("status %d, want %d: %s", w.Code, c.status, w.Body)
			}
			body := w.Body.String()
			for _, s := range c.want {
				if !strings.Contains(body, s) {
					t.Errorf("missing %q", s)
				}
			}
			for _, s := range c.not {
				if strings.Contains(body, s) {
					t.Errorf("unexpected %q", s)
				}
			}
		})
	}

	t.Run("paginate", func(t *testing.T) {
		for i := 0; i < domain.DefaultPageSize; i++ {
			add(fmt.Sprintf("Bulk incident %02d", i), nil)
		}
		w := env.do(t, "GET", "/incidents", nil, analyst, nil)
		m := regexp.MustCompile(`href="(/incidents\?cursor=[^"]+)" rel="next"`).FindStringSubmatch(w.Body.String())
		if m == nil {
			t.Fatalf("no next link: %s", w.Body)
		}
		first := strings.Count(w.Body.String(), `<tr>`) - 1
		w = env.do(t, "GET", html.UnescapeString(m[1]), nil, analyst, nil)
		if w.Code != 200 {
			t.Fatalf("next page: %d", w.Code)
		}
		second := strings.Count(w.Body.String(), `<tr>`) - 1
		if first != domain.DefaultPageSize || first+second != domain.DefaultPageSize+2 {
			t.Errorf("pages hold %d and %d rows", first, second)
		}
		if strings.Contains(w.Body.String(), `rel="next"`) {
			t.Error("last page has a next link")
		}
	})
}

func TestIncidentCreateAndShow(t *testing.T) {
	env := newTestServer(t)
	incFixture(t, env)
	coord := env.login(t, "coordinator")

	w := env.postForm(t, "/incidents", incValidForm(), coord)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	id := incIDFromLocation(t, w.Header().Get("Location"))
	in, err := env.Svc.GetIncident(context.Background(), domain.System, id)
	if err != nil {
		t.Fatal(err)
	}
	if in.When.Precision != "month" || in.When.To != domain.MustDate("2023-11-30") || *in.Lat != 60.58 ||
		len(in.Group.Nationalities) != 2 || *in.Group.Nationalities[0].Count != 6 || in.Group.Nationalities[1].Count != nil ||
		!in.Published || in.Verification.Status != "confirmed" || in.PushedFrom[0] != "FI" {
		t.Errorf("saved incident: %+v", in)
	}

	w = env.do(t, "GET", fmt.Sprintf("/incidents/%d?msg=saved", id), nil, coord, nil)
	if w.Code != 200 {
		t.Fatalf("show: %d", w.Code)
	}
	for _, s := range []string{"Saved.", "Vaalimaa group turned back", "2023-11", "Vaalimaa", "Finland → Russia", "10–14",
		"Syria (6), Somalia", "Beating (hands or feet)", "Finnish Border Guard · patrol", "documents reviewed",
		`id="proposed-verification"`, "no linked testimony", "Yes, on the public side", `id="link-form"`} {
		if !strings.Contains(w.Body.String(), s) {
			t.Errorf("show page lacks %q", s)
		}
	}

	t.Run("monitor cannot verify or publish", func(t *testing.T) {
		mon := env.login(t, "monitor")
		w := env.do(t, "GET", "/incidents/new", nil, mon, nil)
		if strings.Contains(w.Body.String(), `name="verification_status"`) || strings.Contains(w.Body.String(), `name="published"`) {
			t.Error("monitor sees verification fields")
		}
		w = env.postForm(t, "/incidents", incValidForm(), mon)
		if w.Code != http.StatusSeeOther {
			t.Fatalf("create: %d %s", w.Code, w.Body)
		}
		in, _ := env.Svc.GetIncident(context.Background(), domain.System, incIDFromLocation(t, w.Header().Get("Location")))
		if in.Published || in.Verification.Status != "unverified" {
			t.Errorf("monitor set verification: %+v", in.Verification)
		}
	})
}

func TestIncidentFormErrors(t *testing.T) {
	env := newTestServer(t)
	add := incFixture(t, env)
	coord := env.login(t, "coordinator")

	t.Run("several invalid fields", func(t *testing.T) {
		vals := incValidForm()
		vals.Set("title", "")
		vals.Set("when", "2023-13-45")
		vals.Set("lat", "north")
		vals.Del("kinds")
		vals.Set("group_size_min", "many")
		vals["group_nat_count"] = []string{"x", "", "", ""}
		vals.Set("perpetrator_unit", "unit <b>7</b>")
		w := env.postForm(t, "/incidents", vals, coord)
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("status %d", w.Code)
		}
		body := w.Body.String()
		for _, s := range []string{"is required: a short label", "2023-13-45", "must be a number", `value="north"`,
			"choose at least one kind", "must be a whole number", `value="many"`, "a count must be a whole number",
			`value="x"`, "unit &lt;b&gt;7&lt;/b&gt;", "A group was turned back.", `<option value="SY" selected>`} {
			if !strings.Contains(body, s) {
				t.Errorf("re-rendered form lacks %q", s)
			}
		}
	})

	t.Run("script payloads are inert", func(t *testing.T) {
		payload := `<script>alert(1)</script><img src=x onerror=alert(2)>`
		in := add(payload, func(in *domain.Incident) {
			in.Summary, in.PublicSummary, in.Place, in.PerpetratorUnit = payload, payload, payload, payload
		})
		for _, path := range []string{fmt.Sprintf("/incidents/%d", in.ID), fmt.Sprintf("/incidents/%d/edit", in.ID), "/incidents"} {
			w := env.do(t, "GET", path, nil, coord, nil)
			if strings.Contains(w.Body.String(), "<script>alert") || strings.Contains(w.Body.String(), "<img src=x") {
				t.Errorf("%s: payload rendered raw", path)
			}
			if !strings.Contains(w.Body.String(), "&lt;script&gt;alert(1)&lt;/script&gt;") {
				t.Errorf("%s: payload not shown escaped", path)
			}
		}
	})

	t.Run("stale edit keeps the form", func(t *testing.T) {
		in := add("Original title", nil)
		in.Title = "Changed by someone else"
		if err := env.Svc.UpdateIncident(context.Background(), domain.System, &in); err != nil {
			t.Fatal(err)
		}
		vals := incValidForm()
		vals.Set("version", "1")
		vals.Set("title", "My edit that must not be lost")
		w := env.postForm(t, fmt.Sprintf("/incidents/%d", in.ID), vals, coord)
		if w.Code != http.StatusConflict {
			t.Fatalf("status %d", w.Code)
		}
		if !strings.Contains(w.Body.String(), "My edit that must not be lost") || !strings.Contains(w.Body.String(), "changed by someone else") {
			t.Error("conflict page lost the input or the message")
		}
		vals.Set("version", "2")
		if w := env.postForm(t, fmt.Sprintf("/incidents/%d", in.ID), vals, coord); w.Code != http.StatusSeeOther {
			t.Fatalf("fresh save: %d %s", w.Code, w.Body)
		}
	})

	t.Run("edit form round-trips", func(t *testing.T) {
		in := add("Round trip", func(in *domain.Incident) {
			in.When = domain.FuzzyDate{From: domain.MustDate("2023-11-01"), To: domain.MustDate("2023-11-30"), Precision: "month"}
			in.PushedFrom, in.PushedTo = []string{"FI", "NO", "SE", "DK"}, []string{"RU"}
		})
		w := env.do(t, "GET", fmt.Sprintf("/incidents/%d/edit", in.ID), nil, coord, nil)
		body := w.Body.String()
		for _, s := range []string{`value="2023-11"`, `id="pushed_from_3"`, `id="pushed_to_2"`, `id="nat_country_3"`, `name="verification_status"`} {
			if !strings.Contains(body, s) {
				t.Errorf("edit form lacks %q", s)
			}
		}
	})

	t.Run("not found", func(t *testing.T) {
		for _, p := range []string{"/incidents/999999", "/incidents/abc", "/incidents/999999/edit"} {
			if w := env.do(t, "GET", p, nil, coord, nil); w.Code != http.StatusNotFound {
				t.Errorf("%s: %d", p, w.Code)
			}
		}
		if w := env.postForm(t, "/incidents/999999", incValidForm(), coord); w.Code != http.StatusNotFound {
			t.Errorf("update missing: %d", w.Code)
		}
	})
}

func TestIncidentLinks(t *testing.T) {
	env := newTestServer(t)
	add := incFixture(t, env)
	ctx := context.Background()
	coordA, coord := incActor(env, t, "coordinator")
	monA, mon := incActor(env, t, "monitor")
	in := add("Linked incident", nil)
	mine := incTestimony(t, env, monA, "Amal")
	other := incTestimony(t, env, coordA, "Bashir")
	path := fmt.Sprintf("/incidents/%d", in.ID)

	// Coordinator links both.
	for _, l := range []struct {
		id  int64
		rel string
	}{{mine.ID, "victim"}, {other.ID, "eyewitness"}} {
		w := env.postForm(t, path+"/links", url.Values{"testimony_id": {strconv.FormatInt(l.id, 10)}, "relation": {l.rel}, "note": {"same night"}}, coord)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != path+"?msg=linked" {
			t.Fatalf("link: %d %q %s", w.Code, w.Header().Get("Location"), w.Body)
		}
	}
	w := env.do(t, "GET", path+"?msg=linked", nil, coord, nil)
	body := w.Body.String()
	for _, s := range []string{"Testimony linked.", "Amal", "Bashir", "Victim", "Eyewitness", "Corroborated",
		fmt.Sprintf(`id="unlink-%d"`, mine.ID), "The status proposed from the linked testimonies differs"} {
		if !strings.Contains(body, s) {
			t.Errorf("incident page lacks %q", s)
		}
	}

	t.Run("monitor sees the other testimony as hidden", func(t *testing.T) {
		w := env.do(t, "GET", path, nil, mon, nil)
		body := w.Body.String()
		if !strings.Contains(body, "A testimony not shared with you") {
			t.Error("hidden testimony not marked")
		}
		if strings.Contains(body, fmt.Sprintf(`href="/testimonies/%d"`, other.ID)) || strings.Contains(body, fmt.Sprintf(`id="unlink-%d"`, other.ID)) {
			t.Error("hidden testimony is linked or unlinkable")
		}
		if !strings.Contains(body, fmt.Sprintf(`id="unlink-%d"`, mine.ID)) {
			t.Error("own testimony has no unlink button")
		}
	})

	t.Run("bad link re-renders with the error and input", func(t *testing.T) {
		w := env.postForm(t, path+"/links", url.Values{"testimony_id": {strconv.FormatInt(other.ID, 10)}, "relation": {"cousin"}, "note": {"<i>kept</i>"}}, mon)
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("status %d", w.Code)
		}
		for _, s := range []string{`unknown value &#34;cousin&#34;`, "&lt;i&gt;kept&lt;/i&gt;", `id="incident-title"`} {
			if !strings.Contains(w.Body.String(), s) {
				t.Errorf("re-rendered page lacks %q", s)
			}
		}
		w = env.postForm(t, path+"/links", url.Values{"testimony_id": {strconv.FormatInt(other.ID, 10)}, "relation": {"victim"}}, mon)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "no testimony with this number is shared with you") {
			t.Errorf("invisible testimony: %d", w.Code)
		}
		w = env.postForm(t, path+"/links", url.Values{"testimony_id": {"abc"}, "relation": {"victim"}}, mon)
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `value="abc"`) {
			t.Errorf("non-number: %d", w.Code)
		}
		if w := env.postForm(t, "/incidents/999999/links", url.Values{"testimony_id": {"1"}, "relation": {"victim"}}, coord); w.Code != http.StatusNotFound {
			t.Errorf("missing incident: %d", w.Code)
		}
	})

	t.Run("unlink", func(t *testing.T) {
		w := env.postForm(t, fmt.Sprintf("%s/links/%d/delete", path, other.ID), nil, mon)
		if w.Code != http.StatusNotFound {
			t.Errorf("monitor unlinked a testimony not shared with them: %d", w.Code)
		}
		w = env.postForm(t, fmt.Sprintf("%s/links/%d/delete", path, other.ID), nil, coord)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != path+"?msg=unlinked" {
			t.Fatalf("unlink: %d %q", w.Code, w.Header().Get("Location"))
		}
		links, _, err := env.Svc.LinksOfIncident(ctx, domain.System, in.ID)
		if err != nil || len(links) != 1 || links[0].Testimony.ID != mine.ID {
			t.Errorf("links after unlink: %v %v", links, err)
		}
	})
}

func TestIncidentPermissions(t *testing.T) {
	env := newTestServer(t)
	add := incFixture(t, env)
	in := add("Permission test", nil)
	analyst := env.login(t, "analyst")
	legal := env.login(t, "legal_aid")
	admin := env.login(t, "admin")
	cases := []struct {
		name, method, path string
		cookie             *http.Cookie
		status             int
	}{
		{"analyst reads", "GET", fmt.Sprintf("/incidents/%d", in.ID), analyst, 200},
		{"analyst new form", "GET", "/incidents/new", analyst, 403},
		{"analyst create", "POST", "/incidents", analyst, 403},
		{"analyst edit", "GET", fmt.Sprintf("/incidents/%d/edit", in.ID), analyst, 403},
		{"legal aid link", "POST", fmt.Sprintf("/incidents/%d/links", in.ID), legal, 403},
		{"legal aid unlink", "POST", fmt.Sprintf("/incidents/%d/links/1/delete", in.ID), legal, 403},
		{"admin new form", "GET", "/incidents/new", admin, 200},
		{"anonymous", "GET", "/incidents", nil, 303},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var w interface{ Result() *http.Response }
			if c.method == "POST" {
				w = env.postForm(t, c.path, incValidForm(), c.cookie)
			} else {
				w = env.do(t, c.method, c.path, nil, c.cookie, nil)
			}
			if got := w.Result().StatusCode; got != c.status {
				t.Errorf("status %d, want %d", got, c.status)
			}
		})
	}
	w := env.do(t, "GET", fmt.Sprintf("/incidents/%d", in.ID), nil, analyst, nil)
	for _, s := range []string{`id="link-form"`, `id="edit-incident"`} {
		if strings.Contains(w.Body.String(), s) {
			t.Errorf("analyst sees %s", s)
		}
	}
}

// TestIncidentPagesFinnish renders every page in Finnish and checks that no
// key is missing from the catalog.
func TestIncidentPagesFinnish(t *testing.T) {
	env := newTestServer(t)
	add := incFixture(t, env)
	in := add("Suomeksi", func(in *domain.Incident) {
		in.PushedFrom, in.PushedTo = []string{"FI"}, []string{"RU"}
		in.Group.SizeMin = new(int)
	})
	for _, lang := range []string{"en", "fi"} {
		a, cookie := incActor(env, t, "coordinator")
		if err := env.Svc.SetLanguage(context.Background(), a, lang); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"/incidents", "/incidents/new", fmt.Sprintf("/incidents/%d", in.ID), fmt.Sprintf("/incidents/%d/edit", in.ID)} {
			w := env.do(t, "GET", p, nil, cookie, nil)
			if w.Code != 200 {
				t.Fatalf("%s %s: %d", lang, p, w.Code)
			}
			if m := regexp.MustCompile(`\[(incidents?|link)\.[a-z_]+\]`).FindString(w.Body.String()); m != "" {
				t.Errorf("%s %s: missing key %s", lang, p, m)
			}
		}
		if lang == "fi" {
			w := env.do(t, "GET", fmt.Sprintf("/incidents/%d", in.ID), nil, cookie, nil)
			if !strings.Contains(w.Body.String(), "Suomi → Venäjä") {
				t.Error("country names are not localized")
			}
		}
	}
}

func TestIncidentAPI(t *testing.T) {
	env := newTestServer(t)
	add := incFixture(t, env)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		add(fmt.Sprintf("API incident %d", i), nil)
	}
	coord := env.token(t, "coordinator")
	analyst := env.token(t, "analyst")
	monitor := env.token(t, "monitor")

	var created domain.Incident
	t.Run("create", func(t *testing.T) {
		w := env.api(t, "POST", "/api/v1/incidents", coord, `{"title":"From the API","kinds":["pushback"],
			"when":{"from":"2023-11-20","to":"2023-11-22","precision":"estimate"},"crossing_point":"vaalimaa",
			"group":{"size_min":4,"nationalities":[{"country":"SO","count":4}]},
			"verification":{"status":"corroborated","reason":"two narrators"},"published":false}`)
		if w.Code != http.StatusCreated {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		if err := json.Unmarshal(w.Body.Bytes(), &created); err != nil {
			t.Fatal(err)
		}
		if w.Header().Get("Location") != apiPath("incidents", created.ID) || created.Verification.Status != "corroborated" || created.Version != 1 {
			t.Errorf("created: %s %+v", w.Header().Get("Location"), created)
		}
	})

	errCases := []struct {
		name, method, path, token, body string
		status                          int
		code                            string
	}{
		{"invalid fields", "POST", "/api/v1/incidents", coord, `{"title":"","kinds":["nope"],"lat":91}`, 422, "invalid"},
		{"unknown field", "POST", "/api/v1/incidents", coord, `{"title":"x","kinds":["pushback"],"colour":"red"}`, 422, "invalid"},
		{"no version", "PUT", fmt.Sprintf("/api/v1/incidents/%d", created.ID), coord, `{"title":"x","kinds":["pushback"]}`, 422, "invalid"},
		{"stale version", "PUT", fmt.Sprintf("/api/v1/incidents/%d", created.ID), coord, `{"version":7,"title":"x","kinds":["pushback"]}`, 409, "conflict"},
		{"not found", "GET", "/api/v1/incidents/999999", coord, "", 404, "not_found"},
		{"links of missing", "GET", "/api/v1/incidents/999999/links", coord, "", 404, "not_found"},
		{"analyst may not write", "POST", "/api/v1/incidents", analyst, `{"title":"x","kinds":["pushback"]}`, 403, "forbidden"},
		{"analyst may not link", "POST", fmt.Sprintf("/api/v1/incidents/%d/links", created.ID), analyst, `{"testimony_id":1,"relation":"victim"}`, 403, "forbidden"},
		{"no token", "GET", "/api/v1/incidents", "", "", 401, "unauthorized"},
		{"bad filter", "GET", "/api/v1/incidents?verification=maybe", coord, "", 422, "invalid"},
	}
	for _, c := range errCases {
		t.Run(c.name, func(t *testing.T) {
			w := env.api(t, c.method, c.path, c.token, c.body)
			if w.Code != c.status {
				t.Fatalf("status %d, want %d: %s", w.Code, c.status, w.Body)
			}
			var e struct {
				Error struct {
					Code    string `json:"code"`
					Message string `json:"message"`
					Fields  []domain.FieldError
				} `json:"error"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code != c.code || e.Error.Message == "" {
				t.Errorf("error body %s", w.Body)
			}
			if c.name == "invalid fields" && len(e.Error.Fields) < 3 {
				t.Errorf("want every field reported, got %v", e.Error.Fields)
			}
		})
	}

	t.Run("update keeps verification when omitted", func(t *testing.T) {
		w := env.api(t, "PUT", fmt.Sprintf("/api/v1/incidents/%d", created.ID), coord,
			`{"version":1,"title":"Renamed <b>","kinds":["pushback","violence"],"violence_types":["kicking"]}`)
		if w.Code != 200 {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		got, _ := env.Svc.GetIncident(ctx, domain.System, created.ID)
		if got.Title != "Renamed <b>" || got.Version != 2 || got.Verification.Status != "corroborated" {
			t.Errorf("after update: %+v", got)
		}
		if strings.Contains(w.Body.String(), "<b>") {
			t.Error("JSON is not HTML-escaped")
		}
	})

	t.Run("list with cursor", func(t *testing.T) {
		var seen []int64
		next := ""
		for page := 0; page < 5; page++ {
			w := env.api(t, "GET", "/api/v1/incidents?limit=2&cursor="+url.QueryEscape(next), analyst, "")
			if w.Code != 200 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			var l list[domain.Incident]
			if err := json.Unmarshal(w.Body.Bytes(), &l); err != nil {
				t.Fatal(err)
			}
			for _, it := range l.Items {
				seen = append(seen, it.ID)
			}
			if next = l.Next; next == "" {
				break
			}
		}
		if len(seen) != 4 {
			t.Errorf("saw %v", seen)
		}
		w := env.api(t, "GET", "/api/v1/incidents?kind=violence", analyst, "")
		if !strings.Contains(w.Body.String(), `"id":`+strconv.FormatInt(created.ID, 10)) || strings.Count(w.Body.String(), `"title"`) != 1 {
			t.Errorf("kind filter: %s", w.Body)
		}
	})

	t.Run("links", func(t *testing.T) {
		monUser := env.user(t, "monitor")
		hidden := incTestimony(t, env, service.ActorOf(monUser), "Hidden")
		coordUser := env.user(t, "coordinator")
		tm := incTestimony(t, env, service.ActorOf(coordUser), "Visible")
		base := fmt.Sprintf("/api/v1/incidents/%d/links", created.ID)
		for _, b := range []string{
			fmt.Sprintf(`{"testimony_id":%d,"relation":"victim","note":"n1"}`, tm.ID),
			fmt.Sprintf(`{"testimony_id":%d,"relation":"hearsay","note":"secret"}`, hidden.ID),
		} {
			w := env.api(t, "POST", base, coord, b)
			if w.Code != http.StatusCreated {
				t.Fatalf("link: %d %s", w.Code, w.Body)
			}
		}
		if w := env.api(t, "POST", base, monitor, fmt.Sprintf(`{"testimony_id":%d,"relation":"victim"}`, hidden.ID)); w.Code != 404 {
			t.Errorf("monitor linked a testimony not shared with them: %d", w.Code)
		}
		if w := env.api(t, "POST", base, coord, fmt.Sprintf(`{"testimony_id":%d,"relation":"friend"}`, tm.ID)); w.Code != 422 {
			t.Errorf("bad relation: %d", w.Code)
		}

		var l list[incLinkRow]
		w := env.api(t, "GET", base, monitor, "")
		if err := json.Unmarshal(w.Body.Bytes(), &l); err != nil || len(l.Items) != 2 {
			t.Fatalf("links: %s", w.Body)
		}
		for _, it := range l.Items {
			if it.Hidden != true || it.Note != "" {
				t.Errorf("monitor sees %+v", it)
			}
		}
		w = env.api(t, "GET", base, coord, "")
		if !strings.Contains(w.Body.String(), `"pseudonym":"Visible"`) || !strings.Contains(w.Body.String(), `"hidden":false`) ||
			!strings.Contains(w.Body.String(), `"note":"n1"`) {
			t.Errorf("coordinator links: %s", w.Body)
		}

		if w := env.api(t, "DELETE", fmt.Sprintf("%s/%d", base, tm.ID), coord, ""); w.Code != http.StatusNoContent {
			t.Errorf("delete: %d %s", w.Code, w.Body)
		}
		if w := env.api(t, "DELETE", fmt.Sprintf("%s/%d", base, tm.ID), coord, ""); w.Code != http.StatusNotFound {
			t.Errorf("delete again: %d", w.Code)
		}
	})

	t.Run("openapi documents every route", func(t *testing.T) {
		for _, rt := range env.Srv.incidentAPI() {
			if rt.Doc == "" {
				t.Errorf("%s has no Doc", rt.Pattern())
			}
		}
		w := env.api(t, "GET", "/api/v1/openapi.json", "", "")
		if !strings.Contains(w.Body.String(), "get_incidents_id_links") {
			t.Error("links route missing from the OpenAPI document")
		}
	})
}
