package web

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"vigil/internal/domain"
	"vigil/internal/store"
)

// Cross-site request forgery (issue 3, part 9). Vigil has no form tokens:
// http.CrossOriginProtection refuses every unsafe request a browser marks
// as coming from another site (Sec-Fetch-Site) or, from browsers without
// Fetch Metadata, whose Origin is another host. These tests send every
// state-changing route of the route table as a forged request and check
// that it is refused and changes nothing.

// dbDigest hashes every row of every table, so that any change shows.
func dbDigest(t *testing.T, st *store.Store) string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
	if st.Dialect() == "postgres" {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
	}
	names := queryStrings(t, st.DB(), q)
	h := sha256.New()
	for _, n := range names {
		rows, err := st.DB().Query(`SELECT * FROM "` + n + `"`)
		if err != nil {
			t.Fatalf("read %s: %v", n, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		var lines []string
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprintf("%v", vals))
		}
		rows.Close()
		// Row order is not part of the state.
		sort.Strings(lines)
		fmt.Fprintf(h, "%s\x00%d\x00%s\x00", n, len(lines), strings.Join(lines, "\x01"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func queryStrings(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// forgeries are the ways another site's page makes a browser send a
// request; each must be refused.
var forgeries = []struct {
	name    string
	headers map[string]string
}{
	{"Sec-Fetch-Site cross-site", map[string]string{"Sec-Fetch-Site": "cross-site"}},
	{"Sec-Fetch-Site same-site (a sibling subdomain)", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "https://evil.example.com"}},
	{"Origin of another site, no Fetch Metadata", map[string]string{"Origin": "https://evil.example"}},
	{"Origin null (sandboxed frame, data: URL)", map[string]string{"Origin": "null"}},
	{"forged same-origin Origin but cross-site Fetch Metadata", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "http://example.com"}},
}

const refusedText = "cross-site request refused"

// effectiveBodies make the forged request one that would change the
// database if it got through: the same request from the same origin does.
func effectiveBodies(ids map[string]int64) map[string]string {
	return map[string]string{
		"POST /testimonies":                    "received_on=2024-03-01&narrative=forged+by+another+site&consent_store=on",
		"POST /incidents":                      "title=forged&when=2023-12&kinds=pushback",
		"POST /users":                          "username=forgeduser&role=analyst&lang=en",
		"POST /account/tokens":                 "name=forged",
		"POST /lang":                           "lang=fi&next=/",
		"POST /logout":                         "",
		"POST /account/sessions/revoke-others": "",
		"POST /admin/security/roles":           "roles=analyst",
		"POST /api/v1/testimonies":             `{"received_on":"2024-02-01","narrative":"forged"}`,
		"POST /api/v1/incidents":               `{"title":"forged","kinds":["pushback"]}`,
		"POST /testimonies/{id}/shares":        "user_id=" + strconv.FormatInt(ids["monitor"], 10),
	}
}

var atkParamRE = regexp.MustCompile(`\{[a-z$]+\}`)

func TestCrossSiteRequestsRefused(t *testing.T) {
	env := newTestServer(t)
	ctx := context.Background()
	ids := fixtureIDs(t, env)
	admin := env.user(t, "admin")
	mon := env.user(t, "monitor")
	ids["monitor"] = mon.ID
	tok, err := env.Svc.CreateAPIToken(ctx, domain.System, admin.ID, "csrf")
	must(t, err)
	bodies := effectiveBodies(ids)
	st := env.Svc.Store

	// send makes the request; cookie is the browser's session (nil for
	// the API, which authenticates by token).
	send := func(rt Route, h map[string]string, cookie *http.Cookie) (int, string) {
		path := atkParamRE.ReplaceAllString(concretePath(rt.Path, ids), "1")
		hdr := map[string]string{}
		body, ok := bodies[rt.Pattern()]
		if rt.Surface == API {
			hdr["Authorization"], hdr["Content-Type"] = "Bearer "+tok, "application/json"
			if !ok {
				body = "{}"
			}
		} else {
			hdr["Content-Type"] = "application/x-www-form-urlencoded"
			if !ok {
				body = "a=b"
			}
		}
		for k, v := range h {
			hdr[k] = v
		}
		w := env.do(t, rt.Method, path, strings.NewReader(body), cookie, hdr)
		return w.Code, w.Body.String()
	}

	uiRoutes, routes, refused, effective := 0, 0, 0, 0
	for _, rt := range env.Srv.Routes() {
		if rt.Method == http.MethodGet || rt.Method == http.MethodHead {
			continue
		}
		routes++
		if rt.Surface == UI {
			uiRoutes++
		}
		// A fresh session for each request, made before the digest: a
		// logout or a password change that got through must not end the
		// next request's session.
		cookie := func() *http.Cookie {
			if rt.Surface == API {
				return nil
			}
			return env.session(t, admin)
		}
		for _, f := range forgeries {
			c := cookie()
			before := dbDigest(t, st)
			code, body := send(rt, f.headers, c)
			if code != http.StatusForbidden || !strings.Contains(body, refusedText) {
				t.Errorf("%s, %s: %d, want 403 %q\n%.300s", rt.Pattern(), f.name, code, refusedText, body)
				continue
			}
			if dbDigest(t, st) != before {
				t.Errorf("%s, %s: refused but the database changed", rt.Pattern(), f.name)
			}
			refused++
		}
		// Same origin: the request passes the cross-origin layer (whatever
		// the handler then answers).
		c := cookie()
		before := dbDigest(t, st)
		code, body := send(rt, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://example.com"}, c)
		if code == http.StatusForbidden && strings.Contains(body, refusedText) {
			t.Errorf("%s same-origin: refused as cross-site", rt.Pattern())
		}
		if _, ok := bodies[rt.Pattern()]; ok {
			if dbDigest(t, st) == before {
				t.Errorf("%s same-origin: %d and nothing changed; the control body is not effective\n%.300s", rt.Pattern(), code, body)
			}
			effective++
		}
	}
	if effective != len(bodies) {
		t.Errorf("%d of %d control bodies used: a route in effectiveBodies is gone", effective, len(bodies))
	}
	t.Logf("%d state-changing routes (%d UI, %d API), %d forged requests refused with nothing changed, %d controls changed the database from the same origin", routes, uiRoutes, routes-uiRoutes, refused, effective)
}
