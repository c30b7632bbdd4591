package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"vigil/internal/domain"
)

// cpWorld is a small border: three crossing points and the closure events
// of November 2023, seeded as the system actor.
type cpWorld struct {
	env                      *testEnv
	vaalimaa, niirala, salla domain.CrossingPoint
	decision, closeV         domain.PolicyEvent
	closeN, restrictS        domain.PolicyEvent
	reopenN                  domain.PolicyEvent
}

func cpPoint(t *testing.T, env *testEnv, code, name string, lat, lon float64) domain.CrossingPoint {
	t.Helper()
	acc := 2.0
	c := domain.CrossingPoint{Code: code, NameEN: name, NameFI: name + " FI", NameRU: "Торфяновка", Country: "FI", OtherCountry: "RU",
		Counterpart: "Torfyanovka", Mode: "road", Lat: &lat, Lon: &lon, AccuracyKM: &acc}
	if err := env.Svc.SaveCrossingPoint(context.Background(), domain.System, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func cpEvent(t *testing.T, env *testEnv, day, tm, kind, detail string, points ...string) domain.PolicyEvent {
	t.Helper()
	d := domain.MustDate(day)
	e := domain.PolicyEvent{When: domain.FuzzyDate{From: d, To: d, Precision: "day"}, Time: tm, Kind: kind,
		CrossingPoints: points, Detail: detail,
		Source: domain.Source{Publisher: "Border Guard", URL: "https://example.org/news?id=1&x=2", RetrievedOn: domain.MustDate("2024-01-10")}}
	if err := env.Svc.SavePolicyEvent(context.Background(), domain.System, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func newCPWorld(t *testing.T) *cpWorld {
	t.Helper()
	w := &cpWorld{env: newTestServer(t)}
	w.vaalimaa = cpPoint(t, w.env, "vaalimaa", "Vaalimaa", 60.59, 27.869)
	w.niirala = cpPoint(t, w.env, "niirala", "Niirala", 62.19, 30.14)
	w.salla = cpPoint(t, w.env, "salla", "Salla", 66.85, 29.33)
	// Inserted out of order on purpose: the timeline must sort.
	w.closeV = cpEvent(t, w.env, "2023-11-18", "00:00", "closed", "Vaalimaa closed", "vaalimaa")
	w.decision = cpEvent(t, w.env, "2023-11-16", "", "decision", "Government decides to close Vaalimaa and Niirala", "niirala", "vaalimaa")
	w.closeN = cpEvent(t, w.env, "2023-11-17", "20:00", "closed", "Niirala closed early", "niirala")
	w.restrictS = cpEvent(t, w.env, "2023-11-24", "", "restricted", "Salla asylum only", "salla")
	w.reopenN = cpEvent(t, w.env, "2023-12-14", "", "reopened", "Niirala reopened", "niirala")
	return w
}

// cpRow returns the HTML from the element with id to the end of its row.
func cpRow(t *testing.T, body, id string) string {
	t.Helper()
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no element %q in page", id)
	}
	rest := body[i:]
	if j := strings.Index(rest, "</tr>"); j >= 0 {
		return rest[:j]
	}
	if j := strings.Index(rest, "</li>"); j >= 0 {
		return rest[:j]
	}
	return rest
}

func cpWant(t *testing.T, name, body string, want, notWant []string) {
	t.Helper()
	for _, s := range want {
		if !strings.Contains(body, s) {
			t.Errorf("%s: missing %q", name, s)
		}
	}
	for _, s := range notWant {
		if strings.Contains(body, s) {
			t.Errorf("%s: unexpected %q", name, s)
		}
	}
}

func TestCrossingListStatusOnDate(t *testing.T) {
	w := newCPWorld(t)
	cookie := w.env.login(t, "analyst")
	cases := []struct {
		on                        string
		vaalimaa, niirala, salla  string
		vaalimaaSince, statusCode string
	}{
		{"2023-11-16", "open", "open", "open", "", "200"}, // a decision changes nothing
		{"2023-11-17", "open", "closed", "open", "", "200"},
		{"2023-11-18", "closed", "closed", "open", "Vaalimaa closed", "200"},
		{"2023-11-24", "closed", "closed", "restricted", "Vaalimaa closed", "200"},
		{"2023-12-14", "closed", "open", "restricted", "Vaalimaa closed", "200"},
	}
	for _, c := range cases {
		t.Run(c.on, func(t *testing.T) {
			r := w.env.do(t, "GET", "/crossing-points?on="+c.on, nil, cookie, nil)
			if r.Code != http.StatusOK {
				t.Fatalf("status %d", r.Code)
			}
			body := r.Body.String()
			for code, want := range map[string]string{"vaalimaa": c.vaalimaa, "niirala": c.niirala, "salla": c.salla} {
				row := cpRow(t, body, "cp-"+code)
				if !strings.Contains(row, `class="badge `+want+`"`) {
					t.Errorf("%s on %s: want %s in %s", code, c.on, want, row)
				}
			}
			row := cpRow(t, body, "cp-vaalimaa")
			if c.vaalimaaSince != "" {
				cpWant(t, "since", row, []string{c.vaalimaaSince, `href="https://example.org/news?id=1&amp;x=2"`, `rel="noopener noreferrer"`, "Torfyanovka", "Торфяновка", "60.59, 27.869", "± 2 km"}, nil)
			}
			cpWant(t, "map", body, []string{`id="crossing-map"`, "<svg"}, nil)
		})
	}
	// Default is today, and a bad date is reported rather than guessed.
	r := w.env.do(t, "GET", "/crossing-points", nil, cookie, nil)
	cpWant(t, "today", r.Body.String(), []string{`value="` + w.env.Svc.Today().String() + `"`}, nil)
	r = w.env.do(t, "GET", "/crossing-points?on=2023-02-30", nil, cookie, nil)
	if r.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad date: status %d", r.Code)
	}
	cpWant(t, "bad date", r.Body.String(), []string{"field-error", "not a valid date"}, nil)
}

func TestCrossingShowHistory(t *testing.T) {
	w := newCPWorld(t)
	cookie := w.env.login(t, "monitor")
	r := w.env.do(t, "GET", fmt.Sprintf("/crossing-points/%d", w.niirala.ID), nil, cookie, nil)
	if r.Code != http.StatusOK {
		t.Fatalf("status %d", r.Code)
	}
	body := r.Body.String()
	// The history is in effective order with the status after each event.
	iDec := strings.Index(body, fmt.Sprintf(`id="history-%d"`, w.decision.ID))
	iClose := strings.Index(body, fmt.Sprintf(`id="history-%d"`, w.closeN.ID))
	iOpen := strings.Index(body, fmt.Sprintf(`id="history-%d"`, w.reopenN.ID))
	if iDec < 0 || iClose < iDec || iOpen < iClose {
		t.Fatalf("history order: %d %d %d", iDec, iClose, iOpen)
	}
	cpWant(t, "decision", cpRow(t, body, fmt.Sprintf("history-%d", w.decision.ID)), []string{`badge open`, "(unchanged)"}, nil)
	cpWant(t, "closure", cpRow(t, body, fmt.Sprintf("history-%d", w.closeN.ID)), []string{`<strong><span class="badge closed">`, "20:00"}, nil)
	cpWant(t, "reopening", cpRow(t, body, fmt.Sprintf("history-%d", w.reopenN.ID)), []string{`<strong><span class="badge open">`}, nil)
	if strings.Contains(body, fmt.Sprintf(`id="history-%d"`, w.closeV.ID)) {
		t.Error("history shows an event of another point")
	}
	// A monitor may read but not edit reference data.
	cpWant(t, "no edit", body, nil, []string{`id="edit-crossing"`})

	for _, p := range []string{"/crossing-points/999999", "/crossing-points/abc", "/timeline/999999/edit"} {
		admin := w.env.login(t, "coordinator")
		if r := w.env.do(t, "GET", p, nil, admin, nil); r.Code != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", p, r.Code)
		}
	}
}

func TestTimelineAndMatrix(t *testing.T) {
	w := newCPWorld(t)
	cookie := w.env.login(t, "legal_aid")
	r := w.env.do(t, "GET", "/timeline", nil, cookie, nil)
	if r.Code != http.StatusOK {
		t.Fatalf("status %d", r.Code)
	}
	body := r.Body.String()
	// Events in date order.
	order := []domain.PolicyEvent{w.decision, w.closeN, w.closeV, w.restrictS, w.reopenN}
	last := -1
	for _, e := range order {
		i := strings.Index(body, fmt.Sprintf(`id="event-%d"`, e.ID))
		if i < last {
			t.Fatalf("event %d (%s) out of order", e.ID, e.Detail)
		}
		last = i
	}
	ev := cpRow(t, body, fmt.Sprintf("event-%d", w.decision.ID))
	cpWant(t, "decision event", ev, []string{"2023-11-16", `class="badge"`, "Niirala", "Vaalimaa", `rel="noopener noreferrer"`, "Border Guard", "2024-01-10"}, nil)
	cpWant(t, "closure event", cpRow(t, body, fmt.Sprintf("event-%d", w.closeN.ID)), []string{"20:00", `class="badge closed"`}, nil)

	// Matrix columns: days a status-changing event took effect, not the decision day.
	m := body[strings.Index(body, `id="status-matrix"`):]
	m = m[:strings.Index(m, "</table>")]
	cpWant(t, "matrix", m, []string{"2023-11-17", "2023-11-18", "2023-11-24", "2023-12-14"}, []string{"2023-11-16"})
	row := cpRow(t, m, "matrix-niirala")
	if got := strings.Count(row, "badge closed"); got != 3 {
		t.Errorf("niirala closed in %d columns, want 3: %s", got, row)
	}
	if !strings.HasSuffix(strings.TrimSpace(row), `<strong><span class="badge open">Open</span></strong></td>`) {
		t.Errorf("niirala should end reopened: %s", row)
	}

	// Filter by crossing point.
	r = w.env.do(t, "GET", "/timeline?crossing_point=salla", nil, cookie, nil)
	body = r.Body.String()
	cpWant(t, "filtered", body, []string{fmt.Sprintf(`id="event-%d"`, w.restrictS.ID), `id="matrix-salla"`},
		[]string{fmt.Sprintf(`id="event-%d"`, w.closeV.ID), `id="matrix-niirala"`})
	r = w.env.do(t, "GET", "/timeline?crossing_point=nowhere", nil, cookie, nil)
	if r.Code != http.StatusUnprocessableEntity {
		t.Errorf("unknown point filter: status %d", r.Code)
	}
}

func cpValidForm() url.Values {
	return url.Values{"code": {"vartius"}, "name_en": {"Vartius"}, "name_fi": {"Vartius"}, "name_ru": {"Люття"},
		"country": {"FI"}, "other_country": {"RU"}, "counterpart": {"Lyttä"}, "municipality": {"Kuhmo"}, "mode": {"road_rail"},
		"lat": {"64.48"}, "lon": {"30.07"}, "accuracy_km": {"3"}, "notes": {"Road 89 and railway"}}
}

func cpWith(v url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

func TestCrossingForms(t *testing.T) {
	w := newCPWorld(t)
	coord := w.env.login(t, "coordinator")
	cases := []struct {
		name      string
		vals      url.Values
		status    int
		want      []string
		notWant   []string
		errFields []string
	}{
		{name: "valid", vals: cpValidForm(), status: http.StatusSeeOther},
		{name: "several invalid fields", vals: cpWith(cpValidForm(), "code", "Bad Code", "name_en", "", "name_fi", "", "lat", "abc",
			"accuracy_km", "5000", "country", "", "mode", "hovercraft"),
			status: http.StatusUnprocessableEntity, errFields: []string{"code", "name_en", "lat", "accuracy_km", "country", "mode"},
			want: []string{`value="Bad Code"`, `value="abc"`, `value="5000"`, `value="Люття"`, "Road 89 and railway"}},
		{name: "duplicate code", vals: cpWith(cpValidForm(), "code", "salla"), status: http.StatusConflict,
			want: []string{"already exists", `value="Lyttä"`}},
		{name: "markup is inert", vals: cpWith(cpValidForm(), "code", "xss", "name_en", `<script>alert(1)</script>`, "notes", `<img src=x onerror=alert(2)>`),
			status: http.StatusSeeOther},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := w.env.postForm(t, "/crossing-points", c.vals, coord)
			if r.Code != c.status {
				t.Fatalf("status %d, want %d: %s", r.Code, c.status, r.Body.String())
			}
			body := r.Body.String()
			if c.status == http.StatusSeeOther {
				loc := r.Header().Get("Location")
				if !strings.HasPrefix(loc, "/crossing-points/") || !strings.HasSuffix(loc, "?msg=saved") {
					t.Fatalf("redirect to %q", loc)
				}
				body = w.env.do(t, "GET", loc, nil, coord, nil).Body.String()
				cpWant(t, "shown", body, []string{"Saved.", c.vals.Get("counterpart")}, nil)
			}
			cpWant(t, c.name, body, c.want, c.notWant)
			for _, f := range c.errFields {
				if !strings.Contains(body, `id="`+f+`"`) || !strings.Contains(cpAfter(body, `id="`+f+`"`), "field-error") {
					t.Errorf("no error shown for %s", f)
				}
			}
		})
	}
	// The markup case: escaped on the show page and in the list.
	list := w.env.do(t, "GET", "/crossing-points", nil, coord, nil).Body.String()
	cpWant(t, "escaped list", list, []string{"&lt;script&gt;alert(1)&lt;/script&gt;"}, []string{"<script>alert(1)"})
	cp, err := w.env.Svc.Store.GetCrossingPointByCode(context.Background(), "xss")
	if err != nil {
		t.Fatal(err)
	}
	show := w.env.do(t, "GET", fmt.Sprintf("/crossing-points/%d", cp.ID), nil, coord, nil).Body.String()
	cpWant(t, "escaped show", show, []string{"&lt;img src=x onerror=alert(2)&gt;"}, []string{"<script>alert(1)", "<img src=x"})
}

// cpAfter returns a short stretch of body after the first marker, enough to
// hold the field and its error message.
func cpAfter(body, marker string) string {
	i := strings.Index(body, marker)
	if i < 0 {
		return ""
	}
	rest := body[i:]
	if j := strings.Index(rest, "</div>"); j >= 0 {
		return rest[:j]
	}
	return rest
}

func TestCrossingEditStaleAndCodeFixed(t *testing.T) {
	w := newCPWorld(t)
	coord := w.env.login(t, "coordinator")
	path := fmt.Sprintf("/crossing-points/%d", w.salla.ID)
	edit := w.env.do(t, "GET", path+"/edit", nil, coord, nil)
	cpWant(t, "edit form", edit.Body.String(), []string{`value="salla"`, "readonly", `name="version" value="1"`}, nil)

	// Saved by someone else meanwhile.
	other := w.salla
	other.Notes = "changed elsewhere"
	if err := w.env.Svc.SaveCrossingPoint(context.Background(), domain.System, &other); err != nil {
		t.Fatal(err)
	}
	vals := cpWith(cpValidForm(), "version", "1", "code", "salla", "name_en", "Salla (my edit)")
	r := w.env.postForm(t, path, vals, coord)
	if r.Code != http.StatusConflict {
		t.Fatalf("stale: status %d", r.Code)
	}
	cpWant(t, "stale", r.Body.String(), []string{"changed by someone else", `value="Salla (my edit)"`}, nil)

	// A fresh save works and cannot change the code.
	r = w.env.postForm(t, path, cpWith(vals, "version", "2", "code", "renamed"), coord)
	if r.Code != http.StatusSeeOther {
		t.Fatalf("fresh: status %d: %s", r.Code, r.Body.String())
	}
	got, _ := w.env.Svc.GetCrossingPoint(context.Background(), domain.System, w.salla.ID)
	if got.Code != "salla" || got.NameEN != "Salla (my edit)" || got.Version != 3 {
		t.Fatalf("after save: %+v", got)
	}
}

func TestCrossingPermissions(t *testing.T) {
	w := newCPWorld(t)
	analyst := w.env.login(t, "analyst")
	cases := []struct {
		method, path string
		cookie       *http.Cookie
		want         int
	}{
		{"GET", "/crossing-points", analyst, http.StatusOK},
		{"GET", "/timeline", analyst, http.StatusOK},
		{"GET", "/crossing-points/new", analyst, http.StatusForbidden},
		{"GET", "/timeline/new", analyst, http.StatusForbidden},
		{"GET", fmt.Sprintf("/crossing-points/%d/edit", w.salla.ID), analyst, http.StatusForbidden},
		{"GET", fmt.Sprintf("/timeline/%d/edit", w.closeV.ID), analyst, http.StatusForbidden},
		{"POST", "/crossing-points", analyst, http.StatusForbidden},
		{"POST", "/timeline", analyst, http.StatusForbidden},
		{"GET", "/crossing-points", nil, http.StatusSeeOther},
		{"GET", "/timeline", nil, http.StatusSeeOther},
	}
	for _, c := range cases {
		var r interface{ Result() *http.Response }
		if c.method == "POST" {
			r = w.env.postForm(t, c.path, cpValidForm(), c.cookie)
		} else {
			r = w.env.do(t, c.method, c.path, nil, c.cookie, nil)
		}
		if got := r.Result().StatusCode; got != c.want {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, got, c.want)
		}
	}
	if n, _ := w.env.Svc.Store.ListCrossingPoints(context.Background()); len(n) != 3 {
		t.Errorf("a refused POST created a point: %d points", len(n))
	}
}

func cpValidEvent() url.Values {
	return url.Values{"when": {"2023-11-30"}, "when_precision": {""}, "time": {"00:00"}, "kind": {"closed"},
		"crossing_points": {"salla"}, "detail": {"All crossing points closed"}, "source_publisher": {"Valtioneuvosto"},
		"source_url": {"https://valtioneuvosto.fi/-/x"}, "source_retrieved_on": {"2024-01-10"}}
}

func TestPolicyForms(t *testing.T) {
	w := newCPWorld(t)
	coord := w.env.login(t, "coordinator")

	form := w.env.do(t, "GET", "/timeline/new", nil, coord, nil).Body.String()
	cpWant(t, "new form", form, []string{`name="crossing_points" value="niirala"`, `name="crossing_points" value="salla"`, `id="time" name="time"`}, nil)

	r := w.env.postForm(t, "/timeline", cpValidEvent(), coord)
	if r.Code != http.StatusSeeOther || !strings.HasPrefix(r.Header().Get("Location"), "/timeline?msg=saved#event-") {
		t.Fatalf("create: %d %q %s", r.Code, r.Header().Get("Location"), r.Body.String())
	}
	list := w.env.do(t, "GET", "/crossing-points?on=2023-11-30", nil, coord, nil).Body.String()
	cpWant(t, "salla closed", cpRow(t, list, "cp-salla"), []string{"badge closed", "All crossing points closed"}, nil)

	// Month precision from the text.
	r = w.env.postForm(t, "/timeline", cpWith(cpValidEvent(), "when", "2022-04", "time", "", "kind", "law"), coord)
	if r.Code != http.StatusSeeOther {
		t.Fatalf("month: %d %s", r.Code, r.Body.String())
	}
	monthID := strings.TrimPrefix(r.Header().Get("Location"), "/timeline?msg=saved#event-")
	tl := w.env.do(t, "GET", "/timeline", nil, coord, nil).Body.String()
	cpWant(t, "month event", cpRow(t, tl, "event-"+monthID), []string{"<strong>2022-04</strong>", "(Month)", `class="badge"`}, nil)
	edit := w.env.do(t, "GET", "/timeline/"+monthID+"/edit", nil, coord, nil).Body.String()
	cpWant(t, "month edit", edit, []string{`value="2022-04"`}, []string{`<option value="month" selected>`})

	bad := cpWith(cpValidEvent(), "when", "2023-13", "time", "25:00", "detail", "", "source_publisher", "", "source_url", "ftp://x")
	bad.Del("crossing_points")
	r = w.env.postForm(t, "/timeline", bad, coord)
	if r.Code != http.StatusUnprocessableEntity {
		t.Fatalf("invalid: status %d", r.Code)
	}
	body := r.Body.String()
	for _, f := range []string{"when", "time", "detail", "source_publisher", "source_url"} {
		if !strings.Contains(cpAfter(body, `id="`+f+`"`), "field-error") {
			t.Errorf("no error for %s", f)
		}
	}
	cpWant(t, "points error", body, []string{"must name the crossing points", `value="2023-13"`, `value="25:00"`, `value="ftp://x"`}, nil)

	unknown := cpWith(cpValidEvent(), "crossing_points", "atlantis")
	r = w.env.postForm(t, "/timeline", unknown, coord)
	cpWant(t, "unknown point", r.Body.String(), []string{`no crossing point has the code &#34;atlantis&#34;`}, nil)

	xss := cpWith(cpValidEvent(), "detail", `<script>alert("x")</script>`, "source_publisher", `<b>pub</b>`)
	if r = w.env.postForm(t, "/timeline", xss, coord); r.Code != http.StatusSeeOther {
		t.Fatalf("xss create: %d", r.Code)
	}
	tl = w.env.do(t, "GET", "/timeline", nil, coord, nil).Body.String()
	cpWant(t, "escaped timeline", tl, []string{"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;", "&lt;b&gt;pub&lt;/b&gt;"}, []string{`<script>alert("x")`, "<b>pub</b>"})

	// Stale edit keeps the form; a fresh one saves.
	path := fmt.Sprintf("/timeline/%d", w.closeV.ID)
	edit = w.env.do(t, "GET", path+"/edit", nil, coord, nil).Body.String()
	cpWant(t, "edit form", edit, []string{`value="2023-11-18"`, `value="00:00"`, `value="vaalimaa" checked`}, nil)
	changed := w.closeV
	changed.Detail = "edited elsewhere"
	if err := w.env.Svc.SavePolicyEvent(context.Background(), domain.System, &changed); err != nil {
		t.Fatal(err)
	}
	mine := cpWith(cpValidEvent(), "version", "1", "crossing_points", "vaalimaa", "detail", "my careful wording")
	r = w.env.postForm(t, path, mine, coord)
	if r.Code != http.StatusConflict {
		t.Fatalf("stale: %d", r.Code)
	}
	cpWant(t, "stale", r.Body.String(), []string{"changed by someone else", "my careful wording"}, nil)
	if r = w.env.postForm(t, path, cpWith(mine, "version", "2"), coord); r.Code != http.StatusSeeOther {
		t.Fatalf("fresh: %d %s", r.Code, r.Body.String())
	}
	if r = w.env.postForm(t, "/timeline/999999", mine, coord); r.Code != http.StatusNotFound {
		t.Errorf("missing event: %d", r.Code)
	}
}

func cpJSON(t *testing.T, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
}

type cpAPIError struct {
	Error struct {
		Code    string              `json:"code"`
		Message string              `json:"message"`
		Fields  []domain.FieldError `json:"fields"`
	} `json:"error"`
}

func TestCrossingAPI(t *testing.T) {
	w := newCPWorld(t)
	reader := w.env.token(t, "analyst")
	writer := w.env.token(t, "coordinator")

	for _, p := range []string{"/api/v1/crossing-points", "/api/v1/policy-events", fmt.Sprintf("/api/v1/crossing-points/%d/status", w.salla.ID)} {
		r := w.env.api(t, "GET", p, "", "")
		var e cpAPIError
		cpJSON(t, r.Body.Bytes(), &e)
		if r.Code != http.StatusUnauthorized || e.Error.Code != "unauthorized" {
			t.Errorf("%s without token: %d %s", p, r.Code, r.Body.String())
		}
	}

	r := w.env.api(t, "GET", "/api/v1/crossing-points?on=2023-11-18", reader, "")
	var cps struct {
		Items []struct {
			Code   string `json:"code"`
			NameEN string `json:"name_en"`
			Status struct {
				Code         string `json:"code"`
				On           string `json:"on"`
				Status       string `json:"status"`
				SinceEventID *int64 `json:"since_event_id"`
			} `json:"status"`
		} `json:"items"`
		Next *string `json:"next"`
	}
	cpJSON(t, r.Body.Bytes(), &cps)
	if r.Code != http.StatusOK || len(cps.Items) != 3 || cps.Next == nil || *cps.Next != "" {
		t.Fatalf("list: %d %s", r.Code, r.Body.String())
	}
	got := map[string]string{}
	for _, it := range cps.Items {
		got[it.Code] = it.Status.Status
		if it.Status.Code != it.Code || it.Status.On != "2023-11-18" {
			t.Errorf("status object: %+v", it.Status)
		}
		if it.Code == "vaalimaa" && (it.Status.SinceEventID == nil || *it.Status.SinceEventID != w.closeV.ID) {
			t.Errorf("vaalimaa since: %v", it.Status.SinceEventID)
		}
		if it.Code == "salla" && it.Status.SinceEventID != nil {
			t.Errorf("salla has no event yet: %v", *it.Status.SinceEventID)
		}
	}
	if got["vaalimaa"] != "closed" || got["niirala"] != "closed" || got["salla"] != "open" {
		t.Errorf("statuses: %v", got)
	}
	if r := w.env.api(t, "GET", "/api/v1/crossing-points?on=soon", reader, ""); r.Code != http.StatusUnprocessableEntity {
		t.Errorf("bad on: %d", r.Code)
	}

	r = w.env.api(t, "GET", fmt.Sprintf("/api/v1/crossing-points/%d/status?on=2023-11-17", w.vaalimaa.ID), reader, "")
	var st struct {
		Status       string `json:"status"`
		SinceEventID *int64 `json:"since_event_id"`
	}
	cpJSON(t, r.Body.Bytes(), &st)
	if r.Code != http.StatusOK || st.Status != "open" || st.SinceEventID != nil {
		t.Errorf("status on 17th: %d %s", r.Code, r.Body.String())
	}

	r = w.env.api(t, "GET", "/api/v1/policy-events?crossing_point=niirala", reader, "")
	var evs struct {
		Items []domain.PolicyEvent `json:"items"`
		Next  *string              `json:"next"`
	}
	cpJSON(t, r.Body.Bytes(), &evs)
	if len(evs.Items) != 3 || evs.Items[0].ID != w.decision.ID || evs.Items[2].ID != w.reopenN.ID || evs.Next == nil {
		t.Errorf("events: %s", r.Body.String())
	}

	cases := []struct {
		name, method, path, token, body string
		status                          int
		errCode                         string
		fields                          []string
	}{
		{"create point", "POST", "/api/v1/crossing-points", writer, `{"code":"vartius","name_en":"Vartius","country":"FI","other_country":"RU","mode":"road","lat":64.48,"lon":30.07}`, 201, "", nil},
		{"invalid point", "POST", "/api/v1/crossing-points", writer, `{"code":"No","country":"","mode":"x","lat":95}`, 422, "invalid", []string{"code", "name_en", "country", "mode", "lat"}},
		{"unknown field", "POST", "/api/v1/crossing-points", writer, `{"code":"a","nmae_en":"typo"}`, 422, "invalid", nil},
		{"reader cannot write", "POST", "/api/v1/crossing-points", reader, `{"code":"x"}`, 403, "forbidden", nil},
		{"missing point", "GET", "/api/v1/crossing-points/999999", reader, "", 404, "not_found", nil},
		{"missing status", "GET", "/api/v1/crossing-points/999999/status", reader, "", 404, "not_found", nil},
		{"put without version", "PUT", fmt.Sprintf("/api/v1/crossing-points/%d", w.salla.ID), writer, `{"name_en":"Salla","country":"FI","mode":"road"}`, 422, "invalid", nil},
		{"put stale", "PUT", fmt.Sprintf("/api/v1/crossing-points/%d", w.salla.ID), writer, `{"version":7,"name_en":"Salla","country":"FI","mode":"road"}`, 409, "conflict", nil},
		{"put code change", "PUT", fmt.Sprintf("/api/v1/crossing-points/%d", w.salla.ID), writer, `{"version":1,"code":"other","name_en":"Salla","country":"FI","mode":"road"}`, 422, "invalid", []string{"code"}},
		{"put ok", "PUT", fmt.Sprintf("/api/v1/crossing-points/%d", w.salla.ID), writer, `{"version":1,"name_en":"Salla","country":"FI","mode":"road"}`, 200, "", nil},
		{"create event", "POST", "/api/v1/policy-events", writer, `{"when":{"from":"2023-11-30","precision":"day"},"time":"00:00","kind":"closed","crossing_points":["salla"],"detail":"closed","source":{"publisher":"VN","url":"https://vn.fi/x"}}`, 201, "", nil},
		{"event without precision", "POST", "/api/v1/policy-events", writer, `{"when":{"from":"2023-12-01"},"kind":"law","detail":"Border Security Act amended","source":{"publisher":"Finlex"}}`, 201, "", nil},
		{"invalid event", "POST", "/api/v1/policy-events", writer, `{"when":{"from":null,"precision":"day"},"time":"7pm","kind":"closed","detail":"","source":{"publisher":"","url":"javascript:alert(1)"}}`, 422, "invalid", []string{"when", "time", "crossing_points", "detail", "source_publisher", "source_url"}},
		{"event unknown point", "POST", "/api/v1/policy-events", writer, `{"when":{"from":"2023-11-30","precision":"day"},"kind":"closed","crossing_points":["atlantis"],"detail":"x","source":{"publisher":"VN"}}`, 422, "invalid", []string{"crossing_points"}},
		{"missing event", "GET", "/api/v1/policy-events/999999", reader, "", 404, "not_found", nil},
		{"event stale", "PUT", fmt.Sprintf("/api/v1/policy-events/%d", w.closeV.ID), writer, `{"version":9,"when":{"from":"2023-11-18","precision":"day"},"kind":"closed","crossing_points":["vaalimaa"],"detail":"x","source":{"publisher":"VN"}}`, 409, "conflict", nil},
		{"event ok", "PUT", fmt.Sprintf("/api/v1/policy-events/%d", w.closeV.ID), writer, `{"version":1,"when":{"from":"2023-11-18","precision":"day"},"kind":"closed","crossing_points":["vaalimaa"],"detail":"x","source":{"publisher":"VN"}}`, 200, "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := w.env.api(t, c.method, c.path, c.token, c.body)
			if r.Code != c.status {
				t.Fatalf("status %d, want %d: %s", r.Code, c.status, r.Body.String())
			}
			if c.errCode == "" {
				if c.status == 201 && !strings.HasPrefix(r.Header().Get("Location"), "/api/v1/") {
					t.Errorf("Location %q", r.Header().Get("Location"))
				}
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
					t.Errorf("no field error for %s in %s", f, r.Body.String())
				}
			}
		})
	}
	// Every route of this resource is documented.
	for _, rt := range w.env.Srv.crossingAPI() {
		if rt.Doc == "" {
			t.Errorf("%s %s has no Doc", rt.Method, rt.Path)
		}
	}
}

func TestCrossingPagesFinnish(t *testing.T) {
	w := newCPWorld(t)
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
	for _, p := range []string{"/crossing-points?on=2023-11-24", fmt.Sprintf("/crossing-points/%d", w.niirala.ID),
		"/crossing-points/new", fmt.Sprintf("/crossing-points/%d/edit", w.niirala.ID), "/timeline", "/timeline/new",
		fmt.Sprintf("/timeline/%d/edit", w.closeN.ID)} {
		r := w.env.do(t, "GET", p, nil, cookie, nil)
		body := r.Body.String()
		if r.Code != http.StatusOK {
			t.Errorf("%s: %d", p, r.Code)
		}
		if strings.Contains(body, "[crossing.") || strings.Contains(body, "[figures.") {
			t.Errorf("%s: untranslated key in page", p)
		}
		if !strings.Contains(body, `lang="fi"`) {
			t.Errorf("%s: not in Finnish", p)
		}
	}
}
