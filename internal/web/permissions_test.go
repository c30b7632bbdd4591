package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"vigil/internal/domain"
	"vigil/internal/store"
)

// expectedAccess is the role × route matrix, written out by hand so that it
// checks the route table instead of repeating it: for every route, the roles
// (A admin, C coordinator, M monitor, L legal_aid, N analyst) that may use
// it, "*" for everyone including anonymous visitors. A route missing here
// fails TestRoleRouteMatrix, so every new route needs a decision.
var expectedAccess = map[string]string{
	"GET /login":   "*",
	"POST /login":  "*",
	"POST /lang":   "*",
	"POST /logout": "ACMLN",
	"GET /{$}":     "ACMLN",
	"GET /search":  "ACM",

	"GET /testimonies":           "ACM",
	"GET /testimonies/new":       "ACM",
	"POST /testimonies":          "ACM",
	"GET /testimonies/{id}":      "ACM",
	"GET /testimonies/{id}/edit": "ACM",
	"POST /testimonies/{id}":     "ACM",

	"GET /incidents":                          "ACMLN",
	"GET /incidents/new":                      "ACM",
	"POST /incidents":                         "ACM",
	"GET /incidents/{id}":                     "ACMLN",
	"GET /incidents/{id}/edit":                "ACM",
	"POST /incidents/{id}":                    "ACM",
	"POST /incidents/{id}/links":              "ACM",
	"POST /incidents/{id}/links/{tid}/delete": "ACM",

	"GET /crossing-points":           "ACMLN",
	"GET /crossing-points/new":       "AC",
	"POST /crossing-points":          "AC",
	"GET /crossing-points/{id}":      "ACMLN",
	"GET /crossing-points/{id}/edit": "AC",
	"POST /crossing-points/{id}":     "AC",
	"GET /timeline":                  "ACMLN",
	"GET /timeline/new":              "AC",
	"POST /timeline":                 "AC",
	"GET /timeline/{id}/edit":        "AC",
	"POST /timeline/{id}":            "AC",
	"GET /figures":                   "ACMLN",
	"GET /figures/new":               "AC",
	"POST /figures":                  "AC",
	"GET /figures/{id}":              "ACMLN",
	"GET /figures/{id}/edit":         "AC",
	"POST /figures/{id}":             "AC",

	"GET /cases":           "ACLN",
	"GET /cases/new":       "AL",
	"POST /cases":          "AL",
	"GET /cases/{id}":      "ACLN",
	"GET /cases/{id}/edit": "AL",
	"POST /cases/{id}":     "AL",

	"GET /users":                             "A",
	"GET /users/new":                         "A",
	"POST /users":                            "A",
	"GET /users/{id}/edit":                   "A",
	"POST /users/{id}":                       "A",
	"POST /users/{id}/tokens":                "A",
	"POST /users/{id}/tokens/{token}/revoke": "A",
	"POST /users/{id}/sessions/revoke":       "A",
	"GET /account":                           "ACMLN",
	"POST /account/password":                 "ACMLN",
	"POST /account/tokens":                   "ACMLN",
	"POST /account/tokens/{id}/revoke":       "ACMLN",

	"GET /api/v1/openapi.json":           "*",
	"GET /api/v1/vocabularies":           "ACMLN",
	"GET /api/v1/me":                     "ACMLN",
	"GET /api/v1/users":                  "A",
	"POST /api/v1/users":                 "A",
	"GET /api/v1/users/{id}":             "A",
	"GET /api/v1/users/{id}/sessions":    "A",
	"DELETE /api/v1/users/{id}/sessions": "A",

	"GET /api/v1/testimonies":                "ACM",
	"POST /api/v1/testimonies":               "ACM",
	"GET /api/v1/testimonies/{id}":           "ACM",
	"PUT /api/v1/testimonies/{id}":           "ACM",
	"GET /api/v1/testimonies/{id}/incidents": "ACM",

	"GET /api/v1/incidents":                     "ACMLN",
	"POST /api/v1/incidents":                    "ACM",
	"GET /api/v1/incidents/{id}":                "ACMLN",
	"PUT /api/v1/incidents/{id}":                "ACM",
	"GET /api/v1/incidents/{id}/links":          "ACMLN",
	"POST /api/v1/incidents/{id}/links":         "ACM",
	"DELETE /api/v1/incidents/{id}/links/{tid}": "ACM",

	"GET /api/v1/crossing-points":             "ACMLN",
	"POST /api/v1/crossing-points":            "AC",
	"GET /api/v1/crossing-points/{id}":        "ACMLN",
	"PUT /api/v1/crossing-points/{id}":        "AC",
	"GET /api/v1/crossing-points/{id}/status": "ACMLN",
	"GET /api/v1/policy-events":               "ACMLN",
	"POST /api/v1/policy-events":              "AC",
	"GET /api/v1/policy-events/{id}":          "ACMLN",
	"PUT /api/v1/policy-events/{id}":          "AC",
	"GET /api/v1/figures":                     "ACMLN",
	"POST /api/v1/figures":                    "AC",
	"GET /api/v1/figures/groups":              "ACMLN",
	"GET /api/v1/figures/{id}":                "ACMLN",
	"PUT /api/v1/figures/{id}":                "AC",

	"GET /api/v1/cases":      "ACLN",
	"POST /api/v1/cases":     "AL",
	"GET /api/v1/cases/{id}": "ACLN",
	"PUT /api/v1/cases/{id}": "AL",
}

var roleLetters = map[string]string{"A": "admin", "C": "coordinator", "M": "monitor", "L": "legal_aid", "N": "analyst"}

// fixtureIDs creates one record of each kind so that routes with {id} reach
// their handlers.
func fixtureIDs(t *testing.T, env *testEnv) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	sys := domain.System
	ids := map[string]int64{}
	cp := domain.CrossingPoint{Code: "vaalimaa", NameEN: "Vaalimaa", Country: "FI", Mode: "road"}
	must(t, env.Svc.SaveCrossingPoint(ctx, sys, &cp))
	pe := domain.PolicyEvent{When: domain.FuzzyDate{From: domain.MustDate("2023-11-18"), To: domain.MustDate("2023-11-18"), Precision: "day"},
		Kind: "closed", CrossingPoints: []string{"vaalimaa"}, Detail: "closed", Source: domain.Source{Publisher: "Tulli"}}
	must(t, env.Svc.SavePolicyEvent(ctx, sys, &pe))
	fig := domain.Figure{PeriodTo: domain.MustDate("2024-01-29"), Measure: "asylum_seekers", Value: 1271, Unit: "persons", Producer: "Migri", Source: domain.Source{Publisher: "Blog"}}
	must(t, env.Svc.SaveFigure(ctx, sys, &fig))
	tm := domain.Testimony{ReceivedOn: domain.MustDate("2024-02-01"), Narrative: "text", Consent: domain.Consent{Store: true}}
	must(t, env.Svc.CreateTestimony(ctx, sys, &tm))
	in := domain.Incident{Title: "incident", Kinds: []string{"pushback"}}
	must(t, env.Svc.CreateIncident(ctx, sys, &in))
	must(t, env.Svc.Link(ctx, sys, domain.Link{TestimonyID: tm.ID, IncidentID: in.ID, Relation: "victim"}))
	c := domain.AsylumCase{Person: domain.Person{Pseudonym: "P"}}
	must(t, env.Svc.SaveCase(ctx, sys, &c))
	u := env.user(t, "analyst")
	tok := store.APIToken{UserID: u.ID, Name: "x", Hash: []byte("0123456789abcdef0123456789abcdef")}
	must(t, env.Svc.Store.CreateAPIToken(ctx, &tok))
	ids["crossing-points"], ids["timeline"], ids["policy-events"], ids["figures"] = cp.ID, pe.ID, pe.ID, fig.ID
	ids["testimonies"], ids["incidents"], ids["cases"], ids["users"], ids["tid"], ids["token"] = tm.ID, in.ID, c.ID, u.ID, tm.ID, tok.ID
	ids["account"] = tok.ID
	return ids
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// concretePath fills a route's path parameters with fixture ids.
func concretePath(path string, ids map[string]int64) string {
	parts := strings.Split(path, "/")
	resource := ""
	for i, p := range parts {
		switch p {
		case "{id}":
			parts[i] = strconv.FormatInt(ids[resource], 10)
		case "{tid}":
			parts[i] = strconv.FormatInt(ids["tid"], 10)
		case "{token}":
			parts[i] = strconv.FormatInt(ids["token"], 10)
		case "{$}":
			parts[i] = ""
		default:
			if p != "" && p != "api" && p != "v1" {
				resource = p
			}
		}
	}
	return strings.Join(parts, "/")
}

// TestRoleRouteMatrix sends every route of the table as every role and as
// an anonymous visitor, and checks the answer against expectedAccess.
func TestRoleRouteMatrix(t *testing.T) {
	env := newTestServer(t)
	ids := fixtureIDs(t, env)
	users := map[string]domain.User{}
	tokens := map[string]string{}
	for _, role := range roleLetters {
		users[role] = env.user(t, role)
		tok, err := env.Svc.CreateAPIToken(context.Background(), domain.System, users[role].ID, "matrix")
		must(t, err)
		tokens[role] = tok
	}
	seen := map[string]bool{}
	for _, rt := range env.Srv.Routes() {
		pat := rt.Pattern()
		seen[pat] = true
		want, ok := expectedAccess[pat]
		if !ok {
			t.Errorf("route %s has no entry in expectedAccess: decide which roles may use it", pat)
			continue
		}
		path := concretePath(rt.Path, ids)
		// Anonymous.
		w := env.do(t, rt.Method, path, nil, nil, map[string]string{"Sec-Fetch-Site": "same-origin"})
		if want == "*" {
			if w.Code == http.StatusForbidden || (rt.Surface == API && w.Code == http.StatusUnauthorized) {
				t.Errorf("%s anonymous: %d, want access", pat, w.Code)
			}
		} else if rt.Surface == API && w.Code != http.StatusUnauthorized {
			t.Errorf("%s anonymous: %d, want 401", pat, w.Code)
		} else if rt.Surface == UI && (w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/login")) {
			t.Errorf("%s anonymous: %d %s, want a redirect to /login", pat, w.Code, w.Header().Get("Location"))
		}
		for letter, role := range roleLetters {
			allowed := want == "*" || strings.Contains(want, letter)
			h := map[string]string{"Sec-Fetch-Site": "same-origin", "Content-Type": "application/x-www-form-urlencoded"}
			var cookie *http.Cookie
			if rt.Surface == API {
				h["Authorization"] = "Bearer " + tokens[role]
				h["Content-Type"] = "application/json"
			} else {
				tok, err := env.Svc.StartSession(context.Background(), users[role])
				must(t, err)
				cookie = &http.Cookie{Name: sessionCookie, Value: tok}
			}
			w := env.do(t, rt.Method, path, nil, cookie, h)
			// A UI route refuses by 403 or by sending the browser to log in;
			// a 401 from POST /login is a failed login, not a refusal.
			denied := w.Code == http.StatusForbidden ||
				(rt.Surface == API && w.Code == http.StatusUnauthorized) ||
				(w.Code == http.StatusSeeOther && strings.HasPrefix(w.Header().Get("Location"), "/login?next="))
			if allowed && denied {
				t.Errorf("%s as %s: %d, want access", pat, role, w.Code)
			}
			if !allowed && w.Code != http.StatusForbidden {
				t.Errorf("%s as %s: %d, want 403", pat, role, w.Code)
			}
		}
	}
	for pat := range expectedAccess {
		if !seen[pat] {
			t.Errorf("expectedAccess lists %s, which is not a route", pat)
		}
	}
}
